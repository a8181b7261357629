"""Writing a feeders folder: slots.csv, patients.csv, consumers.csv and the chosen tool's script, atomically."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from ..errors import GpsynthError
from ..output import atomic_folder
from ..spine import CONSUMER_ASID as DEFAULT_CONSUMER_ASID
from ..spine import PROVIDER_ASID as DEFAULT_PROVIDER_ASID
from ..store.database import open_store
from ..templating import render
from . import journey
from .rows import CONSUMER_COLUMNS, PATIENT_COLUMNS, SLOT_COLUMNS, booking_window, consumer_rows, patient_rows, slot_rows

# tool → (template, script file name, how to run it)
TOOLS = {
    "locust": ("feeders/locustfile.py.j2", "locustfile.py",
               "locust -f locustfile.py --headless --users 10 --spawn-rate 10 --run-time 1m"),
    "k6": ("feeders/script.js.j2", "script.js", "k6 run script.js"),
    "jmeter": ("feeders/gpconnect.jmx.j2", "gpconnect.jmx", "jmeter -n -t gpconnect.jmx -l results.jtl"),
}
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class FeederOptions:
    tool: str
    base_url: str = DEFAULT_BASE_URL
    provider_asid: str = DEFAULT_PROVIDER_ASID
    consumer_asid: str = DEFAULT_CONSUMER_ASID
    search_days: int = 1
    max_slots: int | None = None


@dataclass(frozen=True)
class BaseUrl:
    url: str
    scheme: str
    host: str
    port: int
    path: str       # a prefix before the practices' service roots, '' or '/...'


def parse_base_url(url: str) -> BaseUrl:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise GpsynthError(f"--base-url {url!r}: use http(s)://host[:port][/prefix], e.g. {DEFAULT_BASE_URL}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return BaseUrl(url.strip().rstrip("/"), parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


@dataclass(frozen=True)
class Feeders:
    """What `gpsynth feeders` wrote."""

    folder: Path
    script: Path
    run: str
    slots: int
    patients: int
    consumers: int


def write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write_feeders(store: Path | str, out: Path | str, options: FeederOptions, now: datetime | None = None,
                  overwrite: bool = False) -> Feeders:
    """Feeders for a load test against a sandbox serving `store`, as of `now` (default: the current time)."""
    if options.tool not in TOOLS:
        raise GpsynthError(f"--tool {options.tool!r}: allowed tools are {', '.join(TOOLS)}")
    if options.max_slots is not None and options.max_slots < 1:
        raise GpsynthError(f"--max-slots {options.max_slots}: give at least 1")
    base = parse_base_url(options.base_url)
    now = now or datetime.now(UTC)
    con = open_store(store)
    try:
        window = booking_window(con, now)
        slots = slot_rows(con, window, options.search_days, options.max_slots)
        patients, consumers = patient_rows(con), consumer_rows(con)
    finally:
        con.close()
    if not slots:
        raise GpsynthError(f"{store}: no free, bookable, unrestricted slot starts between {window.earliest:%Y-%m-%d %H:%M} "
                           f"and {window.latest:%Y-%m-%d %H:%M} (the booking window from now); generate the store "
                           "with a current --as-of")
    if not consumers:
        raise GpsynthError(f"{store}: the store holds no consumer organisations to book as")
    template, script_name, run = TOOLS[options.tool]
    with atomic_folder(Path(out), overwrite) as folder:
        write_csv(folder / "slots.csv", SLOT_COLUMNS, slots)
        write_csv(folder / "patients.csv", PATIENT_COLUMNS, patients)
        write_csv(folder / "consumers.csv", CONSUMER_COLUMNS, consumers)
        script = render(template, base=base, provider_asid=options.provider_asid, consumer_asid=options.consumer_asid,
                        store_name=Path(store).name, version=__version__, run=run, slots=len(slots),
                        written=now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"), journey=journey.JOURNEY,
                        fhir=journey.FHIR, practitioner=journey.PRACTITIONER, device=journey.DEVICE, issuer=journey.ISSUER,
                        description=journey.DESCRIPTION, cancellation_reason=journey.CANCELLATION_REASON)
        (folder / script_name).write_text(script, encoding="utf-8")
    return Feeders(Path(out), Path(out) / script_name, run, len(slots), len(patients), len(consumers))
