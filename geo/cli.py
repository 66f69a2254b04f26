"""Command line: ``python -m geo validate|mentions|suggest|export|index`` over the package API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.errors import GeoError, ProblemsError


def _cmd_validate(args: argparse.Namespace) -> int:
    """Validate the gazetteer: print every problem, or a one-line summary when clean."""
    from geo import pipeline

    report = pipeline.validate_gazetteer(args.paths or None)
    print(report.summary)
    return 0


def _cmd_mentions(args: argparse.Namespace) -> int:
    """Print one record per mention as JSONL or CSV."""
    from geo import pipeline

    return pipeline.write_mentions(
        args.articles or None,
        out=sys.stdout,
        fmt=args.format,
        include_boilerplate=args.include_boilerplate,
        progress=not args.quiet,
    )


def _cmd_suggest(args: argparse.Namespace) -> int:
    """Print ready-to-paste YAML entries for names missing from the gazetteer."""
    from geo import pipeline

    return pipeline.write_suggestions(
        args.articles or None,
        out=sys.stdout,
        nominatim=args.nominatim if args.geocode_online else None,
    )


def _cmd_export(args: argparse.Namespace) -> int:
    """Write layers to GeoJSON, GeoPackage or CSV, following the filters."""
    from geo import pipeline

    return pipeline.export_layers(args)


def _cmd_index(args: argparse.Namespace) -> int:
    """Update the incremental mention index of the articles; print a one-line report."""
    from geo import pipeline

    report = pipeline.update_mention_index(
        args.articles or None,
        index_path=args.index,
        engine=args.engine,
        scheduler=args.scheduler,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(report.summary)
    return 1 if report.problems else 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``python -m geo``."""
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the gazetteer YAML; list every problem")
    p.add_argument("paths", nargs="*", type=Path, help="YAML files (default: data/gazetteer/)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("mentions", help="place mentions in articles, one record each")
    p.add_argument(
        "articles", nargs="*", type=Path, help="article files or folders (default: seeds/)"
    )
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--include-boilerplate", action="store_true", help="also page chrome")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_mentions)

    p = sub.add_parser("suggest", help="YAML entries for names the gazetteer lacks")
    p.add_argument(
        "articles", nargs="*", type=Path, help="article files or folders (default: seeds/)"
    )
    p.add_argument(
        "--geocode-online",
        action="store_true",
        help="ask Nominatim (online, rate-limited, cached) for names the offline index lacks",
    )
    p.add_argument(
        "--nominatim",
        default="https://nominatim.openstreetmap.org",
        help="Nominatim server for --geocode-online (default: %(default)s)",
    )
    p.set_defaults(func=_cmd_suggest)

    p = sub.add_parser("export", help="write layers as GeoJSON, GeoPackage or CSV")
    p.add_argument("--layer", default="all", help="layer name or 'all'")
    p.add_argument("--format", choices=("geojson", "gpkg", "csv"), default="geojson")
    p.add_argument(
        "--article", action="append", default=[], help="only this article id (repeatable)"
    )
    p.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    p.add_argument("--role", action="append", default=[], help="only this role (repeatable)")
    p.add_argument("--since", help="first publication date (YYYY-MM-DD)")
    p.add_argument("--until", help="last publication date (YYYY-MM-DD)")
    p.add_argument("--include-boilerplate", action="store_true")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="output file; an existing folder gets one file per layer",
    )
    p.add_argument(
        "articles", nargs="*", type=Path, help="article files or folders (default: seeds/)"
    )
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("index", help="update the incremental mention index of articles")
    p.add_argument(
        "articles", nargs="*", type=Path, help="article files or folders (default: seeds)"
    )
    p.add_argument("--engine", choices=("local", "dask"), default="local")
    p.add_argument("--scheduler", help="Dask scheduler (tcp://host:8786), with --engine dask")
    p.add_argument("--jobs", type=int, help="processes or local Dask workers (default: cores)")
    p.add_argument("--index", type=Path, help="index file (default: under the cache folder)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_index)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 problems found, 2 usage)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (``python -m geo mentions | head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
