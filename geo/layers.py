"""Layers: places, geometries, mentions and incidents joined into features with provenance."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
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


def _provenance(
    mentions: Iterable[Mention],
    articles: Mapping[str, Article],
    reports: Iterable[Report | BorderQuote] = (),
) -> list[dict[str, Any]]:
    """Mentions and report quotes grouped by article, articles by publication date then id."""
    quotes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        article = articles.get(m.article)
        text = article.text if article else ""
        quotes[m.article].append(
            {
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "role": m.role,
                "sentence": text[m.sentence_start : m.sentence_end],
                "sentence_start": m.sentence_start,
                "sentence_end": m.sentence_end,
            }
        )
    for r in reports:
        quotes[r.article].append(r.as_quote())
    groups = []
    for article_id, items in quotes.items():
        article = articles.get(article_id)
        groups.append(
            {
                "article": article_id,
                "title": article.title if article else None,
                "outlet": article.outlet if article else None,
                "published": published_iso(article),
                "mentions": sorted(items, key=lambda q: (q["start"], q["end"])),
            }
        )
    return sorted(groups, key=lambda g: (g["published"] or "9999", g["article"]))


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
    place: Place,
    resolved: Any,
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    quotes: Sequence[Any] = (),
) -> dict[str, Any] | None:
    """One place feature, or ``None`` when it has no geometry to draw."""
    geometry = getattr(resolved, "geometry", None)
    if geometry is None or geometry.is_empty:
        return None
    provenance = _provenance(mentions, articles, quotes)
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


def _fallback_feature(
    mentions: Sequence[Mention], articles: Mapping[str, Article]
) -> dict[str, Any] | None:
    """Build a feature for a place only the fallback resolved (a point from the mentions)."""
    first = mentions[0]
    if first.lon is None or first.lat is None:
        return None
    geometry = Point(first.lon, first.lat)
    provenance = _provenance(mentions, articles)
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


def build_layers(
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    incidents: Sequence[Incident] = (),
    filters: Filters | None = None,
    context: str = "always",
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
    by_place: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        if filters.keeps_mention(m, articles.get(m.article)):
            by_place[m.place_id].append(m)  # type: ignore[index]
    borders = border_quotes(places, mentions, articles, filters)
    features: list[dict[str, Any]] = []
    for place_id, place in places.items():
        if place.kind == "incident" or not filters.keeps_kind(place.kind):
            continue
        linked = place_id in by_place or place_id in borders
        if linked or _regional_country(place, geometries.get(place_id)):
            feature = _place_feature(
                place,
                geometries.get(place_id),
                by_place.get(place_id, []),
                articles,
                borders.get(place_id, ()),
            )
            if feature is not None:
                features.append(feature)
    for place_id, found in by_place.items():
        if place_id not in places and filters.keeps_kind(found[0].kind or "settlement"):
            feature = _fallback_feature(found, articles)
            if feature is not None:
                features.append(feature)
    if filters.keeps_kind("incident"):
        for incident in incidents:
            feature = _incident_feature(
                incident, geometries, by_place.get(incident.id, []), articles, filters
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
