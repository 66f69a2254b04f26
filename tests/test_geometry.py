"""Tests for geo.geometry: every spec form, provenance, buffers, borders, safe files, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

import geo.geometry as geometry_module
from geo.errors import BoundaryError, GazetteerError
from geo.gazetteer import Gazetteer
from geo.geometry import (
    ResolvedGeometry,
    buffer_geodesic,
    collect_geometries,
    representative_lonlat,
    resolve_geometries,
    shared_border,
)
from geo.models import Origin, Place

GEOD = Geod(ellps="WGS84")


class FakeBoundaries:
    """Two neighbouring square 'countries', one admin-1 unit, one special area, one town."""

    west = shapely.box(45.0, 39.0, 46.0, 40.0)
    east = shapely.box(46.0, 39.0, 47.0, 40.0)
    countries = pd.DataFrame({"iso_a3": ["WWW"]})
    special_areas = pd.DataFrame(
        {
            "id": ["disputed"],
            "precision": ["approximate"],
            "note": ["an approximation"],
            "source": ["test source"],
        }
    )

    def country(self, iso3: str) -> shapely.Geometry:
        known = {"WWW": self.west, "EEE": self.east, "FAR": shapely.box(10, 10, 11, 11)}
        if iso3 not in known:
            raise BoundaryError(
                f"unknown country {iso3!r} — expected an ISO3 code; did you mean 'WWW'?"
            )
        return known[iso3]

    def admin1_unit(self, code=None, *, country=None, name=None) -> shapely.Geometry:
        if code == "WW-01" or (country == "WWW" and name == "North"):
            return shapely.box(45.0, 39.5, 46.0, 40.0)
        raise BoundaryError(f"unknown admin-1 unit {code or name!r}")

    admin1 = None  # like the real Boundaries: the layer, not a function

    def special_area(self, area_id: str) -> shapely.Geometry:
        if area_id != "disputed":
            raise BoundaryError(f"unknown special area {area_id!r}")
        return shapely.box(45.5, 39.2, 46.5, 39.8)

    def place(self, geonameid: int) -> shapely.Geometry:
        if geonameid != 174895:
            raise BoundaryError(f"unknown GeoNames id {geonameid!r}")
        return shapely.Point(46.3383, 39.5111)


def make(pid: str, geometry=None, line: int = 1, **kw) -> Place:
    return Place(
        pid,
        pid.title(),
        kw.pop("kind", "region"),
        geometry=geometry,
        origin=Origin("g.yaml", line),
        **kw,
    )


BASE = [
    make("west", {"admin0": "WWW"}),
    make("east", {"admin0": "EEE"}),
    make("town", {"point": [45.5, 39.5]}),
    make("gn", {"geonames": 174895}),
]


def resolve(*places: Place, data_root: Path | None = None) -> dict[str, ResolvedGeometry]:
    return resolve_geometries(
        Gazetteer.from_places([*BASE, *places]), FakeBoundaries(), data_root=data_root
    )


# (spec, geometry type, source, precision, geo_precision)
SPECS = [
    ({"point": [45.5, 39.5]}, "Point", "analyst", "exact", 1),
    ({"points": [[45.5, 39.5], [45.6, 39.6]]}, "MultiPoint", "analyst", "exact", 1),
    ({"points": ["town", "gn"]}, "MultiPoint", "derived from: town, gn", "exact", 1),
    ({"points": ["town", [45.6, 39.6]]}, "MultiPoint", "derived from: town, analyst", "exact", 1),
    ({"points": ["west"]}, "Point", "derived from: west", "exact", 3),
    ({"line": [[45.5, 39.5], [45.6, 39.6]]}, "LineString", "analyst", "approximate", 2),
    ({"polygon": [[[45, 39], [45.5, 39], [45.5, 39.5]]]}, "Polygon", "analyst", "approximate", 3),
    ({"wkt": "POINT (45.5 39.5)"}, "Point", "analyst", "exact", 1),
    ({"wkt": "LINESTRING (45 39, 46 40)"}, "LineString", "analyst", "approximate", 2),
    ({"geonames": 174895}, "Point", "GeoNames", "exact", 1),
    (
        {"admin0": "WWW"},
        "Polygon",
        "OpenStreetMap (ODbL) via @osm_borders/maritime_10m 1.1.0",
        "exact",
        3,
    ),
    ({"admin0": "EEE"}, "Polygon", "Natural Earth", "exact", 3),
    (
        {"admin1": "WW-01"},
        "Polygon",
        "Natural Earth admin-1 (clipped to OpenStreetMap)",
        "exact",
        3,
    ),
    (
        {"admin1": {"country": "WWW", "name": "North"}},
        "Polygon",
        "Natural Earth admin-1 (clipped to OpenStreetMap)",
        "exact",
        3,
    ),
    ({"special_area": "disputed"}, "Polygon", "test source", "approximate", 3),
    ({"union": ["west", "east"]}, "Polygon", "derived from: west, east", "exact", 3),
    ({"line_through": ["town", "gn"]}, "LineString", "derived from: town, gn", "schematic", 2),
    ({"shared_border": ["west", "east"]}, "LineString", "derived from: west, east", "exact", 3),
    ({"point": [45.5, 39.5], "buffer_km": 5}, "Polygon", "analyst", "exact", 2),
    (
        {"admin0": "WWW", "buffer_km": 5},
        "Polygon",
        "OpenStreetMap (ODbL) via @osm_borders/maritime_10m 1.1.0",
        "exact",
        3,
    ),
]


@pytest.mark.parametrize(
    ("spec", "kind", "source", "precision", "level"),
    SPECS,
    ids=[next(iter(s[0])) + ("+buffer" if "buffer_km" in s[0] else "") for s in SPECS],
)
def test_every_spec_form(spec, kind, source, precision, level) -> None:
    resolved = resolve(make("x", spec))["x"]
    assert resolved.geometry.geom_type == kind
    assert (resolved.source, resolved.precision, resolved.geo_precision) == (
        source,
        precision,
        level,
    )
    point = shapely.Point(resolved.point)
    assert resolved.geometry.distance(point) < 1e-9  # the representative point lies on it


def test_special_area_note_is_carried() -> None:
    assert resolve(make("x", {"special_area": "disputed"}))["x"].note == "an approximation"


def test_place_overrides_precision_and_level() -> None:
    resolved = resolve(make("x", {"admin0": "WWW"}, precision="approximate", geo_precision=2))["x"]
    assert (resolved.precision, resolved.geo_precision) == ("approximate", 2)


def test_incident_without_geometry_is_drawn_at_its_places() -> None:
    resolved = resolve(make("inc", kind="incident", places=("town", "gn")))["inc"]
    assert resolved.geometry.geom_type == "MultiPoint"
    assert resolved.source == "derived from: town, gn"


def test_places_without_geometry_are_absent_and_empty_gazetteer_gives_nothing() -> None:
    assert "x" not in resolve(make("x"))
    assert resolve_geometries(Gazetteer.from_places([]), FakeBoundaries()) == {}


def test_references_resolve_in_dependency_order() -> None:
    late = [make("c", {"union": ["b", "east"]}), make("b", {"union": ["west"]})]
    resolved = resolve(*late)
    assert resolved["c"].geometry.equals(shapely.box(45, 39, 47, 40))


def test_line_through_follows_the_waypoints_in_order() -> None:
    resolved = resolve(make("x", {"line_through": ["town", "gn", "west"]}))["x"]
    assert list(resolved.geometry.coords)[:2] == [(45.5, 39.5), (46.3383, 39.5111)]


def test_shared_border_is_the_common_edge() -> None:
    border = resolve(make("x", {"shared_border": ["west", "east"]}))["x"].geometry
    assert border.equals(shapely.LineString([(46, 39), (46, 40)]))


@pytest.mark.parametrize(
    ("a", "b", "length"),
    [
        (shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), 1.0),
        (shapely.box(0, 0, 1, 1), shapely.box(1.0001, 0, 2, 1), 1.0),  # a sliver within tolerance
        (shapely.box(0, 0, 1, 1), shapely.box(1, 0.5, 2, 2), 0.5),
        (shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1), 0.0),
        (shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2), 0.0),  # touching at a corner only
    ],
)
def test_shared_border_table(a, b, length) -> None:
    border = shared_border(a, b)
    assert border.length == pytest.approx(length, abs=1e-3)
    assert border.is_empty or border.geom_type in ("LineString", "MultiLineString")


@given(
    st.floats(-179, 179),
    st.floats(-75, 75),
    st.floats(0.1, 500),
)
@settings(max_examples=40, deadline=None)
def test_buffer_is_geodesic(lon: float, lat: float, km: float) -> None:
    ring = buffer_geodesic(shapely.Point(lon, lat), km).exterior
    xs, ys = zip(*ring.coords, strict=True)
    _, _, dist = GEOD.inv([lon] * len(xs), [lat] * len(ys), xs, ys)
    assert min(dist) == pytest.approx(km * 1000, rel=0.01)
    assert max(dist) == pytest.approx(km * 1000, rel=0.01)


@given(st.floats(40, 50), st.floats(35, 45), st.floats(0.01, 2), st.floats(0.01, 2))
@settings(max_examples=30, deadline=None)
def test_representative_point_lies_on_the_geometry(lon, lat, w, h) -> None:
    for geom in (
        shapely.box(lon, lat, lon + w, lat + h),
        shapely.LineString([(lon, lat), (lon + w, lat + h)]),
        shapely.MultiPoint([(lon, lat), (lon + w, lat + h)]),
    ):
        assert geom.distance(shapely.Point(representative_lonlat(geom))) < 1e-9


# --------------------------------------------------------------------------- errors

ERRORS = [
    (
        make("x", {"admin0": "XXX"}, 7),
        "g.yaml:7: admin0 of place 'x': unknown country 'XXX' — expected an ISO3 code; "
        "did you mean 'WWW'?",
    ),
    (
        make("x", {"admin1": "ZZ-9"}, 7),
        "g.yaml:7: admin1 of place 'x': unknown admin-1 unit 'ZZ-9'",
    ),
    (
        make("x", {"admin1": {"country": "WWW", "name": "Sth"}}, 7),
        "g.yaml:7: admin1 of place 'x': unknown admin-1 unit 'Sth'",
    ),
    (
        make("x", {"special_area": "nope"}, 7),
        "g.yaml:7: special_area of place 'x': unknown special area 'nope'",
    ),
    (make("x", {"geonames": 1}, 7), "g.yaml:7: geonames of place 'x': unknown GeoNames id 1"),
    (
        make("x", {"shared_border": ["west", "town"]}, 7),
        "g.yaml:7: shared_border of place 'x': 'town' is a Point, not an area — expected two "
        "places "
        "with polygon geometry",
    ),
    (
        make("x", {"shared_border": ["west", "far"]}, 7),
        "g.yaml:7: shared_border of place 'x': 'west' and 'far' share no border — expected two "
        "neighbouring areas",
    ),
    (
        make("x", {"line_through": ["town", "town2"]}, 7),
        "g.yaml:7: line_through of place 'x' has all its waypoints in one place",
    ),
    (make("x", {"union": ["ghost"]}, 7), "g.yaml:7: place 'x' refers to unknown id 'ghost'"),
]


@pytest.mark.parametrize(("bad", "message"), ERRORS)
def test_unresolvable_specs_are_located_problems(bad: Place, message: str) -> None:
    extra = [make("far", {"admin0": "FAR"}), make("town2", {"point": [45.5, 39.5]})]
    g = Gazetteer.from_places([*BASE, *extra, bad])
    resolved, problems = collect_geometries(g, FakeBoundaries())
    assert [str(p)[: len(message)] for p in problems] == [message]
    assert "west" in resolved and "x" not in resolved


def test_dependents_of_a_failed_place_are_skipped_silently() -> None:
    g = Gazetteer.from_places([make("a", {"admin0": "XXX"}), make("b", {"union": ["a"]})])
    resolved, problems = collect_geometries(g, FakeBoundaries())
    assert resolved == {} and len(problems) == 1


def test_cycle_is_reported_defensively() -> None:
    g = Gazetteer.from_places([make("a", {"union": ["b"]}), make("b", {"union": ["a"]})])
    _, problems = collect_geometries(g, FakeBoundaries())
    assert "reference cycle" in problems[0].what


def test_resolve_raises_with_every_problem() -> None:
    g = Gazetteer.from_places([make("a", {"admin0": "XXX"}), make("b", {"geonames": 2})])
    with pytest.raises(GazetteerError, match=r"2 geometry problem\(s\)\n.*XXX.*\n.*GeoNames id 2"):
        resolve_geometries(g, FakeBoundaries())


# --------------------------------------------------------------------------- files


def _write_geojson(path: Path, geometry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
            }
        )
    )


def test_file_inside_data_is_read(tmp_path: Path) -> None:
    _write_geojson(
        tmp_path / "analyst" / "route.geojson",
        {"type": "LineString", "coordinates": [[45, 39], [46, 40]]},
    )
    resolved = resolve(make("x", {"file": "analyst/route.geojson"}), data_root=tmp_path)["x"]
    assert resolved.geometry.geom_type == "LineString"
    assert (resolved.source, resolved.geo_precision) == (
        "analyst file data/analyst/route.geojson",
        2,
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("../outside.geojson", "leaves data/ ('..')"),
        ("/etc/passwd.geojson", "is an absolute path"),
        ("link/outside.geojson", "leaves data/ (through a symbolic link)"),
        ("missing.geojson", "does not exist"),
        ("bad.geojson", "cannot be read"),
        ("bowtie.geojson", "holds an invalid geometry: Self-intersection"),
    ],
)
def test_file_paths_are_confined_to_data(tmp_path: Path, value: str, reason: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _write_geojson(tmp_path / "outside.geojson", {"type": "Point", "coordinates": [45, 39]})
    (data / "link").symlink_to(tmp_path)
    (data / "bad.geojson").write_text("{not json")
    _write_geojson(
        data / "bowtie.geojson",
        {"type": "Polygon", "coordinates": [[[45, 39], [46, 40], [46, 39], [45, 40], [45, 39]]]},
    )
    g = Gazetteer.from_places([make("x", {"file": value})])
    _, problems = collect_geometries(g, FakeBoundaries(), data_root=data)
    assert len(problems) == 1
    assert problems[0].what.startswith(f"file '{value}' of place 'x' {reason}")


# --------------------------------------------------------------------------- real data


def test_with_the_bundled_boundaries() -> None:
    from geo.boundaries import load_boundaries

    places = [
        make("armenia", {"admin0": "ARM"}),
        make("iran", {"admin0": "IRN"}),
        make("border", {"shared_border": ["armenia", "iran"]}),
        make("syunik", {"admin1": {"country": "ARM", "name": "Syunik"}}),
        make("syunik_code", {"admin1": "AM-SU"}),
        make("nakhchivan", {"special_area": "nakhchivan_ar"}),
    ]
    resolved = resolve_geometries(Gazetteer.from_places(places), load_boundaries())
    border_km = GEOD.geometry_length(resolved["border"].geometry) / 1000
    assert border_km == pytest.approx(44, rel=0.12)  # CIA: Armenia–Iran 44 km
    assert resolved["syunik"].geometry.equals(resolved["syunik_code"].geometry)
    assert resolved["armenia"].source.startswith("OpenStreetMap")
    assert resolved["nakhchivan"].geometry.geom_type in ("Polygon", "MultiPolygon")


OFFLINE_POINTS = {3039154: (1.5218, 42.5063)}


@pytest.fixture(autouse=True)
def offline_geonames(monkeypatch):
    """Answer ids missing from the fake boundaries from a tiny table, not the real index."""
    monkeypatch.setattr(geometry_module, "_offline_geonames_point", OFFLINE_POINTS.get)


def test_geonames_id_outside_the_bundled_places_resolves_from_the_offline_index():
    resolved = resolve(make("far_town", {"geonames": 3039154}))["far_town"]
    assert (resolved.geometry.x, resolved.geometry.y) == OFFLINE_POINTS[3039154]
    assert resolved.source == "GeoNames (offline index)"
    assert (resolved.precision, resolved.geo_precision) == ("exact", 1)
