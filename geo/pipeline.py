"""The one module that wires loaders and stages together for the CLI and the app."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of a clean validation run (problems are raised as ``GazetteerError``)."""

    summary: str


def validate_gazetteer(paths: Sequence[Path] | None = None) -> ValidationReport:
    """Load, validate and resolve the gazetteer; raise ``GazetteerError`` listing every problem."""
    raise NotImplementedError  # owned by the gazetteer work


def write_mentions(
    articles: Sequence[Path] | None,
    *,
    out: TextIO,
    fmt: str = "jsonl",
    include_boilerplate: bool = False,
    progress: bool = True,
) -> int:
    """Write one record per mention to ``out``; return the exit status."""
    raise NotImplementedError  # owned by the matching work


def write_suggestions(articles: Sequence[Path] | None, *, out: TextIO) -> int:
    """Write ready-to-paste YAML for names found in articles but missing from the gazetteer."""
    raise NotImplementedError  # owned by the matching work


def export_layers(args: argparse.Namespace) -> int:
    """Write the filtered layers to a file; return the exit status."""
    raise NotImplementedError  # owned by the layers work
