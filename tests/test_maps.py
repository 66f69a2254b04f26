"""geo.maps: offline assets, styles, popups, legend, basemap and the map HTML."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import pickle
import re

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo import maps, reader

HOSTILE = "<img src=x onerror=alert(1)>`${alert(2)}`<script>alert(3)</script>"


def provenance(sentence: str = "Troops entered Goris today.", surface: str = "Goris") -> list:
    start = sentence.index(surface)
    return [
        {
            "article": "001_x",
            "title": "A <b>title</b>",
            "outlet": "Outlet",
            "published": "2023-09-01",
            "mentions": [
                {
                    "start": 100 + start,
                    "end": 100 + start + len(surface),
                    "surface": surface,
                    "role": "locative",
                    "sentence": sentence,
                    "sentence_start": 100,
                    "sentence_end": 100 + len(sentence),
                }
            ],
        }
    ]


def layer(rows: list[dict], geometries: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    base = {"status": None, "claimed_by": [], "geo_precision": 1, "source": "analyst"}
    return {
        "settlements": layer(
            [
                {
                    **base,
                    "id": "goris",
                    "name": HOSTILE,
                    "kind": "settlement",
                    "precision": "exact",
                    "provenance": provenance(HOSTILE + " Goris", "Goris"),
                    "mention_count": 1,
                    "article_count": 1,
                },
                {
                    **base,
                    "id": "geonames:1",
                    "name": "Far",
                    "kind": "city",
                    "source": "fallback",
                    "precision": "exact",
                    "provenance": provenance(),
                    "mention_count": 1,
                    "article_count": 1,
                },
            ],
            [Point(46.34, 39.51), Point(-120.0, 35.0)],
        ),
        "corridors": layer(
            [
                {
                    **base,
                    "id": "zc",
                    "name": "Zangezur corridor",
                    "kind": "corridor",
                    "status": "proposed",
                    "precision": "schematic",
                    "claimed_by": ["AZE", "TUR"],
                    "provenance": provenance(),
                    "mention_count": 3,
                    "article_count": 1,
                }
            ],
            [LineString([(46.9, 39.3), (46.2, 38.9), (45.4, 39.2)])],
        ),
        "regions": layer(
            [
                {
                    **base,
                    "id": "syunik",
                    "name": "Syunik",
                    "kind": "region",
                    "precision": "approximate",
                    "geo_precision": 3,
                    "provenance": [],
                    "mention_count": 0,
                    "article_count": 0,
                }
            ],
            [Polygon([(45.9, 38.9), (46.6, 38.9), (46.6, 39.8), (45.9, 39.8)])],
        ),
        "incidents": layer([], []),
    }


# --- offline assets ------------------------------------------------------------------------


def test_map_loads_only_local_assets(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(maps.VENDOR_PREFIX + "/") for s in sources), sources
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html


@pytest.mark.parametrize(
    "element",
    [folium.Marker([40, 45], icon=folium.Icon()), folium.Marker([40, 45]), folium.Popup("x")],
)
def test_localize_rewrites_every_folium_default(element) -> None:
    fmap = folium.Map(tiles=None)
    element.add_to(fmap)
    maps.localize_assets(fmap)
    urls = maps.asset_urls(fmap)
    assert urls and all(u.startswith(maps.VENDOR_PREFIX) for u in urls)
    assert all(
        path in maps.VENDOR_FILES for path in (u[len(maps.VENDOR_PREFIX) + 1 :] for u in urls)
    )


def test_unknown_plugin_asset_is_refused() -> None:
    from folium.plugins import Fullscreen

    fmap = folium.Map(tiles=None)
    Fullscreen().add_to(fmap)
    with pytest.raises(maps.AssetError, match="has no local copy — expected one of"):
        maps.localize_assets(fmap)


def test_online_tiles_are_offered_but_off(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    assert "tile.openstreetmap.org" in html
    # a tile layer that is not shown is never added to the map
    tile_vars = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", html)
    assert len(tile_vars) == 2
    assert not any(f"{v}.addTo(" in html for v in tile_vars)


def test_popups_and_tooltips_escape_hostile_names_and_sentences(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    assert "<img" not in html and "<script>alert" not in html
    assert "${alert" not in html
    data = re.search(r'"rm_pop": ("(?:[^"\\]|\\.)*")', html)
    popup = json.loads(data.group(1))
    assert "&lt;img src=x onerror=alert(1)&gt;" in popup
    assert "<mark>Goris</mark>" in popup


def test_popup_lists_quotes_grouped_by_article_with_links() -> None:
    row = {"name": "Goris", "kind": "settlement", "provenance": provenance()}
    out = maps.popup_html(row, link_base="http://h/")
    assert 'href="http://h/?article=001_x&amp;at=115"' in out
    assert 'target="_blank"' in out and 'rel="noopener noreferrer"' in out
    assert "OUTLET" in out.upper() and "2023-09-01" in out and "A &lt;b&gt;title" in out


def test_popup_without_quotes_says_so() -> None:
    out = maps.popup_html({"name": "X", "kind": "region", "provenance": []})
    assert "No quoting sentence" in out


@pytest.mark.parametrize(
    ("sentence", "start", "end", "expected"),
    [
        ("In Goris.", 3, 8, "In <mark>Goris</mark>."),
        ("In <Goris>.", 3, 10, "In <mark>&lt;Goris&gt;</mark>."),
        ("short", 9, 12, "short"),
        ("", 0, 0, ""),
    ],
)
def test_quote_html(sentence, start, end, expected) -> None:
    assert maps.quote_html(sentence, start, end) == expected


def test_quote_html_trims_long_sentences_around_the_mark() -> None:
    sentence = "x " * 400 + "Goris" + " y" * 400
    out = maps.quote_html(sentence, 800, 805)
    assert "<mark>Goris</mark>" in out and out.startswith("…") and out.endswith("…")
    assert len(out) < maps.MAX_QUOTE_CHARS + 40


# --- styles and legend ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "key", "expected"),
    [
        (("corridor", "proposed", "schematic", 3, "LineString"), "dashArray", "10 7"),
        (("corridor", "existing", "exact", 1, "LineString"), "dashArray", None),
        (("border", "claimed", None, None, "LineString"), "dashArray", "12 5 2 5"),
        (("region", None, "approximate", 3, "Polygon"), "dashArray", "3 5"),
        (("region", None, "exact", 3, "MultiPolygon"), "dashArray", None),
        (("settlement", None, None, 3, "Point"), "radius", 14),
        (("settlement", None, None, 1, "Point"), "radius", 6),
        ((None, None, None, None, "Point"), "color", reader.OTHER_COLOR),
    ],
)
def test_style_for(args, key, expected) -> None:
    assert maps.style_for(*args).get(key) == expected


def test_less_precise_geometry_is_paler() -> None:
    exact, approx, schematic = (
        maps.style_for("region", None, p, geom_type="Polygon")
        for p in ("exact", "approximate", "schematic")
    )
    assert exact["fillOpacity"] > approx["fillOpacity"] > schematic["fillOpacity"]
    assert exact["opacity"] > approx["opacity"] > schematic["opacity"]


def test_fallback_features_are_dotted() -> None:
    style = maps.style_for("city", geom_type="Point", source="fallback")
    assert style["dashArray"] == "2 3"


def test_statuses_have_distinct_dash_patterns() -> None:
    broken = {k: v for k, v in maps.STATUS_DASHES.items() if k != "existing"}
    assert maps.STATUS_DASHES["existing"] is None
    assert None not in broken.values() and len(set(broken.values())) == len(broken)
    assert maps.STATUS_DASHES["former"] != maps.STATUS_DASHES["closed"]


@pytest.mark.parametrize(
    ("geom_type", "fill"),
    [("Point", True), ("MultiPoint", True), ("Polygon", True), ("LineString", False)],
)
def test_points_and_areas_are_filled_so_their_whole_shape_is_clickable(geom_type, fill) -> None:
    style = maps.style_for("incident", None, "approximate", 3, geom_type)
    assert style["fill"] is fill
    if fill:
        assert style["fillOpacity"] > 0


def feature_collections(html: str) -> list[tuple[dict, str | None]]:
    """Every GeoJSON layer of a rendered map: its data and its ``pane`` option (or None)."""
    out = []
    for name in re.findall(r"function (geo_json_\w+)_add \(data\)", html):
        data = re.search(rf"{name}_add\((\{{.*?\}})\);\n", html, re.S)
        options = re.search(rf"var {name} = L\.geoJson\(null, \{{(.*?)\}}\);", html, re.S)
        pane = re.search(r'"pane": "([\w-]+)"', options.group(1)) if options else None
        if data:
            out.append((json.loads(data.group(1)), pane.group(1) if pane else None))
    return out


def pane_z(html: str) -> dict[str, int]:
    panes = dict(re.findall(r'createPane\(\s*"([\w-]+)"\);\s*\w+\.style\.zIndex = (\d+)', html))
    return {name: int(z) for name, z in panes.items()}


def test_points_are_drawn_above_lines_and_lines_above_areas(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    z = pane_z(html)
    assert z[maps.AREA_PANE[0]] < 400 < z[maps.POINT_PANE[0]] < 650  # 400: Leaflet's lines
    by_kind = {}
    for data, pane in feature_collections(html):
        for feature in data["features"]:
            style = feature["properties"]["rm_style"]
            by_kind[feature["properties"]["id"]] = (feature["geometry"]["type"], pane, style)
    assert by_kind["goris"][2]["pane"] == maps.POINT_PANE[0]  # points: in the marker options
    assert by_kind["goris"][2]["fill"] is True
    assert by_kind["syunik"][1] == maps.AREA_PANE[0]
    assert by_kind["zc"][1] is None  # lines stay in the overlay pane


def region_row(id_: str, source: str = "Natural Earth", precision: str = "exact") -> dict:
    return {
        "id": id_,
        "name": id_.title(),
        "kind": "region",
        "status": None,
        "precision": precision,
        "geo_precision": 3,
        "source": source,
        "claimed_by": [],
        "provenance": provenance(),
        "mention_count": 1,
        "article_count": 1,
    }


def test_large_and_union_regions_are_outline_only_context() -> None:
    regions = layer(
        [
            region_row("europe", "derived from: france, spain", "approximate"),
            region_row("big", "hand-drawn"),  # a single region larger than the threshold
            region_row("south_caucasus", "derived from: armenia, azerbaijan, georgia"),
            region_row("syunik"),
            region_row("lachin"),
        ],
        [
            Polygon([(-10, 36), (40, 36), (40, 70), (-10, 70)]),
            Polygon([(60, 40), (75, 40), (75, 50), (60, 50)]),
            Polygon([(43, 38.5), (50.5, 38.5), (50.5, 42), (43, 42)]),
            Polygon([(45.9, 38.9), (46.6, 38.9), (46.6, 39.8), (45.9, 39.8)]),
            Polygon([(46.4, 39.5), (46.6, 39.5), (46.6, 39.7), (46.4, 39.7)]),
        ],
    )
    parts = maps.layer_parts(regions)
    context = {f["properties"]["id"]: f for _, f in parts["context"]}
    areas = [f["properties"]["id"] for _, f in parts["areas"]]
    assert set(context) == {"europe", "big", "south_caucasus"}
    assert all(f["properties"]["rm_style"]["fill"] is False for f in context.values())
    assert sorted(areas) == ["lachin", "syunik"]
    html = maps.map_html(maps.build_map({"regions": regions}))
    # context regions get their own layer, off by default; the rest sit largest first
    assert f"{maps.CONTEXT_LAYER_TITLE} (3)" in html and '"Regions (2)"' in html
    groups = re.findall(r"var (feature_group_\w+) = L\.featureGroup", html)
    shown = [g for g in groups if f"{g}.addTo(map_" in html]
    assert len(groups) == 2 and len(shown) == 1
    ordered = [
        f["properties"]["id"]
        for data, pane in feature_collections(html)
        if pane == maps.AREA_PANE[0]
        for f in data["features"]
    ]
    assert ordered == ["syunik", "lachin"]


def test_clipped_data_polygon_gets_an_outline_without_the_box_edges() -> None:
    georgia = layer(
        [{**region_row("georgia"), "kind": "country"}],
        [Polygon([(42, 41), (44, 41), (44, 43.5), (42, 43.5)])],
    )
    (fill, outline) = [f for _, f in maps.layer_parts(georgia)["areas"]]
    assert fill["properties"]["rm_style"]["stroke"] is False and "rm_pop" in fill["properties"]
    assert outline["properties"]["rm_outline"] is True and "rm_pop" not in outline["properties"]
    assert outline["properties"]["rm_style"]["fill"] is False
    assert box_edge_points(outline["geometry"]) == []
    inside = layer([region_row("syunik")], [Polygon([(45, 39), (46, 39), (46, 40), (45, 40)])])
    ((_, only),) = maps.layer_parts(inside)["areas"]
    assert "stroke" not in only["properties"]["rm_style"]


def test_layer_control_is_collapsed_and_legend_foldable(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    assert re.search(r'L\.control\.layers\([^;]*"collapsed": true', html, re.S)
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", html).group(1))
    assert legend.startswith("<details open><summary>Legend</summary>")


def test_search_highlight_marks_the_place_and_escapes_its_name(layers) -> None:
    plain = maps.map_html(maps.build_map(layers))
    html = maps.map_html(
        maps.build_map(layers, highlight=("<b>Syunik</b>", Point(46.2, 39.3).buffer(0.3)))
    )
    assert "Search result" not in plain and '"rm-label-found"]' in html
    # the name is HTML-escaped, then JSON-escaped by the template (& → \\u0026)
    assert "\\u0026lt;b\\u0026gt;Syunik" in html and "<b>Syunik</b>" not in html
    assert f'"pane": "{maps.FOCUS_PANE[0]}"' in html and maps.FOUND_COLOR in html
    pickle.loads(pickle.dumps(maps.build_map(layers, highlight=("X", Point(1, 1).buffer(1)))))
    point = maps.map_html(maps.build_map(layers, highlight=("Goris", Point(46.34, 39.51))))
    assert re.search(r"L\.circleMarker\(\s*\[39\.51, 46\.34\]", point)


def test_legend_lists_what_is_on_the_map(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", html).group(1))
    for word in ("settlement", "corridor", "region", "proposed", "schematic", "GeoNames fallback"):
        assert word in legend
    assert ">city<" not in legend  # fallback kinds are summarised by the fallback row


def test_fit_ignores_far_outliers_and_context_countries(layers) -> None:
    html = maps.map_html(maps.build_map(layers))
    (south, west), (north, east) = json.loads(
        re.search(r"fitBounds\(\s*(\[.*?\]\])", html, re.S).group(1)
    )
    assert 38 < south < north < 40.5 and 45 < west < east < 47.5


def test_focus_overrides_the_fit(layers) -> None:
    html = maps.map_html(maps.build_map(layers, focus=(44.0, 40.0, 45.0, 41.0)))
    assert "[[40.0, 44.0], [41.0, 45.0]]" in html


def test_empty_layers_build_an_empty_map() -> None:
    html = maps.map_html(maps.build_map({"settlements": layer([], [])}))
    assert "fitBounds" not in html and "rm_pop" not in html


# --- basemap -------------------------------------------------------------------------------


def test_prepare_basemap_from_boundaries() -> None:
    from types import SimpleNamespace

    square = Polygon([(44, 39), (46, 39), (46, 41), (44, 41)])
    far = Polygon([(-100, 30), (-90, 30), (-90, 40), (-100, 40)])
    boundaries = SimpleNamespace(
        countries=gpd.GeoDataFrame(
            {"iso_a3": ["ARM"], "name": ["<Armenia>"]}, geometry=[square], crs="EPSG:4326"
        ),
        world=gpd.GeoDataFrame(
            {"iso_a3": ["USA"], "name": ["United States"]}, geometry=[far], crs="EPSG:4326"
        ),
        admin1=gpd.GeoDataFrame(
            {"adm0_a3": ["ARM"], "name": ["Syunik"], "name_en": ["Syunik"]},
            geometry=[square],
            crs="EPSG:4326",
        ),
    )
    basemap = maps.prepare_basemap(boundaries)
    tiers = [f["properties"]["tier"] for f in basemap.countries["features"]]
    assert sorted(tiers) == ["countries", "outline", "world"]
    assert len(basemap.admin1["features"]) == 1
    assert "&lt;Armenia&gt;" in [label[2] for label in basemap.labels]
    assert json.loads(maps.basemap_json(basemap))["labels"]


CLIP_BOX = (42.0, 36.5, 52.0, 43.5)


def box_edge_points(geojson: dict, bbox: tuple = CLIP_BOX) -> list:
    """Consecutive vertex pairs of a (Multi)LineString that run along an edge of ``bbox``."""
    lines = (
        geojson["coordinates"] if geojson["type"] == "MultiLineString" else [geojson["coordinates"]]
    )
    along = []
    for line in lines:
        for (x0, y0), (x1, y1) in itertools.pairwise(line):
            for value, a, b in ((bbox[0], x0, x1), (bbox[2], x0, x1)):
                if a == b == value:
                    along.append(((x0, y0), (x1, y1)))
            for value, a, b in ((bbox[1], y0, y1), (bbox[3], y0, y1)):
                if a == b == value:
                    along.append(((x0, y0), (x1, y1)))
    return along


def test_basemap_outlines_leave_out_the_clip_box_edges() -> None:
    from types import SimpleNamespace

    from geo import settings

    assert settings.REGION_BBOX == CLIP_BOX
    # a country cut by the box's western (lon 42) and northern (lat 43.5) edges
    clipped = Polygon([(42, 41), (44, 41), (44, 43.5), (42, 43.5)])
    boundaries = SimpleNamespace(
        countries=gpd.GeoDataFrame(
            {"iso_a3": ["GEO"], "name": ["Georgia"]}, geometry=[clipped], crs="EPSG:4326"
        )
    )
    features = maps.prepare_basemap(boundaries).countries["features"]
    (fill,) = [f for f in features if f["properties"]["tier"] == "countries"]
    (outline,) = [f for f in features if f["properties"]["tier"] == "outline"]
    assert maps.COUNTRY_STYLES["countries"]["stroke"] is False
    assert maps.COUNTRY_STYLES["outline"]["fill"] is False
    assert fill["geometry"]["type"] == "Polygon"
    assert outline["geometry"]["type"].endswith("LineString")
    assert box_edge_points(outline["geometry"]) == []
    # the two real sides survive: lat 41 from lon 42 to 44 and lon 44 from lat 41 to 43.5
    assert maps.clip_free_outline(clipped).length == pytest.approx(2 + 2.5)


@pytest.mark.parametrize(
    ("polygon", "expected_length"),
    [
        (Polygon([(44, 39), (45, 39), (45, 40), (44, 40)]), None),  # inside: plain outline
        (Polygon([(42, 39), (45, 39), (45, 40), (42, 40)]), 3 + 1 + 3),  # west edge cut
        (Polygon([(42, 36.5), (52, 36.5), (52, 43.5), (42, 43.5)]), None),  # the box itself
        (LineString([(42, 39), (45, 39)]), None),  # not a polygon
    ],
)
def test_clip_free_outline(polygon, expected_length) -> None:
    outline = maps.clip_free_outline(polygon)
    if expected_length is None:
        assert outline is None or outline.is_empty
    else:
        assert outline.length == pytest.approx(expected_length)


def _outline_pairs_along_box(features: list) -> list:
    return [
        pair
        for f in features
        if f["properties"]["tier"] == "outline"
        for pair in box_edge_points(f["geometry"])
    ]


def test_basemap_draws_regional_countries_beyond_the_box_without_a_seam() -> None:
    from types import SimpleNamespace

    from shapely.geometry import shape

    # coarse Turkey reaches west of the box; the detailed one is clipped at lon 42
    coarse = Polygon([(36, 37), (44, 37), (44, 41), (36, 41)])
    detailed = Polygon([(42, 37), (44, 37), (44, 41), (42, 41)])
    boundaries = SimpleNamespace(
        world_regional=gpd.GeoDataFrame(
            {"iso_a3": ["TUR"], "name": ["Turkey"]}, geometry=[coarse], crs="EPSG:4326"
        ),
        countries=gpd.GeoDataFrame(
            {"iso_a3": ["TUR"], "name": ["Turkey"]}, geometry=[detailed], crs="EPSG:4326"
        ),
    )
    features = maps.prepare_basemap(boundaries).countries["features"]
    (context,) = [
        f
        for f in features
        if f["properties"].get("context") == "beyond_box" and f["properties"]["tier"] == "countries"
    ]
    fill = shape(context["geometry"])
    assert fill.covers(Point(41, 39)) and not fill.covers(Point(43, 39))
    assert fill.intersection(Polygon([(42, 37), (44, 37), (44, 41), (42, 41)])).area == 0
    # filled like the detailed countries (no stroke), beneath them, outlines on top
    tiers = [f["properties"]["tier"] for f in features]
    assert tiers == ["countries", "countries", "outline", "outline"]
    assert features.index(context) == 0
    assert _outline_pairs_along_box(features) == []
    # outline: the detailed one (3 real sides) and the coarse one beyond (3 real sides)
    lines = [shape(f["geometry"]) for f in features if f["properties"]["tier"] == "outline"]
    assert sorted(round(line.length, 6) for line in lines) == [2 + 4 + 2, 6 + 4 + 6]


@pytest.mark.parametrize("frame", [None, "empty"])
def test_basemap_without_world_regional_has_no_context(frame) -> None:
    from types import SimpleNamespace

    square = Polygon([(44, 39), (46, 39), (46, 41), (44, 41)])
    countries = gpd.GeoDataFrame({"name": ["A"]}, geometry=[square], crs="EPSG:4326")
    extra = {} if frame is None else {"world_regional": countries.iloc[:0]}
    basemap = maps.prepare_basemap(SimpleNamespace(countries=countries, **extra))
    assert not [f for f in basemap.countries["features"] if "context" in f["properties"]]


@pytest.fixture(scope="module")
def bundled_basemap():
    from geo.boundaries import load_boundaries

    return maps.prepare_basemap(load_boundaries())


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(41.0, 41.0), (60.0, 35.0), (33.0, 39.0), (40.0, 55.0), (44.5, 40.2), (49.0, 37.5)],
)
def test_bundled_basemap_covers_land_on_both_sides_of_the_box_edge(
    bundled_basemap, lon, lat
) -> None:
    from shapely.geometry import shape

    fills = [
        shape(f["geometry"])
        for f in bundled_basemap.countries["features"]
        if f["properties"]["tier"] != "outline"
    ]
    assert any(fill.covers(Point(lon, lat)) for fill in fills)


def test_bundled_basemap_outlines_never_run_along_the_box(bundled_basemap) -> None:
    features = bundled_basemap.countries["features"]
    assert any(f["properties"].get("context") == "beyond_box" for f in features)
    assert _outline_pairs_along_box(features) == []


def test_basemap_file_name_carries_the_new_format() -> None:
    # format 5: the regional countries beyond the box; older cached files lack them
    assert maps.BASEMAP_FORMAT >= 5


def test_prepare_basemap_of_nothing() -> None:
    from types import SimpleNamespace

    assert maps.prepare_basemap(SimpleNamespace()) == maps.Basemap()


def test_remote_basemap_is_fetched_not_embedded(layers) -> None:
    html = maps.map_html(maps.build_map(layers, basemap="/app/static/vendor/basemap/b.json"))
    assert html.count('fetch("/app/static/vendor/basemap/b.json")') == 3
    assert "Countries (offline basemap)" in html


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (({"a": 1, "b": 2},), ({"b": 2, "a": 1},), True),  # key order does not matter
        (({"a": dt.date(2023, 1, 1)},), ({"a": dt.date(2023, 1, 2)},), False),
        (({"kinds": ["town"]},), ({"kinds": ["town", "region"]},), False),
        (("corpus-1", {"a": 1}), ("corpus-2", {"a": 1}), False),
        (("a", "b"), ("b", "a"), False),  # part order does
        ((), (), True),
    ],
)
def test_map_fingerprint_tells_filters_apart(left: tuple, right: tuple, same: bool) -> None:
    key = maps.map_fingerprint(*left)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert (key == maps.map_fingerprint(*right)) is same


def test_bounded_geojson_reports_the_bounds_folium_would_compute() -> None:
    import folium

    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": c}}
            for c in ([44.5, 40.1], [46.4, 39.2], [45.0, 41.7])
        ],
    }
    assert maps.BoundedGeoJson(data).get_bounds() == folium.GeoJson(data).get_bounds()
    assert maps.BoundedGeoJson(data).get_bounds() == [[39.2, 44.5], [41.7, 46.4]]


def test_shared_templates_compile_once_and_render_each_element_its_own_way() -> None:
    from branca.element import Element

    maps.share_compiled_templates()
    maps.share_compiled_templates()  # idempotent
    first, second = Element("<i>{{ this.get_name() }}</i>"), Element("<i>{{ this.get_name() }}</i>")
    assert first._template is second._template
    assert first.render() == f"<i>{first.get_name()}</i>"
    assert second.render() == f"<i>{second.get_name()}</i>" != first.render()


def test_popup_limits_cap_articles_and_quotes_and_count_the_rest() -> None:
    quote = {"sentence": "Shelling near Goris.", "start": 14, "end": 19, "sentence_start": 0}
    row = {
        "name": "Goris",
        "kind": "settlement",
        "provenance": [
            {
                "article": f"a{i}",
                "outlet": "Outlet",
                "published": "2023-09-01",
                "mentions": [quote] * 3,
            }
            for i in range(5)
        ],
    }
    roomy = maps.popup_html(row)
    tight = maps.popup_html(row, limits=(2, 1))
    assert roomy.count('class="rm-pop-art"') == 5 and roomy.count("<li>") == 5 * 3
    assert tight.count('class="rm-pop-art"') == 2 and tight.count("<li>") == 2
    assert "+3 more article(s)" in tight and tight.count("+2 more</div>") == 2
