"""The jinja2 environment over gpsynth's templates (templates/ in the source tree, gpsynth.templates when installed)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
import orjson


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """Templates ending .html.j2 or .jmx.j2 escape their values; the Python and JavaScript ones write `| quoted`."""
    folder = resources.files("gpsynth.templates")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "jmx.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["quoted"] = quoted
    return environment


def quoted(text: str) -> str:
    """A string literal valid in Python and JavaScript alike: JSON's double-quoted string."""
    return orjson.dumps(str(text)).decode()


def render(template_name: str, **values) -> str:
    return template_environment().get_template(template_name).render(**values)
