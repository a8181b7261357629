"""Generate datasets through the CLI for the tests, read them back, and look at them the way GP Connect does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

import orjson
from click.testing import CliRunner

from gpsynth.cli import main
from gpsynth.scenario import Scenario, load_scenario

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
DELIVERY_CHANNEL = SD + "Extension-GPConnect-DeliveryChannel-2"
CANCELLATION_REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
PRACTITIONER_ROLE = SD + "Extension-GPConnect-PractitionerRole-1"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
REGISTRATION_DETAILS = SD + "Extension-CareConnect-GPC-RegistrationDetails-1"
ACTIVE = ("booked", "arrived", "fulfilled", "noshow")


@dataclass
class Generated:
    folder: Path
    scenario: Scenario
    as_of: date

    @cached_property
    def resources(self) -> dict[str, list[dict]]:
        """The NDJSON rendition, by resource type, through the Bulk Data manifest."""
        manifest = orjson.loads((self.folder / "ndjson" / "manifest.json").read_bytes())
        found: dict[str, list[dict]] = {}
        for entry in manifest["output"]:
            lines = (self.folder / "ndjson" / entry["url"]).read_bytes().splitlines()
            found.setdefault(entry["type"], []).extend(orjson.loads(line) for line in lines)
        return found

    def by_id(self, resource_type: str) -> dict[str, dict]:
        return {r["id"]: r for r in self.resources[resource_type]}


def generate(out: Path, scenario: str, as_of: str, *options: str, seed: int = 7, workers: int = 1) -> Generated:
    """`gpsynth generate` with a fixed seed; fails the test if the command fails."""
    args = ["generate", "--scenario", scenario, "--as-of", as_of, "--seed", str(seed), "--workers", str(workers),
            "--out", str(out), *options]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return Generated(out, load_scenario(scenario), date.fromisoformat(as_of))


def extension(resource: dict, url: str) -> dict | None:
    return next((e for e in resource.get("extension", ()) if e["url"] == url), None)


def wall_clock(instant: str) -> datetime:
    """The local (Europe/London) wall-clock time an instant is written in."""
    return datetime.fromisoformat(instant).replace(tzinfo=None)


def slot_ids(appointment: dict) -> list[str]:
    return [ref["reference"].removeprefix("Slot/") for ref in appointment["slot"]]


def mod11_valid(number: str) -> bool:
    """The NHS number check, written out: weights 10..2 on the first nine digits, 11 - remainder, 10 invalid."""
    if len(number) != 10 or not number.isdigit():
        return False
    check = (11 - sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True)) % 11) % 11
    return check != 10 and check == int(number[9])


def references(node) -> list[str]:
    """Every reference string anywhere in a JSON value."""
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for key, value in node.items() if key != "reference" for r in references(value)]
    if isinstance(node, list):
        return [r for item in node for r in references(item)]
    return []
