// Medplum's own ceiling for a load: the same Bundles a loader sends over HTTP, fed to the router in-process.
//
//   node ceiling.cjs BUNDLES.ndjson     one Bundle per line; prints {"resources": n, "seconds": s, "failed": f}
//
// Bundles are sent one after another, as one HTTP connection would; parsing each line is counted, as the
// HTTP server parses each request body.

'use strict';

const fs = require('node:fs');
const readline = require('node:readline');
const { handle } = require('./router.cjs');

async function main(file) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const texts = [];
  for await (const line of lines) {
    if (line) texts.push(line);
  }
  let resources = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  for (const text of texts) {
    const bundle = JSON.parse(text);
    const [status, answer] = await handle('POST', '', bundle);
    resources += bundle.entry.length;
    if (status >= 300) {
      failed += bundle.entry.length;
    } else {
      failed += (answer.entry || []).filter((e) => !String(e.response?.status).startsWith('2')).length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ resources, seconds, failed }) + '\n');
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
