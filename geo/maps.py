"""The folium map: styles, escaped popups and tooltips, legend, layer control, offline assets."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from geo.errors import GeoError
from geo.reader import KIND_COLORS, OTHER_COLOR, article_href, escape_text

# --------------------------------------------------------------------------------------------
# Offline assets
# --------------------------------------------------------------------------------------------

#: URL prefix under which Streamlit serves ``static/vendor`` (``enableStaticServing``).
VENDOR_PREFIX = "/app/static/vendor"

#: folium's asset names (``default_js``/``default_css`` keys) → file inside ``node_modules``.
#: ``None`` drops an asset that has no registry package and that refmap's maps never use.
LOCAL_ASSETS: dict[str, str | None] = {
    "leaflet": "leaflet/dist/leaflet.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "@fortawesome/fontawesome-free/css/all.min.css",
    "glyphicons_css": None,  # Bootstrap 3 glyph icons: only for Icon(prefix="glyphicon")
    "awesome_rotate_css": None,  # only for Icon(angle=...); lives in folium's GitHub repo
}

#: Everything ``scripts/install_assets.py`` copies from ``node_modules`` to ``static/vendor``:
#: the files above plus the folders their CSS points at (marker images, icon fonts).
VENDOR_FILES: tuple[str, ...] = (
    *(path for path in LOCAL_ASSETS.values() if path),
    "leaflet/dist/images",
    "leaflet.awesome-markers/dist/images",
    "@fortawesome/fontawesome-free/webfonts",
)

#: The only assets refmap's own maps need (no jQuery, Bootstrap or icon fonts).
LEAN_JS = ("leaflet",)
LEAN_CSS = ("leaflet_css",)


class AssetError(GeoError, ValueError):
    """A folium element asks for a CDN file that has no local copy in ``LOCAL_ASSETS``."""


def local_url(name: str, prefix: str = VENDOR_PREFIX) -> str | None:
    """Local URL of folium asset ``name``; ``None`` when the asset is deliberately dropped.

    Examples
    --------
    >>> local_url("leaflet")
    '/app/static/vendor/leaflet/dist/leaflet.js'
    >>> local_url("glyphicons_css") is None
    True
    >>> local_url("d3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.maps.AssetError: folium asset 'd3' has no local copy — expected one of leaflet, ...
    """
    if name not in LOCAL_ASSETS:
        raise AssetError(
            f"folium asset {name!r} has no local copy — expected one of "
            f"{', '.join(LOCAL_ASSETS)}; add it to package.json and geo.maps.LOCAL_ASSETS, "
            "then run scripts/install_assets.py"
        )
    path = LOCAL_ASSETS[name]
    return None if path is None else f"{prefix.rstrip('/')}/{path}"


def localize_assets(root: Element, prefix: str = VENDOR_PREFIX, *, lean: bool = False) -> None:
    """Point every ``default_js``/``default_css`` in ``root``'s tree at local copies, in place.

    With ``lean=True`` the map itself keeps only Leaflet (refmap's maps need no jQuery,
    Bootstrap or icon fonts), which keeps the page small. Raises ``AssetError`` for an asset
    with no local copy, so a new plugin cannot silently bring a CDN back.
    """
    for element in _walk(root):
        for attr, lean_names in (("default_js", LEAN_JS), ("default_css", LEAN_CSS)):
            assets = getattr(element, attr, None)
            if not assets:
                continue
            if lean and isinstance(element, folium.Map):
                assets = [(n, u) for n, u in assets if n in lean_names]
            local = [(n, local_url(n, prefix)) for n, _ in assets]
            setattr(element, attr, [(n, u) for n, u in local if u is not None])


def _walk(element: Element) -> Iterable[Element]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def asset_urls(root: Element) -> list[str]:
    """Every JS/CSS URL the elements of ``root``'s tree ask the browser to load (in order)."""
    urls: list[str] = []
    for element in _walk(root):
        for attr in ("default_js", "default_css"):
            urls.extend(url for _, url in getattr(element, attr, []) or [])
    return list(dict.fromkeys(urls))


# --------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------


def kind_scale(kinds: Iterable[str]) -> tuple[list[str], list[str]]:
    """Domain and colours of a chart's ``kind`` scale: the map's colours, one per kind.

    Charts (Altair) use this so a kind has the same colour on the map and in every chart.

    Examples
    --------
    >>> kind_scale(["settlement", "mystery"])
    (['settlement', 'mystery'], ['#1f6fb4', '#6c757d'])
    >>> kind_scale([])
    ([], [])
    """
    domain = list(dict.fromkeys(str(k) for k in kinds))
    return domain, [KIND_COLORS.get(k, OTHER_COLOR) for k in domain]


#: Line pattern per status: what exists is solid, what is only talked about is broken.
STATUS_DASHES: dict[str, str | None] = {
    "existing": None,
    "proposed": "10 7",
    "claimed": "12 5 2 5",
    "disputed": "12 4 2 4 2 4",
    "closed": "2 6",
    "former": "2 3 2 9",
}

#: Regions larger than this (km²) are context (continents, Eurasia...): outline only, drawn
#: under everything else and listed in their own layer, off by default.
LARGE_REGION_KM2 = 500_000.0

#: Title of the layer that holds the continent-scale regions.
CONTEXT_LAYER_TITLE = "Large regions (context)"

#: How sure the geometry is: exact features are full strength; approximate and schematic ones
#: are paler, thinner and have paler fills, so nobody reads them as surveyed lines.
PRECISION_LOOK: dict[str, dict[str, float]] = {
    "exact": {"opacity": 0.95, "fillOpacity": 0.30, "weight": 3.0},
    "approximate": {"opacity": 0.70, "fillOpacity": 0.12, "weight": 2.5},
    "schematic": {"opacity": 0.55, "fillOpacity": 0.06, "weight": 2.0},
}

#: Human titles for the layers (``geo.layers.LAYER_NAMES``); unknown names are title-cased.
LAYER_TITLES: dict[str, str] = {
    "countries": "Countries",
    "regions": "Regions",
    "settlements": "Settlements",
    "places": "Places",
    "corridors": "Corridors & routes",
    "borders": "Borders",
    "incidents": "Incidents",
    "water": "Water",
    "landmarks": "Landmarks",
    "fallback": "Fallback-resolved names",
}


def style_for(
    kind: str | None,
    status: str | None = None,
    precision: str | None = None,
    geo_precision: int | None = None,
    geom_type: str = "Point",
    source: str | None = None,
    context: bool = False,
) -> dict[str, Any]:
    """Leaflet path options for one feature: colour by kind, dashes by status, look by precision.

    Points and polygons are filled (so a click anywhere on a disc or an area hits it);
    region-level points (``geo_precision`` 3) become large, barely filled rings; approximate
    polygons get a dotted outline even when their status is unknown. ``context`` areas
    (continent-scale or union regions, see :func:`is_context_area`) are outlines only.

    Examples
    --------
    >>> style_for("corridor", "proposed", "schematic", geom_type="LineString")["dashArray"]
    '10 7'
    >>> style_for("settlement")["radius"], style_for("settlement", geo_precision=3)["radius"]
    (6, 14)
    >>> style_for(None)["color"]
    '#6c757d'
    """
    color = KIND_COLORS.get(kind or "", OTHER_COLOR)
    look = PRECISION_LOOK.get(precision or "exact", PRECISION_LOOK["exact"])
    dash = STATUS_DASHES.get(status or "existing")
    style: dict[str, Any] = {"color": color, "fillColor": color, "fill": True, **look}
    if geom_type.endswith("Polygon"):
        style["weight"] = max(1.5, look["weight"] - 1)
        if context:  # a continent or a union of countries: where, not what happened there
            style.update(fill=False, weight=1.5, opacity=min(look["opacity"], 0.6))
        elif kind == "country":  # context, not news: an outline over the basemap
            # an invisible fill: the whole country stays clickable, but the basemap shows
            # through unchanged (a tint would show where the regional data is clipped)
            style["fillOpacity"] = 0.0
        else:  # large areas must not drown the points and lines drawn over them
            style["fillOpacity"] = min(look["fillOpacity"], 0.18)
        if dash is None and precision in ("approximate", "schematic"):
            dash = "3 5"
    elif geom_type.endswith("Point"):
        region_level = geo_precision == 3
        style.update(
            radius=14 if region_level else 6 if geo_precision in (None, 1) else 9,
            weight=2.0,
            fillOpacity=0.12 if region_level else min(0.85, look["fillOpacity"] + 0.55),
        )
        if region_level and dash is None:
            dash = "4 4"
    else:  # lines: make every line a little thicker than polygon outlines
        style.update(weight=look["weight"] + 1.0, fill=False)
    if source == "fallback":  # resolved by GeoNames, not by the analyst: hollow and dotted
        style.update(fillOpacity=0.15, dashArray="2 3", weight=2.0)
        return style
    if dash:
        style["dashArray"] = dash
    return style


# --------------------------------------------------------------------------------------------
# Popups and tooltips
# --------------------------------------------------------------------------------------------

MAX_ARTICLES_IN_POPUP = 6
MAX_QUOTES_PER_ARTICLE = 4
MAX_QUOTE_CHARS = 260
#: About how many quotes all the popups of one map may carry (~0.4 kB each with their links).
#: The map's page holds every popup, so a map of a thousand places shows fewer per popup.
POPUP_QUOTE_BUDGET = 3000
#: (articles per popup, quotes per article), most generous first.
POPUP_LIMITS = ((6, 4), (4, 3), (3, 2), (2, 2), (2, 1))


def popup_limits(features: int) -> tuple[int, int]:
    """Articles per popup and quotes per article for a map of ``features`` features.

    The most generous limits whose worst case fits ``POPUP_QUOTE_BUDGET``; never fewer than
    two articles with one quote each (every popup says how many more there are).

    Examples
    --------
    >>> popup_limits(40), popup_limits(300), popup_limits(1500), popup_limits(0)
    ((6, 4), (3, 2), (2, 1), (6, 4))
    """
    for articles, quotes in POPUP_LIMITS:
        if features * articles * quotes <= POPUP_QUOTE_BUDGET:
            return articles, quotes
    return POPUP_LIMITS[-1]


def quote_html(sentence: str, start: int, end: int) -> str:
    """Escaped sentence with ``sentence[start:end]`` wrapped in ``<mark>``, trimmed around it.

    Offsets are relative to the sentence; offsets that do not fit show the sentence unmarked.

    Examples
    --------
    >>> quote_html("Troops entered <Goris> today.", 15, 22)
    'Troops entered <mark>&lt;Goris&gt;</mark> today.'
    >>> quote_html("", 0, 0)
    ''
    >>> quote_html("abc", 5, 9)
    'abc'
    """
    sentence = " ".join(sentence.split(" ")) if sentence else ""
    if not (0 <= start < end <= len(sentence)):
        return escape_text(_trim(sentence, 0, MAX_QUOTE_CHARS))
    lo, hi = _window(len(sentence), start, end, MAX_QUOTE_CHARS)
    before, marked, after = sentence[lo:start], sentence[start:end], sentence[end:hi]
    return (
        ("…" if lo > 0 else "")
        + escape_text(_squash(before))
        + f"<mark>{escape_text(marked)}</mark>"
        + escape_text(_squash(after))
        + ("…" if hi < len(sentence) else "")
    )


def _squash(text: str) -> str:
    return " ".join(text.split()) if "\n" in text else text


def _window(length: int, start: int, end: int, size: int) -> tuple[int, int]:
    if length <= size:
        return 0, length
    room = max(0, size - (end - start))
    lo = max(0, start - room // 2)
    hi = min(length, end + (room - (start - lo)))
    return lo, hi


def _trim(text: str, lo: int, size: int) -> str:
    return text[lo : lo + size] + ("…" if len(text) > lo + size else "")


def _date_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "undated"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text[:10] if text and text != "NaT" else "undated"


def popup_html(
    row: Mapping[str, Any],
    *,
    link_base: str = "/",
    link_target: str = "_blank",
    limits: tuple[int, int] = (MAX_ARTICLES_IN_POPUP, MAX_QUOTES_PER_ARTICLE),
) -> str:
    """Build the popup of one feature: what it is, then its quoting sentences by article.

    Every value from the data is escaped; each quote links to the article view at that mention
    (``?article=<id>&at=<offset>``). ``limits`` = (articles, quotes per article) shown; the
    popup counts the rest.

    Examples
    --------
    >>> out = popup_html({"name": "<b>X</b>", "kind": "settlement", "provenance": []})
    >>> "&lt;b&gt;X&lt;/b&gt;" in out and "<b>X</b>" not in out
    True
    """
    parts = [f'<div class="rm-pop"><div class="rm-pop-h">{escape_text(row.get("name"))}</div>']
    parts.append(f'<div class="rm-pop-meta">{escape_text(_describe(row))}</div>')
    if row.get("kind") == "incident":
        parts.append(_incident_html(row))
    provenance = list(row.get("provenance") or [])
    if not provenance:
        parts.append(
            '<div class="rm-pop-none">No quoting sentence under the current filters.</div>'
        )
    max_articles, max_quotes = limits
    for entry in provenance[:max_articles]:
        parts.append(_article_html(entry, link_base, link_target, max_quotes))
    if len(provenance) > max_articles:
        parts.append(
            f'<div class="rm-pop-more">+{len(provenance) - max_articles} more '
            "article(s): see the sidebar filters or the article list.</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def _describe(row: Mapping[str, Any]) -> str:
    bits = [str(row.get("kind") or "place")]
    for key in ("status", "precision"):
        if _present(row.get(key)):
            bits.append(str(row[key]))
    if _present(row.get("geo_precision")):
        level = int(row["geo_precision"])
        bits.append({1: "town-level", 2: "near a town", 3: "region-level"}.get(level, ""))
    if _present(row.get("source")):
        bits.append(f"geometry: {row['source']}")
    claimed = row.get("claimed_by")
    if claimed is not None and _present(claimed) and len(claimed):
        bits.append("claimed by " + ", ".join(map(str, claimed)))
    counts = []
    if _present(row.get("mention_count")):
        counts.append(f"{int(row['mention_count'])} mention(s)")
    if _present(row.get("article_count")):
        counts.append(f"{int(row['article_count'])} article(s)")
    return " · ".join(b for b in bits if b) + (" — " + ", ".join(counts) if counts else "")


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value)


def _incident_html(row: Mapping[str, Any]) -> str:
    out = [f'<div class="rm-pop-inc">{escape_text(_date_text(row.get("date")))}']
    if _present(row.get("date_precision")):
        out.append(f" (±{escape_text(row['date_precision'])})")
    if _present(row.get("description")):
        out.append(f": {escape_text(row['description'])}")
    out.append("</div>")
    disagreements = row.get("disagreements")
    if disagreements is not None and _present(disagreements) and len(disagreements):
        items = "".join(f"<li>{escape_text(_as_text(d))}</li>" for d in disagreements)
        out.append(f'<div class="rm-pop-dis">Reports disagree:<ul>{items}</ul></div>')
    return "".join(out)


def _as_text(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _article_html(
    entry: Mapping[str, Any], link_base: str, link_target: str, max_quotes: int
) -> str:
    article = str(entry.get("article", ""))
    head = " · ".join(
        escape_text(x)
        for x in (entry.get("outlet") or "unknown outlet", _date_text(entry.get("published")))
    )
    title = escape_text(entry.get("title") or article)
    out = [f'<div class="rm-pop-art"><div class="rm-pop-src">{head}</div>']
    out.append(f'<div class="rm-pop-title">{title}</div><ul>')
    mentions = list(entry.get("mentions") or [])
    for m in mentions[:max_quotes]:
        s0 = int(m.get("sentence_start", m.get("start", 0)))
        quote_text = quote_html(
            str(m.get("sentence") or m.get("surface") or ""),
            int(m.get("start", 0)) - s0,
            int(m.get("end", 0)) - s0,
        )
        href = escape_text(article_href(link_base, article, at=int(m.get("start", 0))))
        role = m.get("role")
        role_tag = (
            f' <span class="rm-role">{escape_text(role)}</span>'
            if role and role != "locative"
            else ""
        )
        out.append(
            f"<li>{quote_text}{role_tag} "
            f'<a class="rm-open" href="{href}" target="{escape_text(link_target)}" '
            'rel="noopener noreferrer">open&nbsp;›</a></li>'
        )
    out.append("</ul>")
    if len(mentions) > max_quotes:
        out.append(f'<div class="rm-pop-more">+{len(mentions) - max_quotes} more</div>')
    out.append("</div>")
    return "".join(out)


def tooltip_html(row: Mapping[str, Any]) -> str:
    """Escaped one-line tooltip: the name, then kind/status/precision in grey.

    Examples
    --------
    >>> tooltip_html({"name": "Goris", "kind": "settlement"})
    '<b>Goris</b> <span class="rm-tip">settlement</span>'
    """
    bits = [row.get("kind") or "place"]
    for key in ("status", "precision"):
        if _present(row.get(key)) and row[key] not in ("existing", "exact"):
            bits.append(row[key])
    if row.get("kind") == "incident" and _present(row.get("date")):
        bits.append(_date_text(row.get("date")))
    return (
        f"<b>{escape_text(row.get('name'))}</b> "
        f'<span class="rm-tip">{escape_text(" · ".join(map(str, bits)))}</span>'
    )


# --------------------------------------------------------------------------------------------
# Basemap (offline, from the bundled boundaries)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Basemap:
    """Offline basemap ready to draw: GeoJSON dicts plus label points ``(lat, lon, text, cls)``."""

    countries: dict[str, Any] | None = None
    admin1: dict[str, Any] | None = None
    labels: tuple[tuple[float, float, str, str], ...] = field(default_factory=tuple)


def prepare_basemap(
    boundaries: Any,
    *,
    region: tuple[float, float, float, float] | None = None,
    near_deg: float = 12.0,
    detail_tolerance: float = 0.005,
    near_tolerance: float = 0.03,
    far_tolerance: float = 0.2,
) -> Basemap:
    """Simplify the bundled boundaries into a light offline basemap (pure; cache the result).

    ``boundaries`` is a ``geo.boundaries.Boundaries`` (GeoDataFrames ``countries``, ``world``,
    ``admin1``); missing frames are skipped. Detail falls off with distance from ``region``
    (default ``settings.REGION_BBOX``): the regional countries and their subdivisions keep
    ~0.5 km, shapes within ``near_deg`` degrees ~3 km, the rest of the world ~20 km (tiny
    islands dropped), so the whole world costs a few hundred kB in the page.

    The regional countries are clipped to ``settings.REGION_BBOX``: they are filled without
    stroke and outlined by separate ``tier: outline`` lines that leave out the box's edges,
    so no straight fake border shows where the data was cut. Beyond the box the same six
    countries come from the coarse ``world_regional`` frame (if present) minus the box, drawn
    the same way (``tier: countries`` fill with ``context: beyond_box``, outlines without the
    box edges) beneath the detailed ones, so land runs on across the box edge.
    """
    import shapely
    from shapely.geometry import box

    from geo import settings

    min_lon, min_lat, max_lon, max_lat = region or settings.REGION_BBOX
    near = box(min_lon - near_deg, min_lat - near_deg, max_lon + near_deg, max_lat + near_deg)
    features: list[dict[str, Any]] = []
    labels: list[tuple[float, float, str, str]] = []
    world = getattr(boundaries, "world", None)
    if world is not None and len(world):
        is_near = shapely.intersects(world.geometry.values, near)
        features += _features(world[is_near], near_tolerance, 2, {"tier": "world"})
        far = world[~is_near].copy()
        far["geometry"] = [_drop_specks(g, far_tolerance**2) for g in far.geometry]
        features += _features(far, far_tolerance, 1, {"tier": "world"})
    context_fills, context_outlines = _beyond_box_features(
        _coarsen_far(getattr(boundaries, "world_regional", None), near, far_tolerance),
        settings.REGION_BBOX,
        2,
    )
    features += context_fills
    countries = getattr(boundaries, "countries", None)
    regional: set[str] = set()
    if countries is not None and len(countries):
        features += _features(countries, detail_tolerance, 3, {"tier": "countries"})
        features += _outline_features(countries, detail_tolerance, 3, {"tier": "outline"})
        labels += _labels(countries, "name", "rm-label-country")
        regional = set(countries.get("iso_a3", []))
    features += context_outlines
    admin1 = getattr(boundaries, "admin1", None)
    admin1_features: list[dict[str, Any]] = []
    if admin1 is not None and len(admin1):
        local = admin1["adm0_a3"].isin(regional) if "adm0_a3" in admin1 else admin1.index < 0
        admin1_features += _features(admin1[local], detail_tolerance, 3, {})
        admin1_features += _features(admin1[~local], far_tolerance / 2, 2, {})
        name_col = "name_en" if "name_en" in admin1.columns else "name"
        labels += _labels(admin1, name_col, "rm-label-admin1")
    return Basemap(
        countries=_collection(features) if features else None,
        admin1=_collection(admin1_features) if admin1_features else None,
        labels=tuple(labels),
    )


def _coarsen_far(gdf: Any, near: Any, tolerance: float) -> Any:
    """Simplify the parts of ``gdf``'s shapes that lie outside ``near`` to ``tolerance`` degrees.

    For the regional countries drawn beyond the detailed box: Russia's Arctic coast is most of
    their weight, yet seen only at world zoom. Inside ``near`` the shapes, and the edges the
    countries share there, stay as they are. Tiny far islands are dropped.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon, box
    >>> wiggly = Polygon([(0, 0), (20, 0), (20, 1), (15, 1.01), (10, 1), (3, 1.01), (0, 1)])
    >>> near = box(-1, -1, 5, 2)
    >>> out = _coarsen_far(gpd.GeoDataFrame(geometry=[wiggly]), near, 0.2).geometry[0]
    >>> (15.0, 1.01) in out.exterior.coords  # far wiggle simplified away
    False
    >>> out.intersection(near).equals(wiggly.intersection(near))  # near part untouched
    True
    """
    import shapely

    if gdf is None or not len(gdf):
        return gdf
    out = gdf.copy()
    inside = shapely.intersection(gdf.geometry.values, near)
    far = shapely.difference(gdf.geometry.values, near)
    far = shapely.simplify(far, tolerance, preserve_topology=True)
    far = [_drop_specks(g, tolerance**2) for g in far]
    out["geometry"] = shapely.union(inside, far, grid_size=None)
    return out


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _drop_specks(geom: Any, min_area: float) -> Any:
    """Drop the parts of a multipolygon smaller than ``min_area`` (keep the largest part)."""
    from shapely.geometry import MultiPolygon

    if geom is None or geom.geom_type != "MultiPolygon":
        return geom
    parts = [p for p in geom.geoms if p.area >= min_area]
    if not parts:
        parts = [max(geom.geoms, key=lambda p: p.area)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _features(
    gdf: Any, tolerance: float, digits: int, extra: Mapping[str, str]
) -> list[dict[str, Any]]:
    import shapely

    out = []
    geoms = shapely.simplify(gdf.geometry.values, tolerance, preserve_topology=True)
    names = gdf["name"] if "name" in gdf.columns else [None] * len(gdf)
    for name, geom in zip(names, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": _round(shapely.geometry.mapping(geom), digits),
                "properties": {"name": _jsonable(name), **extra},
            }
        )
    return out


def _outline_features(
    gdf: Any, tolerance: float, digits: int, extra: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Build the true outlines of (clipped) polygons: boundaries minus the clip box's edges."""
    import shapely

    out = []
    for geom in gdf.geometry.values:
        if geom is None or geom.is_empty:
            continue
        line = clip_free_outline(geom)  # on the full geometry: simplifying moves the box edges
        line = geom.boundary if line is None else line
        line = shapely.simplify(line, tolerance, preserve_topology=True)
        if not line.is_empty:
            out.append(
                {
                    "type": "Feature",
                    "geometry": _round(shapely.geometry.mapping(line), digits),
                    "properties": dict(extra),
                }
            )
    return out


def _beyond_box_features(
    gdf: Any, clip_box: tuple[float, float, float, float], digits: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Build the fills and outline of the coarse regional countries outside ``clip_box``.

    ``gdf`` holds the regional countries whole at world resolution (already coarse, so not
    simplified again: neighbours keep their shared edges identical). Each is cut to what lies
    outside the box and filled like the detailed countries (``tier: countries``, no stroke);
    their outlines are merged into one ``tier: outline`` line without the box's edges, so no
    border is drawn twice and none runs along the cut. Returns ``([], [])`` for no frame.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> turkey = gpd.GeoDataFrame({"name": ["T"]}, geometry=[box(40, 38, 44, 40)])
    >>> fills, lines = _beyond_box_features(turkey, (42, 36.5, 52, 43.5), 2)
    >>> fills[0]["geometry"]["coordinates"][0]
    [[40.0, 38.0], [40.0, 40.0], [42.0, 40.0], [42.0, 38.0], [40.0, 38.0]]
    >>> sorted(map(tuple, lines[0]["geometry"]["coordinates"]))
    [(40.0, 38.0), (40.0, 40.0), (42.0, 38.0), (42.0, 40.0)]
    """
    import shapely
    from shapely.geometry import box

    if gdf is None or not len(gdf):
        return [], []
    outside = gdf.copy()
    outside["geometry"] = shapely.difference(gdf.geometry.values, box(*clip_box))
    outside = outside[~outside.geometry.is_empty]
    fills = _features(outside, 0.0, digits, {"tier": "countries", "context": "beyond_box"})
    lines = []
    for geom in outside.geometry.values:
        line = clip_free_outline(geom, clip_box)
        lines.append(geom.boundary if line is None else line)
    merged = shapely.line_merge(shapely.union_all(lines)) if lines else None
    if merged is None or merged.is_empty:
        return fills, []
    outline = {
        "type": "Feature",
        "geometry": _round(shapely.geometry.mapping(merged), digits),
        "properties": {"tier": "outline", "context": "beyond_box"},
    }
    return fills, [outline]


def _labels(gdf: Any, column: str, css: str) -> list[tuple[float, float, str, str]]:
    if column not in gdf.columns:
        return []
    out = []
    for name, geom in zip(gdf[column], gdf.geometry, strict=True):
        if geom is None or geom.is_empty or not _present(name):
            continue
        point = geom.representative_point()
        out.append((round(point.y, 3), round(point.x, 3), escape_text(name), css))
    return out


def _round(obj: Any, digits: int) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_round(x, digits) for x in obj]
    if isinstance(obj, Mapping):
        return {k: _round(v, digits) for k, v in obj.items()}
    return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --------------------------------------------------------------------------------------------
# Custom elements
# --------------------------------------------------------------------------------------------


class LabelLayer(folium.map.Layer):
    """Non-interactive text labels (``L.divIcon``) from ``(lat, lon, escaped_html, css)`` rows."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.layerGroup();
            {{ this.labels|tojson }}.forEach(function (l) {
                L.marker([l[0], l[1]], {
                    icon: L.divIcon({className: "rm-label " + l[3], html: l[2],
                                     iconSize: null}),
                    interactive: false, keyboard: false, pane: {{ this.pane|tojson }}
                }).addTo({{ this.get_name() }});
            });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        labels: Sequence[tuple[float, float, str, str]],
        name: str,
        *,
        pane: str = "markerPane",
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "LabelLayer"
        self.labels = [list(label) for label in labels]
        self.pane = pane


class BoundedGeoJson(folium.GeoJson):
    """A ``folium.GeoJson`` that measures its bounds once, when built.

    streamlit-folium asks the map for its bounds on every rerun, and folium walks every
    coordinate in Python to answer; the map is built once per filter set (and cached), so
    measuring then makes each rerun that much cheaper.
    """

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.measured_bounds = super()._get_self_bounds()

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self.measured_bounds


#: Held while a map is rendered for embedding: folium maps change as they render, so an app
#: that records one rendering for many sessions (app.py's ``show_map``) renders one at a time.
RENDERING = threading.Lock()


def share_compiled_templates() -> None:
    """Compile each of branca's element templates once per process, not once per render.

    Rendering a folium map creates a branca ``Element`` for every script and style link, and
    each compiles its (identical) Jinja source again: about a third of a rerun's render time.
    A compiled ``jinja2.Template`` is immutable, so one per source text is shared. Idempotent.
    """
    import functools

    import branca.element

    original = branca.element.Template
    if getattr(original, "refmap_shared", False):
        return
    compile_template = functools.lru_cache(maxsize=1024)(original)

    def shared(source: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(source, *args, **kwargs)
        return compile_template(source)

    shared.refmap_shared = True  # type: ignore[attr-defined]
    branca.element.Template = shared  # type: ignore[assignment,misc]


class RemoteBasemap(folium.map.Layer):
    """One part (``countries``/``admin1``/``labels``) of a basemap JSON the browser fetches once.

    The page then carries no boundary data: the file is served by Streamlit's static serving,
    downloaded once and cached by the browser across reruns.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {% if this.part == "labels" %}L.layerGroup()
                {% else %}L.geoJson(null, {pane: {{ this.pane|tojson }}, interactive: false,
                    style: function (f) {
                        var s = {{ this.styles|tojson }};
                        return s[f.properties.tier] || s["default"];
                    }}){% endif %};
            window.rmBasemap = window.rmBasemap || fetch({{ this.url|tojson }})
                .then(function (r) { return r.json(); });
            window.rmBasemap.then(function (d) {
                {% if this.part == "labels" %}
                (d.labels || []).forEach(function (l) {
                    L.marker([l[0], l[1]], {
                        icon: L.divIcon({className: "rm-label " + l[3], html: l[2],
                                         iconSize: null}),
                        interactive: false, keyboard: false, pane: {{ this.pane|tojson }}
                    }).addTo({{ this.get_name() }});
                });
                {% else %}
                var part = d[{{ this.part|tojson }}];
                if (part) { {{ this.get_name() }}.addData(part); }
                {% endif %}
            });
        {% endmacro %}
        """
    )

    def __init__(
        self, url: str, part: str, name: str, *, pane: str, styles: Mapping[str, Any]
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "RemoteBasemap"
        self.url = url
        self.part = part
        self.pane = pane
        self.styles = dict(styles)


#: Version of the basemap JSON layout; the app names its cached file after it, so a browser
#: never combines a new page with an old file.
BASEMAP_FORMAT = 6


def basemap_json(basemap: Basemap) -> str:
    """Serialise the basemap as one compact JSON document (countries, admin1, labels).

    Examples
    --------
    >>> basemap_json(Basemap())
    '{"countries":null,"admin1":null,"labels":[]}'
    """
    return json.dumps(
        {"countries": basemap.countries, "admin1": basemap.admin1, "labels": basemap.labels},
        separators=(",", ":"),
        ensure_ascii=False,
    )


#: Basemap styles by ``tier`` (regional countries drawn crisper than the rest of the world;
#: their outlines are separate lines, so the edges of the clip box are never stroked).
COUNTRY_STYLES = {
    "countries": {"stroke": False, "fillColor": "#f7f5ef", "fillOpacity": 1.0},
    "outline": {"color": "#8a96a3", "weight": 1.2, "fill": False},
    "default": {"color": "#a3adb8", "weight": 0.6, "fillColor": "#eeece6", "fillOpacity": 1.0},
}
ADMIN1_STYLES = {"default": {"color": "#9aa5b1", "weight": 0.8, "dashArray": "4 3", "fill": False}}


class MapChrome(MacroElement):
    """The legend (a Leaflet control), zoom-dependent label classes and the page's CSS."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function (map) {
                {% if this.legend %}
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "rm-legend");
                    div.innerHTML = {{ this.legend|tojson }};
                    div.title = "Click the heading to fold the legend";
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                };
                legend.addTo(map);
                {% endif %}
                function zoomClasses() {
                    var z = map.getZoom(), c = map.getContainer().classList;
                    c.toggle("rm-hide-admin1", z < 7);
                    c.toggle("rm-hide-country", z < 4);
                }
                map.on("zoomend", zoomClasses);
                zoomClasses();
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend: str | None, css: str) -> None:
        super().__init__()
        self._name = "MapChrome"
        self.legend = legend
        self.css = css


MAP_CSS = """
.leaflet-container { background: #dbe7ef; font: 13px/1.4 system-ui, -apple-system,
  "Segoe UI", Roboto, sans-serif; }
.rm-label { white-space: nowrap; pointer-events: none; color: #44505c;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; transform: translate(-50%, -50%); }
.rm-label-country { font-size: 13px; font-weight: 600; letter-spacing: .08em;
  text-transform: uppercase; color: #5a6570; }
.rm-label-admin1 { font-size: 11px; font-style: italic; color: #6b7680; }
.rm-hide-admin1 .rm-label-admin1, .rm-hide-country .rm-label-country { display: none; }
.rm-legend { background: rgba(255,255,255,.9); padding: 3px 7px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.25); max-width: 250px; color: #222; line-height: 1.2; }
.rm-legend summary { cursor: pointer; font-weight: 600; font-size: 12px; }
.rm-legend b { display: block; margin: 3px 0 1px; font-size: 11px; color: #555; }
.rm-legend .rm-grid { display: grid; grid-template-columns: auto auto; column-gap: 8px; }
.rm-legend .rm-row { display: flex; align-items: center; gap: 4px; font-size: 11px; }
.rm-label-found { font-size: 13px; font-weight: 700; color: #a14f00;
  transform: translate(-50%, -190%); }
.rm-legend svg { flex: none; }
.rm-pop { max-width: 400px; font-size: 12.5px; color: #222; }
.rm-pop-h { font-weight: 700; font-size: 14px; }
.rm-pop-meta { color: #555; margin: 2px 0 6px; }
.rm-pop-inc { margin-bottom: 4px; }
.rm-pop-art { border-top: 1px solid #e3e3e3; padding-top: 4px; margin-top: 4px; }
.rm-pop-src { color: #555; font-size: 11.5px; text-transform: uppercase; letter-spacing: .03em; }
.rm-pop-title { font-style: italic; margin-bottom: 2px; }
.rm-pop ul { margin: 2px 0 2px 16px; padding: 0; }
.rm-pop li { margin: 2px 0; }
.rm-pop mark { background: #ffe58a; padding: 0 1px; }
.rm-pop .rm-role { font-size: 10.5px; color: #fff; background: #888; border-radius: 3px;
  padding: 0 3px; }
.rm-pop a.rm-open { white-space: nowrap; font-weight: 600; }
.rm-pop-more, .rm-pop-none { color: #777; font-style: italic; }
.rm-tip { color: #666; }
"""


def legend_html(
    kinds: Iterable[str],
    statuses: Iterable[str],
    precisions: Iterable[str],
    *,
    fallback: bool = False,
) -> str:
    """Legend for the kinds, statuses and precisions on the map (labels escaped).

    Examples
    --------
    >>> "<script>" in legend_html(["<script>"], [], [])
    False
    >>> legend_html([], [], [])
    ''
    """
    kinds, statuses, precisions = list(kinds), list(statuses), list(precisions)
    if not (kinds or statuses or precisions):
        return ""
    rows = []
    if kinds:
        rows.append("<b>Kind</b>")
        cells = [_legend_row(_swatch(style_for(k, geom_type="Polygon")), k) for k in kinds]
        rows.append(f'<div class="rm-grid">{"".join(cells)}</div>')
    if statuses:
        rows.append("<b>Status</b>")
        cells = [
            _legend_row(_line(style_for("other", s, geom_type="LineString") | {"color": "#333"}), s)
            for s in statuses
        ]
        rows.append(f'<div class="rm-grid">{"".join(cells)}</div>')
    if precisions:
        rows.append("<b>Geometry precision</b>")
        cells = [
            _legend_row(_swatch(style_for("region", None, p, geom_type="Polygon")), p)
            for p in precisions
        ]
        cells.append(_legend_row(_ring(), "region-level point"))
        rows.append(f'<div class="rm-grid">{"".join(cells)}</div>')
    if fallback:
        rows.append(_legend_row(_ring("#1f6fb4", "2 3"), "found by the GeoNames fallback"))
    return f"<details open><summary>Legend</summary>{''.join(rows)}</details>"


def _legend_row(svg: str, label: str) -> str:
    return f'<div class="rm-row">{svg}<span>{escape_text(label)}</span></div>'


def _swatch(style: Mapping[str, Any]) -> str:
    dash = f' stroke-dasharray="{escape_text(style["dashArray"])}"' if "dashArray" in style else ""
    return (
        '<svg width="22" height="14"><rect x="1.5" y="1.5" width="19" height="11" '
        f'fill="{escape_text(style["fillColor"])}" '
        f'fill-opacity="{max(style["fillOpacity"], 0.25)}" '
        f'stroke="{escape_text(style["color"])}" stroke-opacity="{style["opacity"]}" '
        f'stroke-width="2"{dash}/></svg>'
    )


def _line(style: Mapping[str, Any]) -> str:
    dash = f' stroke-dasharray="{escape_text(style["dashArray"])}"' if "dashArray" in style else ""
    return (
        f'<svg width="30" height="10"><line x1="1" y1="5" x2="29" y2="5" '
        f'stroke="{escape_text(style["color"])}" stroke-width="2.5"{dash}/></svg>'
    )


def _ring(color: str = "#555", dash: str = "3 3") -> str:
    return (
        '<svg width="22" height="18"><circle cx="11" cy="9" r="7.5" fill="none" '
        f'stroke="{escape_text(color)}" stroke-width="1.6" stroke-dasharray="{escape_text(dash)}"/>'
        "</svg>"
    )


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------

ON_EACH_FEATURE = JsCode(
    """
    function (feature, layer) {
        var p = feature.properties || {};
        if (p.rm_outline) { layer.options.interactive = false; return; }
        if (p.rm_tip) { layer.bindTooltip(p.rm_tip, {sticky: true, direction: "top"}); }
        if (p.rm_pop) {
            layer.bindPopup(p.rm_pop, {maxWidth: 420, minWidth: 260, maxHeight: 340,
                                       autoPanPadding: [30, 30]});
        }
    }
    """
)

#: Pane for the offline basemap: under the tile pane (200), so online tiles, when switched on,
#: cover it; labels sit above the tiles.
BASEMAP_PANE = ("rm-basemap", 150)
BASEMAP_LINES_PANE = ("rm-basemap-lines", 250)
LABEL_PANE = ("rm-labels", 260)
#: Panes of the data: context areas under areas, areas under lines (Leaflet's overlay pane,
#: 400), points above both (so a town inside a region takes the click), the search result
#: on top; all under Leaflet's tooltip (650) and popup (700) panes.
CONTEXT_PANE = ("rm-context", 370)
AREA_PANE = ("rm-areas", 390)
POINT_PANE = ("rm-points", 450)
FOCUS_PANE = ("rm-focus", 460)


def build_map(
    layers: Mapping[str, Any],
    *,
    basemap: Basemap | str | None = None,
    focus: tuple[float, float, float, float] | None = None,
    link_base: str = "/",
    link_target: str = "_blank",
    asset_prefix: str = VENDOR_PREFIX,
    legend: bool = True,
    online_tiles: bool = True,
    compact: bool = False,
    max_zoom: int = 10,
    height: int | str = "100%",
    highlight: tuple[str, Any] | None = None,
) -> folium.Map:
    """Build the folium map of ``layers`` (name → GeoDataFrame from ``geo.layers``).

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame with at least ``name``, ``kind`` and ``geometry``; the other
        ``geo.layers`` columns (status, precision, provenance...) are used when present.
    basemap
        Offline basemap from :func:`prepare_basemap` (embedded in the page), or the URL of
        its :func:`basemap_json` file (fetched once by the browser); ``None`` draws none.
    focus
        ``(min_lon, min_lat, max_lon, max_lat)`` to fit instead of the data's bounds.
    link_base, link_target
        Where popup quote links point (``<link_base>?article=<id>&at=<offset>``) and their
        target. The app renders the map in a sandboxed iframe without top navigation, so the
        default opens the article in a new tab.
    asset_prefix
        URL prefix of the local copies of Leaflet (see ``LOCAL_ASSETS``); nothing loads from
        a CDN.
    legend, online_tiles
        Whether to add the legend and the (unselected) OpenStreetMap/CartoDB tile overlays.
    compact, max_zoom
        A small map; the closest zoom the initial fit may use. The layer list is always
        collapsed (it opens on hover) so it never hides the map.
    highlight
        ``(name, shapely geometry)`` of a searched place, drawn on top in a distinct style
        with its name, so the place the map zoomed to is marked.

    Returns
    -------
    folium.Map
        Layers toggleable in a layer control, fitted to the data (or ``focus``).

    Examples
    --------
    >>> m = build_map({})
    >>> [u.rsplit("/", 1)[-1] for u in asset_urls(m)]
    ['leaflet.js', 'leaflet.css']
    """
    share_compiled_templates()
    fmap = folium.Map(
        location=(40.0, 46.0),
        zoom_start=6,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        height=height,
        world_copy_jump=True,
    )
    for pane, z in (BASEMAP_PANE, BASEMAP_LINES_PANE, LABEL_PANE, FOCUS_PANE):
        folium.map.CustomPane(pane, z_index=z, pointer_events=False).add_to(fmap)
    for pane, z in (CONTEXT_PANE, AREA_PANE, POINT_PANE):
        folium.map.CustomPane(pane, z_index=z, pointer_events=True).add_to(fmap)
    if basemap is not None:
        _add_basemap(fmap, basemap)
    if online_tiles:
        _add_tiles(fmap)
    kinds: dict[str, None] = {}
    statuses: dict[str, None] = {}
    precisions: dict[str, None] = {}
    has_fallback = False
    context: list[tuple[float, dict[str, Any]]] = []
    limits = popup_limits(sum(len(gdf) for gdf in layers.values() if gdf is not None))
    for name, gdf in layers.items():
        if gdf is None or len(gdf) == 0:
            continue
        parts = layer_parts(gdf, link_base, link_target, limits)
        context += parts.pop("context")
        count = sum(1 for features in parts.values() for _, f in features if _clickable(f))
        if count:
            title = f"{LAYER_TITLES.get(name, name.replace('_', ' ').capitalize())} ({count})"
            _add_group(fmap, title, parts, show=True)
        analyst = gdf[gdf["source"] != "fallback"] if "source" in gdf.columns else gdf
        has_fallback = has_fallback or len(analyst) < len(gdf)
        for column, seen in (("kind", kinds), ("status", statuses), ("precision", precisions)):
            if column in analyst.columns:
                for value in analyst[column]:
                    if _present(value):
                        seen[str(value)] = None
    if context:
        count = sum(1 for _, f in context if _clickable(f))
        _add_group(fmap, f"{CONTEXT_LAYER_TITLE} ({count})", {"context": context}, show=False)
    if highlight is not None:
        _add_highlight(fmap, *highlight)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    legend_text = legend_html(kinds, statuses, precisions, fallback=has_fallback) if legend else ""
    MapChrome(legend_text or None, MAP_CSS).add_to(fmap)
    bounds = focus or _bounds(layers)
    if bounds is not None:
        min_lon, min_lat, max_lon, max_lat = bounds
        fmap.fit_bounds(
            [[min_lat, min_lon], [max_lat, max_lon]], padding=(24, 24), max_zoom=max_zoom
        )
    localize_assets(fmap, asset_prefix, lean=True)
    return fmap


def _style_from_properties(feature: Mapping[str, Any]) -> dict[str, Any]:
    return dict(feature["properties"]["rm_style"])


def _highlight(feature: Mapping[str, Any]) -> dict[str, Any]:
    style = feature["properties"]["rm_style"]
    return {
        "weight": style.get("weight", 2) + 2,
        "opacity": 1.0,
        "fillOpacity": min(0.9, style.get("fillOpacity", 0.2) + 0.12),
    }


def _clickable(feature: Mapping[str, Any]) -> bool:
    return "rm_pop" in feature["properties"]


#: Where each part of a layer is drawn (``None``: Leaflet's overlay pane).
PART_PANES: dict[str, str | None] = {
    "context": CONTEXT_PANE[0],
    "areas": AREA_PANE[0],
    "lines": None,
    "points": POINT_PANE[0],
}


def _add_group(
    fmap: folium.Map,
    title: str,
    parts: Mapping[str, list[tuple[float, dict[str, Any]]]],
    *,
    show: bool,
) -> None:
    """Add one layer-control entry holding a GeoJSON layer per part (each in its pane)."""
    group = folium.FeatureGroup(name=title, show=show)
    for part, items in parts.items():
        if not items:
            continue
        pane = PART_PANES[part]
        ordered = sorted(items, key=lambda item: -item[0])  # large areas first, small on top
        options: dict[str, Any] = {"pane": pane} if pane and part != "points" else {}
        BoundedGeoJson(
            {"type": "FeatureCollection", "features": [f for _, f in ordered]},
            style_function=_style_from_properties,
            highlight_function=_highlight,
            on_each_feature=ON_EACH_FEATURE,
            marker=folium.CircleMarker(radius=6) if part == "points" else None,
            smooth_factor=0.5,
            control=False,
            **options,
        ).add_to(group)
    group.add_to(fmap)


def area_km2(gdf: Any) -> list[float]:
    """Area of each feature in km² (equal-area EPSG:6933; 0 for points and lines).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> squares = gpd.GeoSeries([box(44, 39, 45, 40), Point(1, 1)], crs="EPSG:4326")
    >>> [round(a, -2) for a in area_km2(squares)]
    [9500.0, 0.0]
    """
    geoms = getattr(gdf, "geometry", gdf)
    if not len(geoms):
        return []
    projected = geoms.to_crs("EPSG:6933").area / 1e6
    return [float(a) if a == a else 0.0 for a in projected]


def is_context_area(kind: str | None, area: float, source: str | None) -> bool:
    """Whether a polygon is context, drawn as an outline only.

    A region larger than ``LARGE_REGION_KM2`` (a continent, Eurasia), or a region the
    gazetteer derives as the union of several places (the South Caucasus = three countries):
    filled, such areas stack into one wash over the countries they cover.

    Examples
    --------
    >>> is_context_area("region", 6e6, "derived from: france, spain")
    True
    >>> is_context_area("region", 1.7e5, "derived from: armenia, azerbaijan, georgia")
    True
    >>> is_context_area("region", 4458, "Natural Earth"), is_context_area("country", 9e6, None)
    (False, False)
    """
    if kind != "region":
        return False
    union = bool(source) and str(source).startswith("derived from:") and "," in str(source)
    return area > LARGE_REGION_KM2 or union


def clip_free_outline(
    geom: Any,
    clip_box: tuple[float, float, float, float] | None = None,
    tolerance: float = 1e-6,
) -> Any | None:
    """Outline of polygon ``geom`` without the edges of the box its data was clipped to.

    The regional boundaries are clipped to ``settings.REGION_BBOX``: their true outline is
    the polygon's boundary minus the stretches that run along the box. ``None`` when the
    polygon has no stretch along a box edge (its plain outline is already true).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> clip_free_outline(box(44, 39, 45, 40), (42, 36.5, 52, 43.5)) is None
    True
    >>> round(clip_free_outline(box(42, 39, 45, 40), (42, 36.5, 52, 43.5)).length, 4)
    7.0
    """
    from shapely.geometry import box

    from geo import settings

    if geom is None or not geom.geom_type.endswith("Polygon"):
        return None
    edges = box(*(clip_box or settings.REGION_BBOX)).boundary.buffer(tolerance)
    outline = geom.boundary
    if not outline.intersects(edges):
        return None
    trimmed = outline.difference(edges)
    return trimmed if trimmed.length < outline.length - 100 * tolerance else None


def layer_parts(
    gdf: Any,
    link_base: str = "/",
    link_target: str = "_blank",
    limits: tuple[int, int] = (MAX_ARTICLES_IN_POPUP, MAX_QUOTES_PER_ARTICLE),
) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """Split a layer into the GeoJSON features of each drawing part, with their areas (km²).

    Parts: ``context`` (outline-only regions, see :func:`is_context_area`), ``areas``,
    ``lines`` and ``points``. A polygon clipped to the regional box is drawn without stroke,
    followed by a non-interactive outline feature (``rm_outline``) without the box's edges.
    """
    import shapely

    parts: dict[str, list[tuple[float, dict[str, Any]]]] = {
        "context": [],
        "areas": [],
        "lines": [],
        "points": [],
    }
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    records = gdf[columns].to_dict("records")
    for record, geom, area in zip(records, gdf.geometry.values, area_km2(gdf), strict=True):
        if geom is None or geom.is_empty:
            continue
        kind, source = record.get("kind"), _opt(record.get("source"))
        polygon = geom.geom_type.endswith("Polygon")
        context = polygon and is_context_area(kind, area, source)
        style = style_for(
            kind,
            _opt(record.get("status")),
            _opt(record.get("precision")),
            _opt_int(record.get("geo_precision")),
            geom.geom_type,
            source,
            context=context,
        )
        shown = display_geometry(geom)
        feature_id = str(record.get("id", ""))
        outline = clip_free_outline(geom) if polygon else None  # before simplifying
        if outline is not None:
            outline = display_geometry(outline)
        if outline is not None:
            style = style | {"stroke": False}
        if geom.geom_type.endswith("Point"):
            style = style | {"pane": POINT_PANE[0]}  # folium merges it into the marker options
        part = "points" if "pane" in style else "context" if context else "areas"
        if not polygon and part != "points":
            part = "lines"
        parts[part].append(
            (
                area,
                {
                    "type": "Feature",
                    "geometry": _round(shapely.geometry.mapping(shown), 4),
                    "properties": {
                        "id": feature_id,
                        "rm_style": style,
                        "rm_tip": tooltip_html(record),
                        "rm_pop": popup_html(
                            record, link_base=link_base, link_target=link_target, limits=limits
                        ),
                    },
                },
            )
        )
        if outline is not None and not outline.is_empty:
            line_style = {k: v for k, v in style.items() if not k.startswith("fill")}
            line_style.update(stroke=True, fill=False)
            parts[part].append(
                (
                    area - 1e-6,  # drawn right after its polygon
                    {
                        "type": "Feature",
                        "geometry": _round(shapely.geometry.mapping(outline), 4),
                        "properties": {
                            "id": f"{feature_id}#outline",
                            "rm_style": line_style,
                            "rm_outline": True,
                        },
                    },
                )
            )
    return parts


def _add_highlight(fmap: folium.Map, name: str, geom: Any) -> None:
    """Mark the searched place on top of everything: a bold orange outline or ring, its name."""
    import shapely

    if geom is None or geom.is_empty:
        return
    style = _found_style({})
    group = folium.FeatureGroup(name=f"Search result: {escape_text(name)}", show=True)
    if geom.geom_type.endswith("Point"):
        for point in getattr(geom, "geoms", [geom]):
            folium.CircleMarker(
                (point.y, point.x), radius=16, pane=FOCUS_PANE[0], interactive=False, **style
            ).add_to(group)
    else:
        shown = display_geometry(geom)
        line = clip_free_outline(geom) if geom.geom_type.endswith("Polygon") else None
        line = display_geometry(line) if line is not None else None
        if line is None:
            line = shown.boundary if shown.geom_type.endswith("Polygon") else shown
        folium.GeoJson(
            {
                "type": "Feature",
                "geometry": _round(shapely.geometry.mapping(line), 4),
                "properties": {"id": "rm-search-result"},
            },
            style_function=_found_style,  # a module function: the map is pickled
            pane=FOCUS_PANE[0],
            interactive=False,
            control=False,
        ).add_to(group)
    anchor = geom.representative_point()
    label = (round(anchor.y, 4), round(anchor.x, 4), escape_text(name), "rm-label-found")
    LabelLayer([label], "search label", pane=FOCUS_PANE[0], control=False).add_to(group)
    group.add_to(fmap)


#: Colour of the searched place's mark.
FOUND_COLOR = "#f08c00"


def _found_style(_feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"color": FOUND_COLOR, "weight": 4, "opacity": 1.0, "fill": False}


def display_geometry(geom: Any, detail: float = 800.0) -> Any:
    """Simplify a feature for the screen: about ``detail`` steps across its extent.

    Only what is drawn is simplified (a country at ~1/800 of its width, a town not at all);
    exports keep the full geometry.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> display_geometry(Point(1, 2)).wkt
    'POINT (1 2)'
    """
    import shapely

    if geom.geom_type.endswith("Point"):
        return geom
    min_x, min_y, max_x, max_y = geom.bounds
    tolerance = max(max_x - min_x, max_y - min_y) / detail
    if tolerance <= 0:
        return geom
    simpler = shapely.simplify(geom, tolerance, preserve_topology=True)
    return geom if simpler.is_empty else simpler


def _opt(value: Any) -> str | None:
    return str(value) if _present(value) else None


def _opt_int(value: Any) -> int | None:
    return int(value) if _present(value) else None


def _bounds(layers: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    """Box to fit on load: where the mentions cluster, not the far outliers.

    Countries are context (Russia alone spans the globe), so they count only when nothing
    else is drawn. Features whose representative point lies far from the mention-weighted
    median point (more than six times the median distance, and more than ``FIT_RADIUS_DEG``)
    are left out of the fit; they stay on the map, a zoom-out away.
    """
    import numpy as np

    frames = [g for n, g in layers.items() if g is not None and len(g) and n != "countries"]
    if not frames:
        frames = [g for g in layers.values() if g is not None and len(g)]
    points, weights, boxes = [], [], []
    for gdf in frames:
        counts = gdf["mention_count"] if "mention_count" in gdf else [1] * len(gdf)
        for geom, count in zip(gdf.geometry.values, counts, strict=True):
            if geom is None or geom.is_empty:
                continue
            point = geom.representative_point()
            points.append((point.x, point.y))
            weights.append(max(1.0, float(count if _present(count) else 0)))
            box_ = geom.bounds
            if max(box_[2] - box_[0], box_[3] - box_[1]) > 2 * FIT_RADIUS_DEG:
                box_ = (point.x, point.y, point.x, point.y)  # a continent-sized area: its point
            boxes.append(box_)
    if not points:
        return None
    xy, w = np.array(points), np.array(weights)
    center = np.array([_weighted_quantile(xy[:, i], w, 0.5) for i in (0, 1)])
    distance = np.abs(xy - center).max(axis=1)
    limit = max(6 * _weighted_quantile(distance, w, 0.5), FIT_RADIUS_DEG)
    kept = [box_ for box_, d in zip(boxes, distance, strict=True) if d <= limit]
    return pad_bounds(
        (
            min(b[0] for b in kept),
            min(b[1] for b in kept),
            max(b[2] for b in kept),
            max(b[3] for b in kept),
        )
    )


#: Features within this many degrees of the mentions' median point always count for the fit.
FIT_RADIUS_DEG = 8.0


def _weighted_quantile(values: Any, weights: Any, q: float) -> float:
    import numpy as np

    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1]))
    return float(values[order][min(index, len(values) - 1)])


def pad_bounds(
    bounds: tuple[float, float, float, float], minimum_deg: float = 0.25
) -> tuple[float, float, float, float]:
    """Grow a box to at least ``minimum_deg`` on each side (a single point gets a small box).

    Examples
    --------
    >>> pad_bounds((45.0, 40.0, 45.0, 40.0))
    (44.875, 39.875, 45.125, 40.125)
    """
    min_lon, min_lat, max_lon, max_lat = bounds
    grow_lon = max(0.0, minimum_deg - (max_lon - min_lon)) / 2
    grow_lat = max(0.0, minimum_deg - (max_lat - min_lat)) / 2
    return (min_lon - grow_lon, min_lat - grow_lat, max_lon + grow_lon, max_lat + grow_lat)


def _add_basemap(fmap: folium.Map, basemap: Basemap | str) -> None:
    if isinstance(basemap, str):
        for part, name, pane, styles in (
            ("countries", "Countries (offline basemap)", BASEMAP_PANE[0], COUNTRY_STYLES),
            ("admin1", "Provinces (offline basemap)", BASEMAP_LINES_PANE[0], ADMIN1_STYLES),
            ("labels", "Basemap labels", LABEL_PANE[0], {}),
        ):
            RemoteBasemap(basemap, part, name, pane=pane, styles=styles).add_to(fmap)
        return
    if basemap.countries is not None:
        folium.GeoJson(
            basemap.countries,
            name="Countries (offline basemap)",
            style_function=_country_style,
            pane=BASEMAP_PANE[0],
            interactive=False,
            smooth_factor=1.0,
        ).add_to(fmap)
    if basemap.admin1 is not None:
        folium.GeoJson(
            basemap.admin1,
            name="Provinces (offline basemap)",
            style_function=_admin1_style,
            pane=BASEMAP_LINES_PANE[0],
            interactive=False,
            smooth_factor=1.0,
        ).add_to(fmap)
    if basemap.labels:
        LabelLayer(basemap.labels, "Basemap labels", pane=LABEL_PANE[0]).add_to(fmap)


def _country_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    tier = feature["properties"].get("tier")
    return dict(COUNTRY_STYLES.get(tier, COUNTRY_STYLES["default"]))


def _admin1_style(_feature: Mapping[str, Any]) -> dict[str, Any]:
    return dict(ADMIN1_STYLES["default"])


#: Online tile layers offered (unselected) in the layer control: (URL, attribution, name).
ONLINE_TILES = (
    (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "OpenStreetMap tiles (online)",
    ),
    (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        "CartoDB Positron tiles (online)",
    ),
)


def _add_tiles(fmap: folium.Map) -> None:
    for url, attribution, name in ONLINE_TILES:
        folium.TileLayer(
            url, attr=attribution, name=name, overlay=True, show=False, control=True, max_zoom=19
        ).add_to(fmap)


def map_html(fmap: folium.Map) -> str:
    """Render the standalone HTML page of ``fmap`` (for benchmarks and debugging)."""
    return fmap.get_root().render()


def map_fingerprint(*parts: object) -> str:
    """Stable key for a cached map from JSON-able parts (filters, corpus fingerprint...).

    Examples
    --------
    >>> map_fingerprint("a", 1) == map_fingerprint("a", 1) != map_fingerprint("a", 2)
    True
    """
    import hashlib

    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]
