"""`import gpsynth` gives the functions the commands are skins over, and stays light until one is used."""

from __future__ import annotations

import subprocess
import sys

import gpsynth


def test_every_public_name_resolves_to_its_defining_module():
    assert sorted(gpsynth.__all__) == sorted(["__version__", *gpsynth._EXPORTS])
    for name, module in gpsynth._EXPORTS.items():
        value = getattr(gpsynth, name)
        assert callable(value) and value.__module__.startswith(f"gpsynth.{module}"), (name, value.__module__)
    assert dir(gpsynth) == sorted(gpsynth.__all__)


def test_import_gpsynth_loads_no_heavy_dependency():
    loaded = subprocess.run([sys.executable, "-c", "import sys, gpsynth; print(' '.join(sorted(sys.modules)))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert not {"duckdb", "fhir", "pyarrow", "starlette", "httpx"} & set(loaded)


def test_an_unknown_name_is_an_attribute_error():
    try:
        gpsynth.no_such_function  # noqa: B018
    except AttributeError as exc:
        assert "no_such_function" in str(exc)
    else:
        raise AssertionError("gpsynth.no_such_function resolved")
