"""Errors that teach: where it happened, what arrived, what was expected, how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located to a line.

    Examples
    --------
    >>> print(Problem("data/gazetteer/x.yaml", 4, "unknown key 'alias'",
    ...               "one of id, name, kind, aliases", "did you mean 'aliases'?"))
    ... # doctest: +NORMALIZE_WHITESPACE
    data/gazetteer/x.yaml:4: unknown key 'alias' — expected one of id, name, kind, aliases;
    did you mean 'aliases'?
    """

    path: str
    line: int
    what: str
    expected: str = ""
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {self.what}"
        if self.expected:
            text += f" — expected {self.expected}"
        if self.hint:
            text += f"; {self.hint}"
        return text


class GeoError(Exception):
    """Root of every error refmap raises on purpose; catch this in shells (CLI, app)."""


class ProblemsError(GeoError, ValueError):
    """An input had one or more located problems; all of them are in ``problems``."""

    def __init__(self, problems: Iterable[Problem], summary: str = "") -> None:
        self.problems: list[Problem] = sorted(problems)
        head = summary or f"{len(self.problems)} problem(s)"
        super().__init__("\n".join([head, *map(str, self.problems)]))


class GazetteerError(ProblemsError):
    """The gazetteer YAML is invalid (syntax, schema, references or geometry)."""


class ArticleError(ProblemsError):
    """An article file cannot be read (binary, empty, undecodable, too large...)."""


class BoundaryError(GeoError, ValueError):
    """The bundled boundary data is missing, corrupt, or lacks a requested unit."""


class ExportError(GeoError, ValueError):
    """An export cannot be written (unknown layer, unwritable path, bad format)."""


class PathError(GeoError, ValueError):
    """A path leaves the folder it must stay inside (data/, seeds/)."""
