"""Errors that carry their context, turned into a one-line message and exit code 2 by the CLI."""

from __future__ import annotations


class GpsynthError(Exception):
    """A problem the user can fix; its message is complete on its own."""


class ScenarioError(GpsynthError):
    """A scenario file that cannot be used: which file, which key, what is wrong, what is allowed."""

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key, self.message = source, key, message
        shown = key if key.isprintable() else repr(key)      # a key holding a line break must not break the line
        where = f"{source}: {shown}: " if key else f"{source}: "
        super().__init__(where + message)


def yaml_error(source: str, exc: Exception) -> ScenarioError:
    """A PyYAML error as one line that editors can jump to: file:line:column: what the parser found."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return ScenarioError(where, "", f"not valid YAML: {problem}" + (f" ({context})" if context else ""))
