"""Layers: places, geometries, mentions and incidents joined into features with provenance."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import MultiPoint, Point, box
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.errors import GeoError
from geo.incidents import Incident, Report
from geo.models import Article, Mention, Place

#: Layer names, in drawing order (countries are context, drawn first).
LAYER_NAMES = ("countries", "regions", "corridors", "borders", "settlements", "incidents")

#: Layer of each gazetteer kind.
KIND_LAYERS = {
    "country": "countries",
    "region": "regions",
    "water": "regions",
    "corridor": "corridors",
    "border": "borders",
    "settlement": "settlements",
    "landmark": "settlements",
    "incident": "incidents",
}

#: A word that makes a sentence naming two neighbours a statement about their border.
BORDER_WORD = re.compile(
    r"\b(?:borders?|bordering|frontiers?|boundary|boundaries)\b", re.IGNORECASE
)

#: Every ``BORDER_WORD`` contains one of these stems (lower case).
BORDER_STEMS = ("border", "frontier", "boundar")

#: Both neighbours must be named within this many characters of the border word.
BORDER_WINDOW = 80

#: How ``build_layers`` treats unmentioned context countries.
CONTEXT_MODES = ("always", "selection", "never")

#: Kinds the filters accept.
KINDS = tuple(KIND_LAYERS)

#: Columns of every layer, in order (``geometry`` last); incidents add ``INCIDENT_COLUMNS``.
COLUMNS = (
    "id",
    "name",
    "kind",
    "layer",
    "source",
    "precision",
    "geo_precision",
    "geo_precision_label",
    "status",
    "claimed_by",
    "mention_count",
    "article_count",
    "first_published",
    "last_published",
    "provenance",
)
INCIDENT_COLUMNS = (
    "event_type",
    "date",
    "date_start",
    "date_end",
    "time_precision",
    "places",
    "description",
    "curated",
    "disagreements",
)


class FilterError(GeoError, ValueError):
    """A filter option cannot be understood (unknown role or kind, bad date)."""


@dataclass(frozen=True)
class Filters:
    """What the map and the exports show; the defaults show every article's body.

    ``articles``/``kinds`` of ``None`` mean all; ``date_from``/``date_to`` bound the
    publication date (an article without one is left out when either is set).

    Examples
    --------
    >>> Filters().roles == frozenset({"locative", "attributive"})
    True
    """

    articles: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    roles: frozenset[str] = frozenset({"locative", "attributive"})
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    body_only: bool = True

    @classmethod
    def from_options(
        cls,
        *,
        articles: Iterable[str] = (),
        kinds: Iterable[str] = (),
        roles: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
        include_boilerplate: bool = False,
    ) -> Filters:
        """Build filters from command-line strings; empty lists mean the defaults.

        Examples
        --------
        >>> Filters.from_options(kinds=["region"], since="2023-01-01").kinds
        frozenset({'region'})
        >>> Filters.from_options(roles=["local"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        geo.layers.FilterError: unknown role 'local' — expected one of locative, ...
        """
        kinds = _checked(kinds, KINDS, "kind")
        roles = _checked(roles, settings.ROLES, "role")
        date_from, date_to = _parse_day(since, "--since"), _parse_day(until, "--until")
        if date_from and date_to and date_from > date_to:
            raise FilterError(
                f"--since {date_from} is after --until {date_to} — expected since <= until"
            )
        return cls(
            articles=frozenset(articles) or None,
            kinds=kinds or None,
            roles=roles or cls.roles,
            date_from=date_from,
            date_to=date_to,
            body_only=not include_boilerplate,
        )

    def keeps_article(self, article: Article | None, article_id: str) -> bool:
        """Whether an article passes the article and publication-date filters."""
        if self.articles is not None and article_id not in self.articles:
            return False
        if self.date_from is None and self.date_to is None:
            return True
        published = article.published if article else None
        if published is None:
            return False
        return (self.date_from or published) <= published <= (self.date_to or published)

    def keeps_kind(self, kind: str) -> bool:
        """Whether a kind passes the kind filter."""
        return self.kinds is None or kind in self.kinds

    def keeps_mention(self, mention: Mention, article: Article | None) -> bool:
        """Whether a mention passes the role, body and article filters."""
        return (
            mention.place_id is not None
            and mention.role in self.roles
            and (mention.in_body or not self.body_only)
            and self.keeps_article(article, mention.article)
        )

    def check_articles(self, known: Iterable[str]) -> Filters:
        """Return ``self`` when every article id it names is in ``known``; else ``FilterError``.

        Examples
        --------
        >>> Filters.from_options(articles=["a"]).check_articles(["a", "b"]).articles
        frozenset({'a'})
        >>> Filters.from_options(articles=["zz"]).check_articles(["a", "b"])
        Traceback (most recent call last):
        ...
        geo.layers.FilterError: unknown article 'zz' — expected one of a, b (2 articles)
        """
        if self.articles is None:
            return self
        ids = sorted(known)
        for article_id in sorted(self.articles):
            if article_id in ids:
                continue
            shown = ", ".join(ids[:MAX_LISTED]) + (", ..." if len(ids) > MAX_LISTED else "")
            close = _close(article_id, ids)
            raise FilterError(
                f"unknown article '{article_id}' — expected one of {shown or 'no articles'} "
                f"({len(ids)} article{'s' if len(ids) != 1 else ''})"
                + (f"; did you mean '{close}'?" if close else "")
            )
        return self

    @property
    def restricts_articles(self) -> bool:
        """Whether the filters narrow the set of articles (by id or by date)."""
        return self.articles is not None or self.date_from is not None or self.date_to is not None


#: At most this many valid values are listed in an error message.
MAX_LISTED = 5


def _close(word: str, choices: Sequence[str]) -> str | None:
    """Return the choice closest to ``word`` (difflib), or ``None`` when none is close."""
    import difflib

    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def _checked(values: Iterable[str], allowed: Sequence[str], what: str) -> frozenset[str]:
    """Return the values as a set, or ``FilterError`` naming the first unknown one."""
    values = frozenset(v.strip() for v in values if v.strip())
    for value in sorted(values):
        if value not in allowed:
            raise FilterError(f"unknown {what} '{value}' — expected one of {', '.join(allowed)}")
    return values


def _parse_day(text: str | None, option: str) -> dt.date | None:
    """Parse an ISO date option, or raise or ``FilterError`` saying what arrived."""
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(f"{option} '{text}' is not a date — expected YYYY-MM-DD") from None


def layer_for_kind(kind: str | None, geometry: BaseGeometry | None = None) -> str:
    """Layer of a place kind; an unknown kind goes by geometry type.

    Unknown kinds: polygons go to ``regions``, lines to ``corridors``, and points or
    anything else to ``settlements``.

    Examples
    --------
    >>> layer_for_kind("water")
    'regions'
    >>> layer_for_kind("airport", Point(44.4, 40.1))
    'settlements'
    >>> layer_for_kind(None)
    'settlements'
    """
    if kind in KIND_LAYERS:
        return KIND_LAYERS[kind]
    geom_type = geometry.geom_type if geometry is not None else ""
    if geom_type.endswith("Polygon"):
        return "regions"
    if geom_type.endswith("LineString"):
        return "corridors"
    return "settlements"


def _mention_quote(mention: Mention, text: str) -> dict[str, Any]:
    """Return the provenance entry of one mention (``text`` is its article's text)."""
    return {
        "start": mention.start,
        "end": mention.end,
        "surface": mention.surface,
        "role": mention.role,
        "sentence": text[mention.sentence_start : mention.sentence_end],
        "sentence_start": mention.sentence_start,
        "sentence_end": mention.sentence_end,
    }


def _article_group(article_id: str, article: Article | None, items: list) -> dict[str, Any]:
    """Return one article's provenance entry holding ``items`` (its quotes, already sorted)."""
    return {
        "article": article_id,
        "title": article.title if article else None,
        "outlet": article.outlet if article else None,
        "published": published_iso(article),
        "mentions": items,
    }


def _group_order(group: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key of provenance entries: publication date (undated last), then article id."""
    return (group["published"] or "9999", group["article"])


def _provenance(
    mentions: Iterable[Mention],
    articles: Mapping[str, Article],
    reports: Iterable[Report | BorderQuote] = (),
) -> list[dict[str, Any]]:
    """Mentions and report quotes grouped by article, articles by publication date then id."""
    quotes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        article = articles.get(m.article)
        quotes[m.article].append(_mention_quote(m, article.text if article else ""))
    for r in reports:
        quotes[r.article].append(r.as_quote())
    groups = [
        _article_group(
            article_id,
            articles.get(article_id),
            sorted(items, key=lambda q: (q["start"], q["end"])),
        )
        for article_id, items in quotes.items()
    ]
    return sorted(groups, key=_group_order)


def published_iso(article: Article | None) -> str | None:
    """Publication date as ISO 8601 at the precision known (``2023-10`` when only the month is).

    ``Article.published`` of a month-precision article is the 1st of the month; writing it as
    a day would invent a precision the source does not have, so the reduced ISO form is used
    (``YYYY-MM``, or ``YYYY`` for a year). These strings still sort chronologically.

    Examples
    --------
    >>> a = Article("a", "a.txt", "", published=dt.date(2023, 10, 1), published_precision="month")
    >>> published_iso(a)
    '2023-10'
    >>> published_iso(Article("b", "b.txt", "", published=dt.date(2023, 10, 12)))
    '2023-10-12'
    >>> published_iso(None) is None
    True
    """
    if article is None or article.published is None:
        return None
    day = article.published
    if article.published_precision == "year":
        return f"{day.year:04d}"
    if article.published_precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@dataclass(frozen=True)
class BorderQuote:
    """A border word in a sentence that names both neighbours of a ``shared_border`` place."""

    article: str
    start: int
    end: int
    surface: str
    sentence: str
    sentence_start: int
    sentence_end: int
    reason: str

    def as_quote(self) -> dict[str, Any]:
        """Return the provenance entry of this quote (same keys as a mention's)."""
        return {
            "start": self.start,
            "end": self.end,
            "surface": self.surface,
            "role": "locative",
            "sentence": self.sentence,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "reason": self.reason,
        }


def _neighbour_pairs(places: Mapping[str, Place]) -> dict[frozenset[str], str]:
    """Border place id by the pair of place ids its ``shared_border`` spec names."""
    pairs: dict[frozenset[str], str] = {}
    for place_id, place in places.items():
        spec = place.geometry or {}
        ids = spec.get("shared_border") if place.kind == "border" else None
        if isinstance(ids, (list, tuple)) and len(set(ids)) == 2:
            pairs.setdefault(frozenset(ids), place_id)
    return pairs


def _may_have_border_word(sentence: str) -> bool:
    """Whether ``BORDER_WORD`` may match in ``sentence`` (a fast test, never a false no).

    The regular expression scan is the slow part of linking borders, and most sentences have
    no border word. An ASCII sentence without any of ``BORDER_STEMS`` (in any case) cannot
    match; any other sentence is scanned (case-insensitive matching also folds a few
    non-ASCII letters, such as the dotless ı and the long ſ, to ASCII ones).

    Examples
    --------
    >>> [_may_have_border_word(s) for s in ("The BORDER is shut.", "Calm.", "Ünal left.")]
    [True, False, True]
    """
    if not sentence.isascii():
        return True
    lowered = sentence.lower()
    return any(stem in lowered for stem in BORDER_STEMS)


def border_quotes(
    places: Mapping[str, Place],
    mentions: Iterable[Mention],
    articles: Mapping[str, Article],
    filters: Filters | None = None,
) -> dict[str, list[BorderQuote]]:
    """Link border places to the sentences that discuss them.

    News rarely names a border by its gazetteer name; it writes "the border between Armenia and
    Azerbaijan" or "its border with Iran". A sentence quotes the border of a ``shared_border``
    place when a border word ("border", "frontier", "boundary") has mentions of both neighbours
    within ``BORDER_WINDOW`` characters; each border word links the one pair named closest to it.
    Mentions count whatever their role (a border is a
    place even when its countries act as governments); body and article filters apply.

    Examples
    --------
    >>> border_quotes({}, [], {})
    {}
    """
    filters = filters or Filters()
    pairs = _neighbour_pairs(places)
    if not pairs:
        return {}
    wanted = set().union(*pairs)
    by_sentence: dict[tuple[str, int, int], list[Mention]] = defaultdict(list)
    for m in mentions:
        article = articles.get(m.article)
        if (
            m.place_id in wanted
            and article is not None
            and (m.in_body or not filters.body_only)
            and filters.keeps_article(article, m.article)
        ):
            by_sentence[(m.article, m.sentence_start, m.sentence_end)].append(m)
    found: dict[str, list[BorderQuote]] = defaultdict(list)
    for (article_id, s_start, s_end), named in by_sentence.items():
        text = articles[article_id].text
        sentence = text[s_start:s_end]
        if not _may_have_border_word(sentence):
            continue
        for word in BORDER_WORD.finditer(sentence):
            w_start, w_end = s_start + word.start(), s_start + word.end()
            gap: dict[str, int] = {}
            for m in named:
                if m.place_id is None:
                    continue
                distance = max(m.start - w_end, w_start - m.end, 0)
                if distance <= BORDER_WINDOW and distance < gap.get(m.place_id, BORDER_WINDOW + 1):
                    gap[m.place_id] = distance
            candidates = [
                (max(gap[x] for x in pair), border_id, pair)
                for pair, border_id in pairs.items()
                if pair <= gap.keys()
            ]
            if candidates:  # one border per word: the pair named closest to it
                _, border_id, pair = min(candidates, key=lambda c: (c[0], c[1]))
                a, b = sorted(pair)
                found[border_id].append(
                    BorderQuote(
                        article_id,
                        w_start,
                        w_end,
                        text[w_start:w_end],
                        sentence,
                        s_start,
                        s_end,
                        f"'{word.group()}' is the border word nearest to mentions of {a} "
                        f"and {b} (both within {BORDER_WINDOW} characters)",
                    )
                )
    return dict(found)


def _counts(provenance: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mention/article counts and first/last publication dates of a provenance list."""
    dates = sorted(g["published"] for g in provenance if g["published"])
    return {
        "mention_count": sum(len(g["mentions"]) for g in provenance),
        "article_count": len(provenance),
        "first_published": dates[0] if dates else None,
        "last_published": dates[-1] if dates else None,
    }


def _precision_fields(level: int | None) -> dict[str, Any]:
    """ACLED-style level and its label."""
    return {
        "geo_precision": level,
        "geo_precision_label": settings.GEO_PRECISION_LEVELS.get(level) if level else None,
    }


def _regional_country(place: Place, resolved: Any) -> bool:
    """Whether a place is a country whose geometry meets the map region (context layer)."""
    geometry = getattr(resolved, "geometry", None)
    if place.kind != "country" or geometry is None or geometry.is_empty:
        return False
    return bool(geometry.intersects(box(*settings.REGION_BBOX)))


def _place_feature(
    place: Place, resolved: Any, provenance: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """One place feature, or ``None`` when it has no geometry to draw."""
    geometry = getattr(resolved, "geometry", None)
    if geometry is None or geometry.is_empty:
        return None
    level = getattr(resolved, "geo_precision", None) or place.geo_precision
    return {
        "id": place.id,
        "name": place.name,
        "kind": place.kind,
        "layer": layer_for_kind(place.kind, geometry),
        "source": getattr(resolved, "source", None),
        "precision": getattr(resolved, "precision", None) or place.precision,
        **_precision_fields(level),
        "status": place.status,
        "claimed_by": list(place.claimed_by),
        **_counts(provenance),
        "provenance": provenance,
        "geometry": geometry,
    }


def _fallback_feature(first: Mention, provenance: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Build a feature for a place only the fallback resolved (a point at its first mention)."""
    if first.lon is None or first.lat is None:
        return None
    geometry = Point(first.lon, first.lat)
    kind = first.kind or "settlement"
    return {
        "id": first.place_id,
        "name": first.surface,
        "kind": kind,
        "layer": layer_for_kind(kind, geometry),
        "source": first.source,
        "precision": "exact",
        **_precision_fields(1),
        "status": None,
        "claimed_by": [],
        **_counts(provenance),
        "provenance": provenance,
        "geometry": geometry,
    }


def incident_geometry(incident: Incident, geometries: Mapping[str, Any]) -> BaseGeometry | None:
    """Return the incident's own geometry, else the representative points of its places."""
    own = getattr(geometries.get(incident.id), "geometry", None)
    if own is not None and not own.is_empty:
        return own
    points = []
    for place_id in incident.places:
        resolved = geometries.get(place_id)
        lon, lat = getattr(resolved, "lon", None), getattr(resolved, "lat", None)
        shape = getattr(resolved, "geometry", None)
        if lon is not None and lat is not None:
            points.append(Point(lon, lat))
        elif shape is not None and not shape.is_empty:
            points.append(shape.representative_point())
    if not points:
        return None
    return points[0] if len(points) == 1 else MultiPoint(points)


def _incident_feature(
    incident: Incident,
    geometries: Mapping[str, Any],
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    filters: Filters,
) -> dict[str, Any] | None:
    """One incident feature with the reports (and mentions) that pass the filters."""
    reports = [
        r
        for r in incident.reports
        if (r.in_body or not filters.body_only)
        and filters.keeps_article(articles.get(r.article), r.article)
    ]
    if not reports and not mentions and (incident.reports or filters.restricts_articles):
        return None
    geometry = incident_geometry(incident, geometries)
    if geometry is None:
        return None
    resolved = geometries.get(incident.id)
    provenance = _provenance(mentions, articles, reports)
    date = incident.date
    level = incident.geo_precision
    return {
        "id": incident.id,
        "name": incident.name,
        "kind": "incident",
        "layer": "incidents",
        "source": getattr(resolved, "source", None)
        or ("analyst" if incident.curated else "articles"),
        "precision": getattr(resolved, "precision", None)
        or ("exact" if level == 1 else "approximate"),
        **_precision_fields(level),
        "status": None,
        "claimed_by": [],
        **_counts(provenance),
        "provenance": provenance,
        "event_type": incident.event_type,
        "date": date.iso if date else None,
        "date_start": date.start.isoformat() if date else None,
        "date_end": date.end.isoformat() if date else None,
        "time_precision": date.precision if date else None,
        "places": list(incident.places),
        "description": incident.description,
        "curated": incident.curated,
        "disagreements": [dict(d) for d in incident.disagreements],
        "geometry": geometry,
    }


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """Return an empty layer with its columns (EPSG:4326).

    Examples
    --------
    >>> list(empty_layer("incidents").columns)[-3:]
    ['curated', 'disagreements', 'geometry']
    """
    columns = list(COLUMNS) + (list(INCIDENT_COLUMNS) if name == "incidents" else [])
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=settings.CRS)


def _frame(name: str, features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Build a layer from feature dicts, sorted by id, columns in the documented order."""
    if not features:
        return empty_layer(name)
    columns = [c for c in empty_layer(name).columns if c != "geometry"]
    features = sorted(features, key=lambda f: f["id"])
    data = {c: [f.get(c) for f in features] for c in columns}
    frame = gpd.GeoDataFrame(
        data, geometry=[f["geometry"] for f in features], crs=settings.CRS
    ).astype({c: object for c in columns})
    return frame


#: Pauses of the cyclic garbage collector in progress (see ``_gc_paused``).
_GC_PAUSE = {"depth": 0, "enabled": False}
_GC_LOCK = threading.Lock()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small, acyclic objects are built.

    Building a corpus's quotes allocates hundreds of thousands of dicts, and each burst of
    allocations would start a collection that walks every object alive (the whole corpus):
    at 10k articles that costs more than the building itself. Nothing built here forms a
    cycle, so nothing is left for the collector to find. Concurrent and nested pauses are
    counted; the last one out restores the collector as it was.
    """
    with _GC_LOCK:
        if _GC_PAUSE["depth"] == 0:
            _GC_PAUSE["enabled"] = gc.isenabled()
            gc.disable()
        _GC_PAUSE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSE["depth"] -= 1
            if _GC_PAUSE["depth"] == 0 and _GC_PAUSE["enabled"]:
                gc.enable()


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer code of each value (in order of first appearance) and the values by code.

    Examples
    --------
    >>> codes, names = _codes(["b", "a", "b"])
    >>> codes.tolist(), names
    ([0, 1, 0], ['b', 'a'])
    """
    found: dict[str, int] = {}
    codes = np.fromiter(
        (found.setdefault(v, len(found)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(found)


class LayerIndex:
    """What :func:`build_layers` needs of a corpus, computed once and reused by every filter.

    A filter change on a big corpus (10k articles, 250k mentions) must not walk every mention
    in Python. The index holds the mentions that have a place as numpy columns (place, article,
    role, ``in_body``), sorted by place, then article in provenance order (publication date,
    undated last, then id), then offset. Each mention's provenance quote and each (place,
    article) provenance entry is built once: a filter is a vectorised mask over the columns,
    and a place's provenance is its prepared entries, rebuilt only for an article some of
    whose mentions of the place the filter drops. Geometry-derived facts (the regional
    context countries) and the border quotes of each ``body_only`` setting are computed once.

    The index reads its inputs and never changes them; the provenance it hands out shares its
    prepared entries, which callers must not change either. Build a new index when the inputs
    change (:func:`layer_index` keeps one per caller's key).

    Examples
    --------
    >>> index = LayerIndex({}, {}, [], {})
    >>> index.select(Filters()).provenance("goris")
    []
    """

    def __init__(
        self,
        places: Mapping[str, Place],
        geometries: Mapping[str, Any],
        mentions: Sequence[Mention],
        articles: Mapping[str, Article],
    ) -> None:
        self.places, self.mentions, self.articles = places, mentions, articles
        self.regional = frozenset(
            pid for pid, place in places.items() if _regional_country(place, geometries.get(pid))
        )
        self._borders: dict[bool, dict[str, list[BorderQuote]]] = {}
        self._lock = threading.Lock()
        with _gc_paused():
            self._sort_mentions()
            self.quotes = self._build_quotes()
            self._build_entries()

    def fits(self, mentions: Sequence[Mention], articles: Mapping[str, Article]) -> bool:
        """Whether the index can serve these inputs (same numbers of mentions and articles)."""
        return len(mentions) == len(self.mentions) and len(articles) == len(self.articles)

    def _sort_mentions(self) -> None:
        """Columns of the mentions that have a place, sorted in provenance order."""
        located = [i for i, m in enumerate(self.mentions) if m.place_id is not None]
        rows = [self.mentions[i] for i in located]
        place, self.place_ids = _codes([m.place_id for m in rows])  # type: ignore[misc]
        article, self.article_ids = _codes([m.article for m in rows])
        role, self.role_names = _codes([m.role for m in rows])
        self._describe_articles()
        order = np.lexsort(
            (
                np.arange(len(rows)),  # ties keep mention order
                np.array([m.end for m in rows], dtype=np.int64),
                np.array([m.start for m in rows], dtype=np.int64),
                self.article_rank[article],
                place,
            )
        )
        self.position = np.array(located, dtype=np.int64)[order]  # row -> index in mentions
        self.place, self.article, self.role = place[order], article[order], role[order]
        self.in_body = np.array([bool(m.in_body) for m in rows], dtype=bool)[order]

    def _describe_articles(self) -> None:
        """Per article code: provenance fields, rank in provenance order, publication day."""
        found = [self.articles.get(article_id) for article_id in self.article_ids]
        self.article_fields = [
            (article_id, a.title if a else None, a.outlet if a else None, published_iso(a))
            for article_id, a in zip(self.article_ids, found, strict=True)
        ]
        fields = self.article_fields
        ranked = sorted(range(len(found)), key=lambda c: (fields[c][3] or "9999", fields[c][0]))
        self.article_rank = np.zeros(len(found), dtype=np.int64)
        self.article_rank[ranked] = np.arange(len(found), dtype=np.int64)
        days = [a.published if a else None for a in found]
        self.article_dated = np.array([d is not None for d in days], dtype=bool)
        self.article_day = np.array([d.toordinal() if d else 0 for d in days], dtype=np.int64)

    def _build_quotes(self) -> np.ndarray:
        """Build the provenance quote of each row (the quotes of a sentence share its text)."""
        sentences: dict[tuple[str, int, int], str] = {}
        quotes = []
        for i in np.sort(self.position).tolist():  # in mention order: memory order, faster
            m = self.mentions[i]
            key = (m.article, m.sentence_start, m.sentence_end)
            sentence = sentences.get(key)
            if sentence is None:
                article = self.articles.get(m.article)
                text = article.text if article else ""
                sentence = sentences[key] = text[m.sentence_start : m.sentence_end]
            quotes.append(
                {
                    "start": m.start,
                    "end": m.end,
                    "surface": m.surface,
                    "role": m.role,
                    "sentence": sentence,
                    "sentence_start": m.sentence_start,
                    "sentence_end": m.sentence_end,
                }
            )
        found = np.empty(len(quotes), dtype=object)
        found[:] = quotes
        return found[np.argsort(np.argsort(self.position))]  # back to row order

    def _build_entries(self) -> None:
        """Group the rows by (place, article) and build each group's provenance entry."""
        size = len(self.position)
        change = (self.place[1:] != self.place[:-1]) | (self.article[1:] != self.article[:-1])
        starts = np.concatenate(([0], np.flatnonzero(change) + 1)) if size else np.zeros(0, int)
        bounds = [*starts.tolist(), size]
        self.group_size = np.diff(bounds).astype(np.int64)
        self.group_of_row = np.repeat(np.arange(len(starts)), self.group_size)
        quotes = self.quotes.tolist()
        self.entries = np.empty(len(starts), dtype=object)
        for group, (lo, hi, code) in enumerate(
            zip(bounds, bounds[1:], self.article[starts].tolist(), strict=False)
        ):
            article_id, title, outlet, published = self.article_fields[code]
            self.entries[group] = {
                "article": article_id,
                "title": title,
                "outlet": outlet,
                "published": published,
                "mentions": quotes[lo:hi],
            }

    def keeps_articles(self, filters: Filters) -> np.ndarray:
        """Boolean per article code: whether the article and date filters keep it."""
        keep = np.ones(len(self.article_ids), dtype=bool)
        if filters.articles is not None:
            keep &= np.array([a in filters.articles for a in self.article_ids], dtype=bool)
        if filters.date_from is not None or filters.date_to is not None:
            keep &= self.article_dated
            if filters.date_from is not None:
                keep &= self.article_day >= filters.date_from.toordinal()
            if filters.date_to is not None:
                keep &= self.article_day <= filters.date_to.toordinal()
        return keep

    def select(self, filters: Filters) -> _Selection:
        """Return the mentions that pass ``filters`` (role, body, article, date), by place."""
        roles = np.array([r in filters.roles for r in self.role_names], dtype=bool)
        mask = roles[self.role] if len(roles) else np.zeros(0, dtype=bool)
        if filters.body_only:
            mask &= self.in_body
        if filters.restricts_articles:
            mask &= self.keeps_articles(filters)[self.article]
        return _Selection(self, np.flatnonzero(mask))

    def _border_quotes(self, body_only: bool) -> dict[str, list[BorderQuote]]:
        """``border_quotes`` of every article, given only the mentions it can use."""
        wanted = set().union(*_neighbour_pairs(self.places))
        codes = [n for n, place_id in enumerate(self.place_ids) if place_id in wanted]
        rows = np.isin(self.place, codes) & (self.in_body | (not body_only))
        named = [self.mentions[i] for i in np.sort(self.position[rows]).tolist()]
        return border_quotes(self.places, named, self.articles, Filters(body_only=body_only))

    def border_quotes(self, filters: Filters) -> dict[str, list[BorderQuote]]:
        """``border_quotes`` of the corpus under ``filters`` (computed once per body setting)."""
        with self._lock:
            if filters.body_only not in self._borders:
                self._borders[filters.body_only] = self._border_quotes(filters.body_only)
        found = self._borders[filters.body_only]
        if not filters.restricts_articles:
            return found
        keep = filters.keeps_article
        kept = {
            border_id: [q for q in quotes if keep(self.articles.get(q.article), q.article)]
            for border_id, quotes in found.items()
        }
        return {border_id: quotes for border_id, quotes in kept.items() if quotes}


class _Selection:
    """The rows of a :class:`LayerIndex` that pass a filter, grouped by place and article."""

    def __init__(self, index: LayerIndex, rows: np.ndarray) -> None:
        self.index, self.rows = index, rows
        group = index.group_of_row[rows]
        if len(rows):
            first = np.concatenate(([0], np.flatnonzero(group[1:] != group[:-1]) + 1))
        else:
            first = np.zeros(0, dtype=np.int64)
        self.starts = [*first.tolist(), len(rows)]  # group g is rows[starts[g]:starts[g + 1]]
        self.group = group[first]  # the index's (place, article) group of each kept group
        self.partial = np.diff(self.starts) != index.group_size[self.group]
        place = index.place[rows[first]]
        if len(first):
            head = np.concatenate(([0], np.flatnonzero(place[1:] != place[:-1]) + 1))
        else:
            head = np.zeros(0, dtype=np.int64)
        bounds = [*head.tolist(), len(first)]
        self.groups = {  # place id -> range of its kept groups
            index.place_ids[code]: (lo, hi)
            for code, lo, hi in zip(place[head].tolist(), bounds, bounds[1:], strict=False)
        }

    def __contains__(self, place_id: object) -> bool:
        return place_id in self.groups

    def _rows_of(self, place_id: str) -> np.ndarray:
        """Sorted rows of a place's kept mentions (empty when it has none)."""
        lo, hi = self.groups.get(place_id, (0, 0))
        return self.rows[self.starts[lo] : self.starts[hi]]

    def mentions(self, place_id: str) -> list[Mention]:
        """Return the kept mentions of a place, in mention order."""
        positions = np.sort(self.index.position[self._rows_of(place_id)])
        return [self.index.mentions[i] for i in positions.tolist()]

    def provenance(self, place_id: str) -> list[dict[str, Any]]:
        """``_provenance`` of the kept mentions of a place, from the prepared entries."""
        lo, hi = self.groups.get(place_id, (0, 0))
        if lo == hi:
            return []
        entries = self.index.entries[self.group[lo:hi]].tolist()
        partial = np.flatnonzero(self.partial[lo:hi]).tolist()
        if partial:  # the filter dropped some of these articles' mentions of the place
            base, starts = self.starts[lo], self.starts
            quotes = self.index.quotes[self.rows[base : starts[hi]]].tolist()
            for g in partial:
                kept = quotes[starts[lo + g] - base : starts[lo + g + 1] - base]
                entries[g] = {**entries[g], "mentions": kept}
        return entries

    def fallbacks(self, places: Mapping[str, Place]) -> list[tuple[str, Mention]]:
        """``(place id, first kept mention)`` of the kept places not in ``places``.

        In the order of their first kept mention (as the mention list names them).
        """
        found = []
        for place_id in self.groups:
            if place_id not in places:
                first = int(self.index.position[self._rows_of(place_id)].min())
                found.append((first, place_id))
        return [(place_id, self.index.mentions[first]) for first, place_id in sorted(found)]


#: Indexes kept by ``layer_index`` (one per key: the app keeps one per loaded corpus).
MAX_INDEXES = 2
_INDEXES: OrderedDict[Hashable, LayerIndex] = OrderedDict()
_INDEXES_LOCK = threading.Lock()


def layer_index(
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    *,
    key: Hashable | None = None,
) -> LayerIndex:
    """Return the :class:`LayerIndex` of a corpus; with ``key``, reuse the one built for it.

    ``key`` must change whenever the inputs do (the app passes its corpus fingerprint); the
    last ``MAX_INDEXES`` keys are kept. Without ``key`` a new index is built.

    Examples
    --------
    >>> layer_index({}, {}, [], {}, key="empty") is layer_index({}, {}, [], {}, key="empty")
    True
    """
    if key is None:
        return LayerIndex(places, geometries, mentions, articles)
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
        if found is not None and found.fits(mentions, articles):
            _INDEXES.move_to_end(key)
            return found
    built = LayerIndex(places, geometries, mentions, articles)
    with _INDEXES_LOCK:
        _INDEXES[key] = built
        while len(_INDEXES) > MAX_INDEXES:
            _INDEXES.popitem(last=False)
    return built


def build_layers(
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    incidents: Sequence[Incident] = (),
    filters: Filters | None = None,
    context: str = "always",
    *,
    prepared: LayerIndex | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Join places, geometries, mentions and incidents into the map's layers.

    A place becomes a feature when at least one mention passes the filters. Countries of the
    region are context: a gazetteer country whose geometry meets ``settings.REGION_BBOX`` may
    be present with ``mention_count`` 0 when no article names it under the filters (unless the
    kind filter leaves countries out); other countries appear only when mentioned. Whether the
    unmentioned context countries are included is ``context``:

    - ``"always"`` (default, the map): they are the map's backdrop, even for an empty selection;
    - ``"selection"`` (exports): they accompany a selection only when at least one other
      feature (a mentioned country, any other place, an incident) passes the filters, so an
      empty selection (``--since 2030-01-01``) is empty;
    - ``"never"``: only mentioned places. Places of kind
    ``incident`` are drawn from ``incidents``; mentions of them join that feature's
    provenance. Names only the fallback resolved become points in the layer of their kind.

    Parameters
    ----------
    places, geometries
        Gazetteer places and their resolved geometries (``geometry``, ``source``,
        ``precision``, ``geo_precision``, ``lon``, ``lat``), by place id.
    mentions, articles
        Mentions and the articles they point into (for titles, dates and sentences).
    incidents
        Curated and extracted incidents (``geo.incidents.extract_incidents``).
    filters
        What to keep (default: ``Filters()``).
    context
        ``"always"``, ``"selection"`` or ``"never"``: see above.
    prepared
        The :class:`LayerIndex` of these places, geometries, mentions and articles (from
        :func:`layer_index`), reused across filter changes; built here when ``None`` or when
        it was built from another number of mentions or articles. The result is the same
        either way.

    Returns
    -------
    dict[str, geopandas.GeoDataFrame]
        One frame per name of ``LAYER_NAMES`` (possibly empty), EPSG:4326, sorted by id.

    Examples
    --------
    >>> layers = build_layers({}, {}, [], {})
    >>> sorted(len(frame) for frame in layers.values())
    [0, 0, 0, 0, 0, 0]
    """
    filters = filters or Filters()
    if prepared is None or not prepared.fits(mentions, articles):
        prepared = LayerIndex(places, geometries, mentions, articles)
    selected = prepared.select(filters)
    borders = prepared.border_quotes(filters)
    features: list[dict[str, Any]] = []
    for place_id, place in places.items():
        if place.kind == "incident" or not filters.keeps_kind(place.kind):
            continue
        if place_id in selected or place_id in borders or place_id in prepared.regional:
            quotes = borders.get(place_id, ())
            provenance = (
                _provenance(selected.mentions(place_id), articles, quotes)
                if quotes
                else selected.provenance(place_id)
            )
            feature = _place_feature(place, geometries.get(place_id), provenance)
            if feature is not None:
                features.append(feature)
    for place_id, first in selected.fallbacks(places):
        if filters.keeps_kind(first.kind or "settlement"):
            feature = _fallback_feature(first, selected.provenance(place_id))
            if feature is not None:
                features.append(feature)
    if filters.keeps_kind("incident"):
        for incident in incidents:
            feature = _incident_feature(
                incident, geometries, selected.mentions(incident.id), articles, filters
            )
            if feature is not None:
                features.append(feature)
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in LAYER_NAMES}
    for feature in features:
        grouped[feature["layer"]].append(feature)
    return apply_context({name: _frame(name, grouped[name]) for name in LAYER_NAMES}, context)


def _is_context(frame: gpd.GeoDataFrame) -> Any:
    """Boolean mask of the unmentioned context countries of a ``countries`` layer."""
    return frame["mention_count"].fillna(0).astype(int) == 0


def has_selection(layers: Mapping[str, gpd.GeoDataFrame]) -> bool:
    """Whether any feature other than an unmentioned context country passes the filters.

    Examples
    --------
    >>> has_selection(build_layers({}, {}, [], {}))
    False
    """
    for name, frame in layers.items():
        if not len(frame):
            continue
        if name != "countries" or not bool(_is_context(frame).all()):
            return True
    return False


def apply_context(
    layers: Mapping[str, gpd.GeoDataFrame], context: str = "always"
) -> dict[str, gpd.GeoDataFrame]:
    """Keep or drop the unmentioned context countries (see ``build_layers``' ``context``).

    Examples
    --------
    >>> apply_context({}, "sometimes")
    Traceback (most recent call last):
    ...
    geo.layers.FilterError: context 'sometimes' — expected one of always, selection, never
    """
    if context not in CONTEXT_MODES:
        raise FilterError(f"context '{context}' — expected one of {', '.join(CONTEXT_MODES)}")
    out = dict(layers)
    countries = out.get("countries")
    if countries is None or not len(countries) or context == "always":
        return out
    if context == "never" or not has_selection(out):
        kept = countries[~_is_context(countries)]
        out["countries"] = kept if len(kept) else empty_layer("countries")
    return out
