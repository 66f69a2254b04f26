"""Tests for geo.geometry: every spec form, provenance, buffers, borders, safe files, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import MappingProxyType

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


# --------------------------------------------------------------------------- snapshot

SNAPSHOT_YAML = """\
- id: alpha
  name: Alpha
  kind: settlement
  aliases: [Alfa]
  names: {hy: Ալֆա}
  valid_from: 2020-01-02
  sources: [{note: a note}]
  geometry: {point: [46.5, 39.5]}
- id: beta
  name: Beta
  kind: settlement
  geometry: {point: [46.7, 39.6], buffer_km: 3}
- id: both
  name: Both
  kind: region
  geometry: {union: [alpha, beta]}
"""


@pytest.fixture
def snapshot_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A gazetteer folder, a boundaries folder, an empty cache, and a count of real loads."""
    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "gazetteer"
    folder.mkdir()
    (folder / "g.yaml").write_text(SNAPSHOT_YAML, encoding="utf-8")
    layers = tmp_path / "boundaries"
    layers.mkdir()
    (layers / "countries.geojson").write_text("{}", encoding="utf-8")
    calls = {"load": 0}
    real_load = geometry_module.load_gazetteer

    def counting_load(*args, **kwargs):
        calls["load"] += 1
        return real_load(*args, **kwargs)

    import geo.boundaries

    monkeypatch.setattr(geometry_module, "load_gazetteer", counting_load)
    monkeypatch.setattr(geo.boundaries, "load_boundaries", lambda *a, **k: FakeBoundaries())
    return {
        "folder": folder,
        "yaml": folder / "g.yaml",
        "calls": calls,
        "load": lambda: geometry_module.load_resolved(
            folder, boundaries_dir=layers, data_root=tmp_path
        ),
        "layers": layers,
        "cache": tmp_path / "cache" / "snapshots",
    }


def _facts(loaded: tuple) -> tuple:
    gazetteer, geometries = loaded
    return (
        list(gazetteer),
        gazetteer.files,
        gazetteer.fingerprint,
        [
            (k, g.source, g.precision, g.geo_precision, g.lon, g.lat, g.note, g.geometry.wkb)
            for k, g in geometries.items()
        ],
    )


def test_snapshot_is_reused_when_inputs_are_unchanged(snapshot_inputs: dict) -> None:
    first = snapshot_inputs["load"]()
    assert [p.name for p in snapshot_inputs["cache"].iterdir()] != []
    second = snapshot_inputs["load"]()
    assert snapshot_inputs["calls"]["load"] == 1  # the second came from the snapshot
    assert _facts(second) == _facts(first)
    assert second[0]["alpha"].names["hy"] == "Ալֆա"
    assert type(second[0]["alpha"].geometry).__name__ == "mappingproxy"
    assert second[0]["alpha"].origin == Origin(str(snapshot_inputs["yaml"]), 1)


def test_snapshot_equals_a_load_without_it(snapshot_inputs: dict, tmp_path: Path) -> None:
    snapshot_inputs["load"]()
    cached = snapshot_inputs["load"]()
    fresh = geometry_module.load_resolved(
        snapshot_inputs["folder"],
        boundaries_dir=snapshot_inputs["layers"],
        data_root=tmp_path,
        snapshot=False,
    )
    assert _facts(cached) == _facts(fresh)


@pytest.mark.parametrize(
    "change",
    ["yaml", "new-yaml-file", "boundary-file", "code"],
)
def test_snapshot_is_rebuilt_when_an_input_changes(
    snapshot_inputs: dict, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    snapshot_inputs["load"]()
    if change == "yaml":  # same size and kept mtime would not matter: contents are hashed
        text = SNAPSHOT_YAML.replace("name: Alpha", "name: Alpho")
        snapshot_inputs["yaml"].write_text(text, encoding="utf-8")
    elif change == "new-yaml-file":
        (snapshot_inputs["folder"] / "h.yaml").write_text(
            "- {id: gamma, name: Gamma, kind: settlement, geometry: {point: [46, 39]}}\n"
        )
    elif change == "boundary-file":
        (snapshot_inputs["layers"] / "countries.geojson").write_text("{ }", encoding="utf-8")
    else:
        monkeypatch.setattr(geometry_module, "_code_version", lambda: "another version")
    gazetteer, _ = snapshot_inputs["load"]()
    assert snapshot_inputs["calls"]["load"] == 2
    if change == "yaml":
        assert gazetteer["alpha"].name == "Alpho"
    if change == "new-yaml-file":
        assert "gamma" in gazetteer
    snapshot_inputs["load"]()
    assert snapshot_inputs["calls"]["load"] == 2  # and the rebuilt snapshot is used next time


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-1],  # one byte of WKB short
        lambda data: b"not a snapshot at all",
        lambda data: data[:30] + b"\xff" * 20 + data[50:],  # header length / JSON garbled
        lambda data: data.replace(b'"key": "', b'"key": "0', 1),  # written for another key
        lambda data: data.replace(b'"format": 1', b'"format": 0', 1),
        lambda data: data.replace(b'"proxy"', b'"pickle"', 1),  # unknown tag
    ],
    ids=["empty", "truncated", "short-wkb", "garbage", "garbled", "key", "format", "tag"],
)
def test_corrupt_snapshot_is_ignored_and_replaced(snapshot_inputs: dict, damage) -> None:
    first = snapshot_inputs["load"]()
    (path,) = snapshot_inputs["cache"].iterdir()
    path.write_bytes(damage(path.read_bytes()))
    assert _facts(snapshot_inputs["load"]()) == _facts(first)
    assert snapshot_inputs["calls"]["load"] == 2
    assert _facts(snapshot_inputs["load"]()) == _facts(first)
    assert snapshot_inputs["calls"]["load"] == 2  # rewritten whole


def test_errors_keep_their_file_line_after_a_snapshot_exists(snapshot_inputs: dict) -> None:
    snapshot_inputs["load"]()
    (path,) = snapshot_inputs["cache"].iterdir()
    saved = path.read_bytes()
    bad = SNAPSHOT_YAML.replace("kind: region", "kind: regoin")
    snapshot_inputs["yaml"].write_text(bad, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(GazetteerError, match=r"g\.yaml:15: kind is 'regoin' in place 'both'"):
            snapshot_inputs["load"]()
    assert path.read_bytes() == saved  # a failed load writes nothing
    snapshot_inputs["yaml"].write_text("- {id: a, name: A, kind: region, geometry: {union: [x]}}\n")
    with pytest.raises(GazetteerError, match=r"g\.yaml:1: union of place 'a' refers to unknown"):
        snapshot_inputs["load"]()
    snapshot_inputs["yaml"].write_text(SNAPSHOT_YAML, encoding="utf-8")
    calls = snapshot_inputs["calls"]["load"]
    snapshot_inputs["load"]()
    assert snapshot_inputs["calls"]["load"] == calls  # back to the clean contents: reused


def test_geometry_errors_are_never_snapshotted(snapshot_inputs: dict) -> None:
    snapshot_inputs["yaml"].write_text(
        "- {id: a, name: A, kind: country, geometry: {admin0: XYZ}}\n", encoding="utf-8"
    )
    for _ in range(2):
        with pytest.raises(GazetteerError, match=r"g\.yaml:1: admin0 of place 'a': unknown"):
            snapshot_inputs["load"]()
    assert not snapshot_inputs["cache"].exists()


def test_snapshot_false_neither_reads_nor_writes(snapshot_inputs: dict, tmp_path: Path) -> None:
    for _ in range(2):
        geometry_module.load_resolved(
            snapshot_inputs["folder"],
            boundaries_dir=snapshot_inputs["layers"],
            data_root=tmp_path,
            snapshot=False,
        )
    assert snapshot_inputs["calls"]["load"] == 2
    assert not snapshot_inputs["cache"].exists()


def test_analyst_file_change_rebuilds_the_snapshot(snapshot_inputs: dict, tmp_path: Path) -> None:
    area = tmp_path / "analyst" / "area.geojson"
    area.parent.mkdir()

    def write_area(x: float) -> None:
        feature = {
            "type": "Feature",
            "properties": {},
            "geometry": shapely.geometry.mapping(shapely.box(x, 39, x + 0.1, 39.1)),
        }
        area.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    write_area(46.0)
    snapshot_inputs["yaml"].write_text(
        "- {id: f, name: F, kind: region, geometry: {file: analyst/area.geojson}}\n"
    )
    assert snapshot_inputs["load"]()[1]["f"].geometry.bounds[0] == 46.0
    write_area(46.5)
    assert snapshot_inputs["load"]()[1]["f"].geometry.bounds[0] == 46.5
    assert snapshot_inputs["calls"]["load"] == 2


def test_unwritable_cache_only_costs_speed(snapshot_inputs: dict) -> None:
    snapshot_inputs["cache"].parent.mkdir(parents=True)
    snapshot_inputs["cache"].write_text("a file where the folder should be")
    first = snapshot_inputs["load"]()
    assert _facts(snapshot_inputs["load"]()) == _facts(first)
    assert snapshot_inputs["calls"]["load"] == 2


def test_values_the_encoding_cannot_carry_are_not_snapshotted(tmp_path: Path) -> None:
    place = Place("p", "P", "settlement", geometry={"point": [46.0, 39.0]}, notes=None)
    odd = Place("q", "Q", "settlement", names={"x": frozenset({"y"})})  # type: ignore[dict-item]
    gazetteer = Gazetteer.from_places([place, odd])
    geometries = resolve_geometries(Gazetteer.from_places([place]), None)
    path = tmp_path / "s.bin"
    assert not geometry_module.write_snapshot(path, "k", gazetteer, geometries, tmp_path)
    assert not path.exists()
    assert geometry_module.write_snapshot(
        path, "k", Gazetteer.from_places([place]), geometries, tmp_path
    )
    assert geometry_module.read_snapshot(path, "other key", tmp_path, []) is None
    assert geometry_module.read_snapshot(path, "k", tmp_path, [])[0]["p"] == place


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
_VALUES = st.recursive(
    _SCALARS | st.dates(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(MappingProxyType),
    ),
    max_leaves=10,
)


@given(_VALUES)
def test_snapshot_encoding_round_trips_values_and_their_types(value) -> None:
    back = geometry_module._decode(json.loads(json.dumps(geometry_module._encode(value))))
    assert back == value
    assert repr(back) == repr(value)  # same types all the way down (tuple, mappingproxy, date)


def test_snapshot_fingerprint_does_not_depend_on_the_working_directory(
    snapshot_inputs: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo import settings as geo_settings

    monkeypatch.setattr(geo_settings, "PROJECT_ROOT", tmp_path)  # files shown relative to it
    first = snapshot_inputs["load"]()
    assert first[0].files == ("gazetteer/g.yaml",)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    second = snapshot_inputs["load"]()
    assert snapshot_inputs["calls"]["load"] == 1
    assert (second[0].files, second[0].fingerprint) == (first[0].files, first[0].fingerprint)
