"""Datasets generated once per test session, each with a fixed seed and --as-of chosen for what it covers."""

from __future__ import annotations

import pytest
import yaml
from generated import generate

from gpsynth.scenario import preset_text

SPRING_AS_OF = "2026-03-20"      # history and horizon span the March clock change and Easter
AUTUMN_AS_OF = "2026-10-19"      # spans the October clock change
CHRISTMAS_AS_OF = "2026-12-14"   # spans Christmas Day, the Boxing Day substitute and New Year's Day


@pytest.fixture(scope="session")
def network_rules(tmp_path_factory):
    """The pcn preset's sessions, staff groups and consumers, cut to two small practices: many rules, little data."""
    rules = yaml.safe_load(preset_text("pcn"))
    rules["practices"].update(count=2, list_size=300)
    rules["calendar"]["history_days"] = 3
    for group in rules["staff"]:
        group.pop("per_10000", None)
        group["count"] = 1
    path = tmp_path_factory.mktemp("rules") / "network.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def spring(tmp_path_factory):
    """The demo preset in both formats (collection Bundles)."""
    return generate(tmp_path_factory.mktemp("spring") / "out", "demo", SPRING_AS_OF, "--format", "json,ndjson")


@pytest.fixture(scope="session")
def autumn(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("autumn") / "out", "demo", AUTUMN_AS_OF)


@pytest.fixture(scope="session")
def christmas_options(network_rules):
    return (str(network_rules), CHRISTMAS_AS_OF, "--format", "json,ndjson", "--bundle", "transaction", "--bundle-size", "500")


@pytest.fixture(scope="session")
def christmas(tmp_path_factory, christmas_options):
    """Two practices of the pcn rules in both formats (transaction Bundles)."""
    return generate(tmp_path_factory.mktemp("christmas") / "out", *christmas_options)


@pytest.fixture(scope="session", params=["spring", "autumn", "christmas"])
def dataset(request):
    """Each generated dataset in turn."""
    return request.getfixturevalue(request.param)
