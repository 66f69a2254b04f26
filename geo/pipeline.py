"""The one module that wires loaders and stages together for the CLI and the app."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of a clean validation run (problems are raised as ``GazetteerError``)."""

    summary: str


def validate_gazetteer(paths: Sequence[Path] | None = None) -> ValidationReport:
    """Load, validate and resolve the gazetteer; raise ``GazetteerError`` listing every problem.

    Schema, reference and geometry problems are all collected in one run: geometry is resolved
    for every place that passed the gazetteer checks, even when others failed.
    """
    from geo.boundaries import load_boundaries
    from geo.errors import GazetteerError
    from geo.gazetteer import collect_gazetteer
    from geo.geometry import collect_geometries

    gazetteer, problems = collect_gazetteer(paths)
    geometries, geometry_problems = collect_geometries(gazetteer, load_boundaries())
    problems = sorted(set(problems) | set(geometry_problems))
    if problems:
        raise GazetteerError(problems, f"{len(problems)} problem(s) in the gazetteer")
    files = len(gazetteer.files)
    return ValidationReport(
        f"ok: {len(gazetteer)} places ({len(geometries)} with geometry) in {files} "
        f"file{'s' if files != 1 else ''}, 0 problems"
    )


def write_mentions(
    articles: Sequence[Path] | None,
    *,
    out: TextIO,
    fmt: str = "jsonl",
    include_boilerplate: bool = False,
    progress: bool = True,
) -> int:
    """Write one record per mention to ``out``; return the exit status.

    ``fmt`` is ``jsonl`` (one JSON object a line) or ``csv`` (header + rows), with the keys of
    ``Mention.as_record()``. Articles that cannot be read are reported on stderr and skipped;
    the status is then 1, else 0.
    """
    import csv
    import json
    import sys

    from geo.errors import ExportError
    from geo.models import Mention

    if fmt not in ("jsonl", "csv"):
        raise ExportError(f"format {fmt!r} — expected 'jsonl' or 'csv'")
    problems: list[object] = []
    writer = None
    for mention in iter_mentions(
        articles, include_boilerplate=include_boilerplate, progress=progress, problems=problems
    ):
        record = mention.as_record()
        if fmt == "jsonl":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(record), lineterminator="\n")
            writer.writeheader()
        writer.writerow(record)
    if fmt == "csv" and writer is None:
        fields = Mention.__dataclass_fields__
        csv.writer(out, lineterminator="\n").writerow(list(fields))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def write_suggestions(articles: Sequence[Path] | None, *, out: TextIO) -> int:
    """Write ready-to-paste YAML for names found in articles but missing from the gazetteer.

    One entry per distinct name (resolved through the GeoNames fallback, or unresolved), with
    the first sentence that mentions it. Unreadable articles are reported on stderr (status 1).
    """
    import sys

    from geo.fallback import normalize_name, yaml_entry

    corpus = load_corpus(articles)
    index = _open_fallback(True)
    seen: set[str] = set()
    count = 0
    for mention in corpus.mentions:
        if mention.source == "gazetteer":
            continue
        key = normalize_name(mention.surface)
        if key in seen:
            continue
        seen.add(key)
        article = corpus.articles[mention.article]
        sentence = article.text[mention.sentence_start : mention.sentence_end]
        candidate = None
        if mention.source == "fallback" and index is not None:
            gid = int(str(mention.place_id).split(":")[-1])
            found = index.lookup(mention.surface, near=_mention_point(mention))
            candidate = next((c for c in found if c.geonameid == gid), None)
        out.write(yaml_entry(mention.surface, candidate, " ".join(sentence.split()), article.path))
        out.write("\n")
        count += 1
    if not count:
        out.write("# every place name in these articles is in the gazetteer\n")
    for problem in corpus.problems:
        print(problem, file=sys.stderr)
    return 1 if corpus.problems else 0


def export_layers(args: argparse.Namespace) -> int:
    """Write the filtered layers of ``python -m geo export`` to a file; return the exit status.

    Filters, layer name and output path are checked before the corpus is loaded, so a typo
    fails fast; errors are ``GeoError`` (``FilterError``, ``ExportError``) with the reason.
    """
    from geo.export import check_target, write_layers
    from geo.layers import LAYER_NAMES, Filters

    filters = Filters.from_options(
        articles=args.article,
        kinds=args.kind,
        roles=args.role,
        since=args.since,
        until=args.until,
        include_boilerplate=args.include_boilerplate,
    )
    if args.layer != "all" and args.layer not in LAYER_NAMES:
        from geo.errors import ExportError

        raise ExportError(
            f"unknown layer '{args.layer}' — expected one of: all, {', '.join(LAYER_NAMES)}"
        )
    check_target(args.output, args.format)
    corpus = load_corpus(args.articles or None, include_boilerplate=args.include_boilerplate)
    layers = build_corpus_layers(corpus, filters)
    write_layers(layers, args.output, fmt=args.format, layer=args.layer)
    return 0


# ---------------------------------------------------------------------------------------------
# Mentions of a corpus (owned by the matching work)

#: More articles than this get a progress bar on stderr.
PROGRESS_MIN_ARTICLES = 5


@dataclass(frozen=True)
class Corpus:
    """Articles, gazetteer, resolved geometries and the mentions found, loaded together.

    ``problems`` lists the articles that could not be read (the others are all there);
    ``fingerprint`` changes whenever the gazetteer or an article's text changes.
    """

    articles: dict[str, Any]
    gazetteer: Any
    geometries: dict[str, Any]
    mentions: tuple[Any, ...]
    problems: tuple[Any, ...]
    fingerprint: str


@dataclass(frozen=True)
class _Stages:
    gazetteer: Any
    geometries: dict[str, Any]
    matcher: Any
    fallback: Any


def _open_fallback(use_fallback: bool) -> Any:
    """Open the offline GeoNames index, or ``None`` when not wanted or not available."""
    if not use_fallback:
        return None
    from geo.errors import GeoError
    from geo.fallback import GeoNamesIndex

    try:
        return GeoNamesIndex.open()
    except (GeoError, OSError):
        return None


def _load_stages(use_fallback: bool) -> _Stages:
    """Load the gazetteer, resolve its geometries, build the matcher, open the fallback."""
    from geo.boundaries import load_boundaries
    from geo.gazetteer import load_gazetteer
    from geo.geometry import resolve_geometries
    from geo.matching import build_matcher

    gazetteer = load_gazetteer()
    geometries = dict(resolve_geometries(gazetteer, load_boundaries()))
    matcher = build_matcher(gazetteer, geometries)
    return _Stages(gazetteer, geometries, matcher, _open_fallback(use_fallback))


def _mention_point(mention: Any) -> tuple[float, float] | None:
    if mention.lon is None or mention.lat is None:
        return None
    return (mention.lon, mention.lat)


def _iter_articles(
    article_paths: Sequence[Path] | None, progress: bool, problems: list[Any]
) -> Iterator[Any]:
    """Load articles one file at a time (streaming), collecting problems of unreadable ones."""
    import sys

    from tqdm import tqdm

    from geo.articles import article_paths as list_article_paths
    from geo.articles import load_articles

    paths = list(list_article_paths(list(article_paths) if article_paths else None))
    bar = tqdm(
        paths,
        desc="articles",
        unit="article",
        file=sys.stderr,
        disable=not progress or len(paths) <= PROGRESS_MIN_ARTICLES,
    )
    for path in bar:
        articles, found = load_articles([path])
        problems.extend(found)
        yield from articles


def iter_mentions(
    article_paths: Sequence[Path] | None = None,
    *,
    include_boilerplate: bool = False,
    use_fallback: bool = True,
    progress: bool = True,
    problems: list[Any] | None = None,
) -> Iterator[Any]:
    """Stream the mentions of articles (default: the seeds), article by article.

    Parameters
    ----------
    article_paths
        Article files or folders; ``None`` for the bundled seeds.
    include_boilerplate
        Also yield mentions in page chrome (``in_body`` False).
    use_fallback
        Resolve names the gazetteer lacks through the offline GeoNames index.
    progress
        Show a tqdm bar on stderr when there are more than ``PROGRESS_MIN_ARTICLES`` articles.
    problems
        A list that receives the ``Problem`` of each article that cannot be read.
    """
    from geo.matching import mentions_for

    stages = _load_stages(use_fallback)
    sink: list[Any] = [] if problems is None else problems
    yield from mentions_for(
        _iter_articles(article_paths, progress, sink),
        stages.matcher,
        stages.fallback,
        include_boilerplate=include_boilerplate,
    )


def load_corpus(
    article_paths: Sequence[Path] | None = None,
    *,
    include_boilerplate: bool = False,
    use_fallback: bool = True,
) -> Corpus:
    """Load articles (default: the seeds), gazetteer and geometries, and find every mention.

    Unreadable articles land in ``problems``; the others are all loaded.

    Examples
    --------
    >>> corpus = load_corpus()  # doctest: +SKIP
    >>> sorted({m.role for m in corpus.mentions})  # doctest: +SKIP
    ['attributive', 'locative', 'metonymic']
    """
    import hashlib

    from geo.matching import mentions_for

    stages = _load_stages(use_fallback)
    problems: list[Any] = []
    articles = {a.id: a for a in _iter_articles(article_paths, False, problems)}
    mentions = tuple(
        mentions_for(
            articles.values(),
            stages.matcher,
            stages.fallback,
            include_boilerplate=include_boilerplate,
        )
    )
    digest = hashlib.sha256(str(getattr(stages.gazetteer, "fingerprint", "")).encode())
    for article_id in sorted(articles):
        digest.update(article_id.encode())
        digest.update(hashlib.sha256(articles[article_id].text.encode()).digest())
    digest.update(f"boilerplate={include_boilerplate};fallback={use_fallback}".encode())
    return Corpus(
        articles=articles,
        gazetteer=stages.gazetteer,
        geometries=stages.geometries,
        mentions=mentions,
        problems=tuple(problems),
        fingerprint=digest.hexdigest()[:16],
    )


# ---------------------------------------------------------------------------------------------
# Layers of a corpus (owned by the layers work)


def corpus_incidents(corpus: Corpus, *, include_boilerplate: bool = False) -> tuple[Any, ...]:
    """Curated incidents linked to their reports, plus the incidents extracted from articles."""
    from geo.incidents import extract_incidents

    return extract_incidents(
        corpus.articles,
        corpus.mentions,
        corpus.gazetteer.places,
        corpus.geometries,
        include_boilerplate=include_boilerplate,
    )


def build_corpus_layers(corpus: Corpus, filters: Any = None) -> dict[str, Any]:
    """Build the map's layers (``geo.layers.build_layers``) for a loaded corpus and filters."""
    from geo.layers import Filters, build_layers

    filters = filters or Filters()
    incidents = corpus_incidents(corpus, include_boilerplate=not filters.body_only)
    return build_layers(
        corpus.gazetteer.places,
        corpus.geometries,
        corpus.mentions,
        corpus.articles,
        incidents,
        filters,
    )
