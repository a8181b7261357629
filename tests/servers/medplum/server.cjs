// An in-memory R4 FHIR server for gpsynth's load tests: the Medplum FHIR router (router.cjs) behind node:http.
//
// Every resource written (create, update, and each entry of a batch or transaction Bundle) is
// checked against the R4 base definitions first, so an invalid entry fails on its own in a batch
// and fails the whole Bundle in a transaction, as on a production server.
//
//   PORT=0 node server.cjs     prints {"listening": "http://127.0.0.1:<port>"} once it answers
//
// The FHIR base is the root; /fhir/R4/ is accepted as well, to exercise clients with a base path.
// GET /metadata answers a CapabilityStatement, as Medplum's server does (the router alone has no such
// route): FHIR 4.0.1, transaction and batch, read/update/search of every resource type.
// POST /$reset empties the server, so tests can share one process.

'use strict';

const http = require('node:http');
const { core, repo, handle: route } = require('./router.cjs');

const capabilityStatement = {
  resourceType: 'CapabilityStatement', status: 'active', date: '2025-01-01', kind: 'instance', fhirVersion: '4.0.1',
  software: { name: 'Medplum FHIR router' },
  format: ['json'],
  rest: [{
    mode: 'server',
    interaction: [{ code: 'transaction' }, { code: 'batch' }],
    resource: core.getResourceTypes().map((type) => ({
      type, interaction: ['read', 'update', 'create', 'search-type'].map((code) => ({ code })),
    })),
  }],
};

const FHIR_JSON = { 'Content-Type': 'application/fhir+json' };

function send(res, status, body) {
  res.writeHead(status, FHIR_JSON);
  res.end(JSON.stringify(body));
}

async function handle(req, text) {
  let body;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      return [400, core.badRequest(`The request body is not JSON: ${err.message}`)];
    }
  }
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname.replace(/^\/(fhir\/R4\/?)?/, '');
  if (req.method === 'POST' && path === '$reset') {
    repo.clear();
    return [200, core.allOk];
  }
  if (req.method === 'GET' && path === 'metadata') {
    return [200, capabilityStatement];
  }
  return route(req.method, path + url.search, body, req.headers);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, Buffer.concat(chunks).toString('utf8'))
      .then(([status, body]) => send(res, status, body))
      .catch((err) => send(res, 500, core.normalizeOperationOutcome(err)));
  });
});
server.keepAliveTimeout = 30000;

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: `http://127.0.0.1:${server.address().port}` }) + '\n');
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
