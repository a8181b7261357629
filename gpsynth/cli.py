"""The gpsynth command line: thin click commands over the library."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .cli_options import (Commands, as_of_option, console, file_format_options, limit_option, out_folder_option, progress,
                          store_argument)
from .dataset import FORMATS, OutputOptions, default_workers, generate
from .errors import GpsynthError
from .export import EXPORT_FORMATS, export_store
from .load import FHIR_VERSIONS, MODES, LoadOptions, RetryPolicy, load, parse_header, parse_only, plan_load
from .load.display import plan_table, report_renderables as load_renderables
from .load.options import DEFAULT_CHECKPOINT, parse_auto, parse_bundle_size
from .output import make_parent
from .scenario import load_scenario, preset_names, preset_text
from .spine import CONSUMER_ASID, PROVIDER_ASID
from .store import DEFAULT_STORE_NAME, run_query
from .store.query import OUTPUT_FORMATS, TEXT_FORMATS, cell_text
from .validate import report_renderables, validate_dataset


@click.group(cls=Commands)
@click.version_option(__version__, prog_name="gpsynth")
def main() -> None:
    """Generate linked, realistic, current GP Connect 1.2.7 appointment books."""


@main.command(name="generate", epilog="""\b
Examples:
  gpsynth generate --out out/
  gpsynth generate --scenario pcn --seed 7 --as-of 2026-03-23 --format json,ndjson --out pcn/
  gpsynth generate --scenario my-rules.yaml --format json --bundle transaction --bundle-size 500 --out tx/
  gpsynth generate --scenario pcn --format duckdb,parquet --out store/      then: gpsynth sql store/ "..."
""")
@click.option("--scenario", "scenario_name", metavar="NAME|FILE",
              help="A preset name (see `gpsynth scenarios`) or a YAML file. Default: built-in rules.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same scenario, seed and --as-of give byte-identical output.")
@as_of_option("Reference date the horizon and history are counted from.")
@file_format_options(FORMATS)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes generating practices in parallel. Default: cores.")
@click.option("--dask", "dask_address", metavar="SCHEDULER_ADDRESS", help="Generate practices on a Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--out", required=True, metavar="FOLDER|URL",
              help="Output folder, created if need be, or an fsspec URL such as s3://bucket/data (written atomically).")
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it has content; only a folder gpsynth wrote.")
def generate_command(scenario_name, seed, as_of, formats, bundle_kind, bundle_size, max_file_mb, workers, dask_address, out,
                     overwrite) -> None:
    """Generate a dataset into OUT."""
    scenario = load_scenario(scenario_name)
    options = OutputOptions(formats, bundle_kind, bundle_size, max_file_mb * 1024 * 1024)
    with progress(f"generating {scenario.name}") as update:
        summary = generate(scenario, seed, as_of, out, options=options, workers=workers or default_workers(), overwrite=overwrite,
                           on_shard=lambda done, total: update(done, total), dask_address=dask_address)
    table = Table(title=f"{scenario.name} → {out}  ({summary.seconds:.1f} s)")
    table.add_column("resource")
    table.add_column("count", justify="right")
    table.add_column("per second", justify="right")
    for resource_type, n in summary.counts.items():
        table.add_row(resource_type, f"{n:,}", f"{n / max(summary.seconds, 1e-9):,.0f}")
    table.add_row("total", f"{sum(summary.counts.values()):,}", f"{sum(summary.counts.values()) / max(summary.seconds, 1e-9):,.0f}")
    console.print(table)


@main.command(epilog="""\b
Examples:
  gpsynth validate out/                  check every resource of out/ (ndjson/ and json/)
  gpsynth validate out/ndjson/           one rendition
  gpsynth validate store/                a store, as a sandbox left it
  gpsynth validate --sample 5000 big/    models on 5,000 resources per type, invariants on all
  gpsynth validate --limit 500 out/      list up to 500 problems
""")
@click.argument("dataset", type=click.Path(path_type=Path), metavar="FOLDER|STORE")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Check at most N resources of each type against the STU3 models. Invariants always cover all. Default: all.")
@limit_option(50, "problems")
def validate(dataset, sample, limit) -> None:
    """Check a generated dataset against the FHIR STU3 models and gpsynth's invariants; exit 1 on problems.

    FOLDER is the --out folder of `gpsynth generate`, or its ndjson/ or json/ folder; STORE is a store file or the
    folder holding it."""
    with progress("validating") as update:
        report = validate_dataset(dataset, sample=sample, on_progress=update)
    Console().print(*report_renderables(report, limit))
    if report.problems:
        sys.exit(1)


@main.command(epilog="""\b
Examples:
  gpsynth scenarios              list the presets
  gpsynth scenarios pcn          print the pcn preset's rules
""")
@click.argument("name", required=False)
def scenarios(name) -> None:
    """List the scenario presets, or show one."""
    if name:
        if name not in preset_names():
            raise GpsynthError(f"no preset named {name!r}; presets: {', '.join(preset_names())}")
        click.echo(preset_text(name), nl=False)
        return
    for preset in preset_names():
        click.echo(f"{preset:24} {load_scenario(preset).description}")


@main.command(name="load", epilog="""\b
Examples:
  gpsynth load out/ --server http://localhost:8080/fhir
  gpsynth load out/ --server https://r4.example.org/fhir --fhir-version R4 --header 'Authorization: Bearer TOKEN' --verify
  gpsynth load out/ --server http://localhost:8080/fhir --only Slot,Appointment --mode batch --concurrency 8
  gpsynth load out/ --server http://localhost:8080/fhir --dry-run        the bundles it would send
  gpsynth load out/ --server http://localhost:8080/fhir --resume         carry on after an interruption
  gpsynth load store/gpsynth.duckdb --server http://localhost:8080/fhir  from a store, bookings included
""")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--server", required=True, metavar="URL", help="The FHIR base URL.")
@click.option("--mode", type=click.Choice(("auto", *MODES)), default="auto", show_default=True,
              help="Bundles of PUTs as one transaction or as a batch, or one PUT per resource; auto: what the "
                   "server's CapabilityStatement offers, transaction first.")
@click.option("--bundle-size", default="auto", show_default=True, metavar="auto|N",
              help="Resources per Bundle to start with; a Bundle the server refuses whole is split, and auto "
                   "settles on the size the server accepts.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Bundles in flight at once.")
@click.option("--only", metavar="TYPES", help="Comma-separated resource types, e.g. Slot,Appointment. Default: all.")
@click.option("--fhir-version", type=click.Choice(("auto", *FHIR_VERSIONS)), default="auto", show_default=True,
              help="R4 converts the resources for an R4 server and reports each change; auto: the server's version.")
@click.option("--keep-profiles", is_flag=True, help="With R4: keep the STU3 GP Connect meta.profile URLs.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", help="An HTTP header for every request; repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Seconds to wait for one answer before retrying.")
@click.option("--retries", type=click.IntRange(min=0), default=6, show_default=True,
              help="Retries per request on 429, 5xx, timeouts and dropped connections.")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CHECKPOINT, show_default=True,
              help="Where confirmed resources are recorded; failed.ndjson beside it lists the ones the server refused.")
@click.option("--resume", is_flag=True, help="Skip the resources the checkpoint has confirmed.")
@click.option("--dry-run", is_flag=True, help="Print the plan (bundles per type) and send nothing.")
@click.option("--verify", is_flag=True, help="Afterwards, check that every loaded id is on the server (by count where "
                                             "it is exact, else by _id searches) and say how.")
def load_command(source, server, mode, bundle_size, concurrency, only, fhir_version, keep_profiles, headers, timeout,
                 retries, checkpoint, resume, dry_run, verify) -> None:
    """Load SOURCE (a store file or generated folder) into a FHIR server, resumably; exit 1 if anything failed."""
    options = LoadOptions(mode=parse_auto(mode), bundle_size=parse_bundle_size(bundle_size), concurrency=concurrency,
                          only=parse_only(only), fhir_version=parse_auto(fhir_version), keep_profiles=keep_profiles,
                          headers=tuple(parse_header(h) for h in headers),
                          retry=RetryPolicy(retries=retries, timeout=timeout), checkpoint=checkpoint, resume=resume, verify=verify)
    if dry_run:
        Console().print(plan_table(plan_load(source, server, options)))
        return
    make_parent(checkpoint)
    with progress("loading") as update:
        report = load(source, server, options, on_progress=lambda resource_type, done, total: update(done, total, resource_type),
                      on_note=console.print)
    Console().print(*load_renderables(report))
    if not report.ok:
        sys.exit(1)


@main.command(name="export", epilog=f"""\b
Examples:
  gpsynth export store/{DEFAULT_STORE_NAME} --format ndjson --out ndjson-copy/
  gpsynth export store/{DEFAULT_STORE_NAME} --format json --bundle transaction --bundle-size 500 --out tx/
  gpsynth export store/{DEFAULT_STORE_NAME} --format json,ndjson,parquet --out files/
""")
@store_argument
@file_format_options(EXPORT_FORMATS)
@out_folder_option
def export_command(store, formats, bundle_kind, bundle_size, max_file_mb, out, overwrite) -> None:
    """Write the dataset in a STORE out as files, exactly as `gpsynth generate` would have.

    STORE is a store file, or the folder holding it."""
    options = OutputOptions(formats, bundle_kind, bundle_size, max_file_mb * 1024 * 1024)
    with progress("exporting") as update:
        counts = export_store(store, out, options=options, overwrite=overwrite, on_shard=update)
    console.print(f"{sum(counts.values()):,} resources → {out}")


@main.command(epilog=f"""\b
Examples:
  gpsynth sql store/{DEFAULT_STORE_NAME} "select * from free_slots_by_day order by ods_code, day"
  gpsynth sql store/{DEFAULT_STORE_NAME} "select * from patient_appointments where nhs_number = '9990000018'"
  gpsynth sql store/{DEFAULT_STORE_NAME} "describe slot"
Tables: organization, location, practitioner, schedule, slot, patient, appointment, shard, dataset.
Views: free_slots_by_day, patient_appointments, schedule_utilisation.
""")
@store_argument
@click.argument("query")
@limit_option(100, "rows")
@click.option("--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
              help="A table to read, or csv, json or markdown for scripts and documents.")
def sql(store, query, limit, output_format) -> None:
    """Run a read-only SQL QUERY on a STORE (no other file can be read or written) and print the rows.

    STORE is a store file, or the folder holding it."""
    result = run_query(store, query, limit)
    if output_format != "table":
        click.echo(TEXT_FORMATS[output_format](result), nl=False)
        if result.more:
            click.echo(f"first {len(result.rows)} rows shown; raise --limit for more", err=True)
        return
    table = Table()
    for i, name in enumerate(result.columns):
        values = [row[i] for row in result.rows if row[i] is not None]
        numeric = values and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values)
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in result.rows:
        table.add_row(*(Text("NULL", style="dim") if value is None else Text(cell_text(value)) for value in row))
    # In a terminal, fit the screen; into a file or pipe, print every value whole on one line.
    out = Console()
    if not out.is_terminal:
        out = Console(width=1_000_000)
    out.print(table)
    shown = f"first {len(result.rows)} rows shown; raise --limit for more" if result.more else f"{len(result.rows)} rows"
    out.print(shown, style="dim")


@main.command(epilog="""\b
Examples:
  gpsynth generate --scenario pcn --format duckdb --out store/ && gpsynth report store/gpsynth.duckdb --out pcn.html
  gpsynth report --journal consumer.jsonl --out consumer.html     what a consumer did against `gpsynth serve --journal`
""")
@click.argument("store", required=False, type=click.Path(path_type=Path), metavar="[STORE]")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Report on a consumer conformance journal (gpsynth serve --journal) instead of a store.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True, metavar="FILE",
              help="The HTML file to write, its folder created if need be (replaced whole when complete).")
def report(store, journal, out) -> None:
    """Write a self-contained HTML report of what a STORE holds: counts, utilisation, fill rate, mix, patients, calendar;
    or, with --journal, of what a consumer did: requests, rules broken, latency, chaos faults and its reactions.

    STORE is a store file, or the folder holding it."""
    from .report import write_report

    if (store is None) == (journal is None):
        raise GpsynthError("give a STORE or --journal FILE (one of them)")
    if journal is not None:
        from .report.consumer import write_consumer_report

        consumer = write_consumer_report(journal, out)
        console.print(f"{consumer.requests:,} requests, {consumer.violations:,} rules broken → {consumer.path}")
        return
    with progress("writing the report"):
        written = write_report(store, out)
    practices = f"{written.practices} practice" + ("" if written.practices == 1 else "s")
    console.print(f"{sum(written.counts.values()):,} resources in {practices} → {written.path}")


@main.command(name="serve", epilog="""\b
Examples:
  gpsynth generate --scenario gpc-provider-testing --format duckdb --out gpc/ && gpsynth serve gpc/
  gpsynth serve pcn/gpsynth.duckdb --port 9000 --roll          keep the horizon current while it runs
  gpsynth serve gpc/ --admin                                   also accept FHIR Bundles of PUTs (gpsynth load)
  gpsynth serve gpc/ --journal consumer.jsonl --chaos faults.yaml   test a consumer: verdicts and injected faults
""")
@store_argument
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--provider-asid", default=PROVIDER_ASID, show_default=True, help="The ASID Ssp-To must name.")
@click.option("--admin", is_flag=True, help="Accept plain FHIR transaction/batch Bundles of PUTs POSTed at a base URL.")
@click.option("--roll", is_flag=True, help="Move the horizon to today on start, and after every midnight.")
@click.option("--access-log", is_flag=True, help="Log every request.")
@click.option("--admin-token", metavar="TOKEN", help="With --admin: administration requests must carry "
                                                     "'Authorization: Bearer TOKEN' (use it whenever --host is not loopback).")
@click.option("--max-body", type=click.IntRange(min=1), default=1024, show_default=True, metavar="KB",
              help="Most kilobytes a GP Connect request body may have; larger ones are answered 413.")
@click.option("--list", "list_all", is_flag=True, help="Name every practice's base URL at start (else the first few).")
@click.option("--public-url", metavar="URL", help="The origin consumers reach the sandbox at, for every absolute URL it "
                                                  "writes (Location, fullUrl). Default: http://HOST:PORT.")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append one JSON line per GP Connect request: its verdict (rules broken, advisories, chaos faults).")
@click.option("--chaos", "chaos_file", type=click.Path(dir_okay=False, path_type=Path), metavar="RULES.yaml",
              help="Inject faults (errors, latency, hangs, taken slots, dropped connections) as these rules say.")
def serve_command(store, host, port, provider_asid, admin, roll, access_log, admin_token, max_body, list_all, public_url,
                  journal, chaos_file) -> None:
    """Serve a STORE as a GP Connect 1.2.7 sandbox provider: every practice at /{ODS}/STU3/1/gpconnect.

    STORE is a store file, or the folder holding it."""
    from .sandbox.app import SandboxOptions
    from .sandbox.server import check_public_url, serve

    if admin_token and not admin:
        raise GpsynthError("--admin-token needs --admin")
    from .sandbox.conformance.chaos import ChaosRules, load_chaos
    from .sandbox.conformance.journal import check_journal_path

    options = SandboxOptions(provider_asid, admin, roll, check_public_url(public_url or f"http://{host}:{port}"),
                             max_body * 1024, admin_token, check_journal_path(journal) if journal else None,
                             load_chaos(chaos_file) if chaos_file else ChaosRules())
    serve(store, host, port, options, access_log, echo=click.echo, list_all=list_all)


@main.command(name="refresh", epilog="""\b
Examples:
  gpsynth refresh gpc/gpsynth.duckdb         e.g. daily from cron (a running `gpsynth serve` of it rolls it itself)
""")
@store_argument
@as_of_option("The day to roll to.")
def refresh_command(store, as_of) -> None:
    """Move a STORE's horizon forward to today, keeping every booking (what `gpsynth serve --roll` does).

    STORE is a store file, or the folder holding it."""
    from .roll import roll_store
    from .store import open_store, transaction
    from .store.database import store_file
    from .store.served import ask_server, server_info

    store = store_file(store)
    running = server_info(store)
    if running is not None:         # the server rolls its own store, keeping what it serves in step
        connection, summary = ask_server(running, f"refresh {as_of.isoformat()}")
        connection.close()
        console.print(summary)
        return
    with progress("rolling the horizon forward"):
        con = open_store(store, read_only=False)
        try:
            with transaction(con):
                rolled = roll_store(con, as_of)
        finally:
            con.close()
    console.print(rolled.summary())


@main.command(name="token", epilog="""\b
Examples:
  curl -H "Authorization: Bearer $(gpsynth token)" ...                        organization/*.read
  curl -H "Authorization: Bearer $(gpsynth token --scope patient/*.write)" ...  book, amend, cancel
""")
@click.option("--scope", type=click.Choice(["organization/*.read", "patient/*.read", "patient/*.write"]),
              default="organization/*.read", show_default=True, help="The requested_scope of the interaction.")
@click.option("--audience", default="https://authorize.fhir.nhs.net/token", show_default=True, help="The aud claim.")
@click.option("--ods", "ods_code", default="GPCA0001", show_default=True, help="The requesting organisation's ODS code.")
def token_command(scope, audience, ods_code) -> None:
    """Print an unsigned GP Connect JWT for the sandbox, valid for 300 seconds."""
    import time

    from .sandbox.tokens import consumer_token

    click.echo(consumer_token(int(time.time()), scope, audience, ods_code))


@main.command(epilog="""\b
Examples:
  gpsynth feeders store/gpsynth.duckdb --tool locust --out load/      then: cd load && locust -f locustfile.py --host ...
  gpsynth feeders store/gpsynth.duckdb --tool k6 --base-url https://sandbox.example.org --search-days 7 --out k6/
  gpsynth feeders store/gpsynth.duckdb --tool jmeter --max-slots 5000 --out jmeter/
""")
@store_argument
@click.option("--tool", type=click.Choice(["locust", "k6", "jmeter"]), required=True, help="The load-test tool to write a script for.")
@out_folder_option
@click.option("--base-url", default="http://127.0.0.1:8080", show_default=True, metavar="URL",
              help="Where the sandbox serving STORE listens; practices are below it at /<ODS>/STU3/1/gpconnect.")
@click.option("--provider-asid", default=PROVIDER_ASID, show_default=True, help="Ssp-To: the provider's ASID.")
@click.option("--consumer-asid", default=CONSUMER_ASID, show_default=True, help="Ssp-From: the consumer's ASID.")
@click.option("--search-days", type=click.IntRange(1, 14), default=1, show_default=True,
              help="Days each slot search covers, from the slot's day (GP Connect allows at most 14).")
@click.option("--max-slots", type=click.IntRange(min=1), default=None, help="Most slot rows, earliest first. Default: all.")
def feeders(store, tool, out, base_url, provider_asid, consumer_asid, search_days, max_slots, overwrite) -> None:
    """Write load-test feeders from a STORE: CSV rows of free slots, bookable patients and consumers, and a script
    that searches, books, reads and cancels with GP Connect headers and JWTs.

    STORE is a store file, or the folder holding it."""
    from .feeders import FeederOptions, write_feeders

    with progress("writing feeders"):
        written = write_feeders(store, out, FeederOptions(tool, base_url, provider_asid, consumer_asid, search_days, max_slots),
                                overwrite=overwrite)
    console.print(f"{written.slots:,} slots, {written.patients:,} patients, {written.consumers:,} consumers → {written.folder}")
    console.print(f"run: cd {written.folder} && {written.run}")
