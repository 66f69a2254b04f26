"""Tests for geo.export: RFC 7946 GeoJSON, GeoPackage and CSV round trips, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from geojson_pydantic import FeatureCollection
from shapely.geometry import MultiPolygon, Point, Polygon

from geo import cli, export
from geo.errors import ExportError
from geo.export import to_feature_collection, write_layers
from geo.layers import LAYER_NAMES, Filters, build_layers, empty_layer
from tests.fakes import ARTICLES, GEOMETRIES, INCIDENTS, MENTIONS, PLACES, FakeGeometry

CW_SQUARE = Polygon([(45.0, 39.0), (45.0, 40.0), (46.1234567891, 40.0), (46.0, 39.0)])  # clockwise
HOLED = Polygon(
    [(44, 38), (44, 41), (47, 41), (47, 38)],  # clockwise exterior
    [[(45, 39), (46, 39), (46, 40), (45, 40)]],  # counter-clockwise hole
)


def sample_layers():
    """Layers built from the hand-made world of tests/fakes.py plus awkward geometries."""
    geometries = dict(GEOMETRIES)
    geometries["syunik"] = FakeGeometry(HOLED, "Natural Earth", "exact", 3)
    geometries["sevan"] = FakeGeometry(MultiPolygon([CW_SQUARE]), "analyst", "approximate", 3)
    return build_layers(PLACES, geometries, MENTIONS, ARTICLES, INCIDENTS, Filters())


@pytest.fixture(scope="module")
def layers():
    return sample_layers()


def _rings(geometry: dict):
    polygons = {"Polygon": [geometry["coordinates"]], "MultiPolygon": geometry["coordinates"]}
    return polygons.get(geometry["type"], [])


def _numbers(value):
    if isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    else:
        yield value


# --- GeoJSON --------------------------------------------------------------------------------------


def test_feature_collection_is_rfc7946(layers):
    for name, frame in layers.items():
        collection = to_feature_collection(frame)
        FeatureCollection.model_validate(collection)  # the GeoJSON schema
        text = json.dumps(collection, allow_nan=False)  # JSON-serialisable, no NaN
        assert "crs" not in collection
        assert [f["id"] for f in collection["features"]] == list(frame["id"]), name
        for feature in collection["features"]:
            assert feature["properties"]["layer"] == name
            for rings in _rings(feature["geometry"]):
                exterior, *holes = rings
                assert shapely.is_ccw(shapely.LinearRing(exterior)), feature["id"]
                assert not any(shapely.is_ccw(shapely.LinearRing(h)) for h in holes)
            for number in _numbers(feature["geometry"]["coordinates"]):
                assert round(number, 6) == number
        assert "46.123457" in text or name != "regions"


def test_provenance_is_an_array_of_objects(layers):
    collection = to_feature_collection(layers["settlements"])
    (goris,) = collection["features"]
    provenance = goris["properties"]["provenance"]
    assert isinstance(provenance, list) and all(isinstance(p, dict) for p in provenance)
    assert provenance[0]["published"] == "2021-05-14"
    assert isinstance(provenance[0]["mentions"][0], dict)


def test_geojson_all_round_trips_through_gdal(layers, tmp_path):
    path = tmp_path / "all.geojson"
    assert write_layers(layers, path, fmt="geojson") == [path]
    back = pyogrio.read_dataframe(path)
    expected = pd.concat([f.drop(columns="geometry") for f in layers.values() if len(f)])
    geoms = pd.concat([f.geometry for f in layers.values() if len(f)])
    assert len(back) == len(expected)
    assert list(back["id"]) == list(expected["id"])
    assert list(back.geometry.geom_type) == list(geoms.geom_type)
    assert list(back["layer"]) == list(expected["layer"])
    assert list(back["name"]) == list(expected["name"])
    assert list(back["mention_count"]) == list(expected["mention_count"])
    assert back.crs == "EPSG:4326"


def test_geojson_one_layer_and_folder_of_layers(layers, tmp_path):
    path = tmp_path / "regions.geojson"
    write_layers(layers, path, fmt="geojson", layer="regions")
    back = gpd.read_file(path)
    assert list(back["id"]) == list(layers["regions"]["id"])
    written = write_layers(layers, tmp_path, fmt="geojson")
    assert sorted(p.name for p in written) == sorted(f"{n}.geojson" for n in LAYER_NAMES)
    assert json.loads((tmp_path / "borders.geojson").read_text()) == {
        "type": "FeatureCollection",
        "features": [],
    }


# --- GeoPackage and CSV ---------------------------------------------------------------------------


def test_gpkg_round_trip(layers, tmp_path):
    path = tmp_path / "out.gpkg"
    write_layers(layers, path, fmt="gpkg")
    assert sorted(pyogrio.list_layers(path)[:, 0]) == sorted(LAYER_NAMES)
    for name, frame in layers.items():
        back = pyogrio.read_dataframe(path, layer=name)
        assert len(back) == len(frame), name
        assert list(back["id"]) == list(frame["id"]), name
        if len(frame):
            # GDAL promotes mixed Polygon/MultiPolygon tables to multi: same shapes, same family
            assert all(a.equals(b) for a, b in zip(back.geometry, frame.geometry, strict=True))
            assert [json.loads(p) for p in back["provenance"]] == [
                json.loads(json.dumps(p)) for p in frame["provenance"]
            ]
    syunik = pyogrio.read_dataframe(path, layer="regions").set_index("id").loc["syunik", "geometry"]
    assert shapely.is_ccw(syunik.geoms[0].exterior) and syunik.equals(HOLED)


def test_csv_round_trip(layers, tmp_path):
    path = tmp_path / "out.csv"
    write_layers(layers, path, fmt="csv")
    back = pd.read_csv(path)
    expected = pd.concat([f for f in layers.values() if len(f)], ignore_index=True)
    assert list(back.columns)[-1] == "geometry"
    assert list(back["id"]) == list(expected["id"])
    geometries = shapely.from_wkt(back["geometry"])
    assert [g.geom_type for g in geometries] == list(expected.geometry.geom_type)
    assert all(re.fullmatch(r"[A-Z ()\d.,-]+", w) for w in back["geometry"])
    assert json.loads(back.set_index("id").loc["goris", "provenance"])[0]["article"] == "b"
    assert json.loads(back.set_index("id").loc["zangezur_corridor", "claimed_by"]) == ["AZE", "TUR"]


# --- empty selection and bad input ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_empty_selection_writes_valid_empty_files(tmp_path, fmt):
    path = tmp_path / f"empty.{fmt}"
    layers = {name: empty_layer(name) for name in LAYER_NAMES}
    write_layers(layers, path, fmt=fmt, layer="borders")
    if fmt == "geojson":
        collection = json.loads(path.read_text())
        assert collection == {"type": "FeatureCollection", "features": []}
        FeatureCollection.model_validate(collection)
        assert len(pyogrio.read_dataframe(path)) == 0
    elif fmt == "gpkg":
        assert list(pyogrio.list_layers(path)[:, 0]) == ["borders"]
        assert len(pyogrio.read_dataframe(path, layer="borders")) == 0
    else:
        assert path.read_text().strip().split(",")[:2] == ["id", "name"]
        assert len(pd.read_csv(path)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer": "roads"}, r"unknown layer 'roads' — expected one of: all, countries, regions"),
        ({"fmt": "kml"}, r"unknown format 'kml' — expected one of: geojson, gpkg, csv"),
    ],
)
def test_bad_layer_or_format(layers, tmp_path, kwargs, message):
    with pytest.raises(ExportError, match=message):
        write_layers(layers, tmp_path / "x.geojson", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_paths(layers, tmp_path):
    missing = tmp_path / "no" / "such" / "x.geojson"
    with pytest.raises(
        ExportError, match=r"cannot write .*x\.geojson: folder .*such does not exist"
    ):
        write_layers(layers, missing)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(
        ExportError, match=r"cannot write .*file\.txt/x\.gpkg: folder .* does not exist"
    ):
        write_layers(layers, a_file / "x.gpkg", fmt="gpkg")
    with pytest.raises(ExportError, match=r"it is a folder — expected a \.gpkg file path"):
        write_layers(layers, tmp_path, fmt="gpkg")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_failure_midway_leaves_no_partial_file(layers, tmp_path, monkeypatch, fmt):
    path = tmp_path / f"out.{fmt}"
    path.write_text("previous export")

    def half_then_fail(chosen, target):
        target.write_text('{"type": "FeatureCollection", "features": [')
        raise RuntimeError("disk full")

    monkeypatch.setitem(export._WRITERS, fmt, half_then_fail)
    with pytest.raises(ExportError, match=rf"cannot write .*out\.{fmt}: disk full"):
        write_layers(layers, path, fmt=fmt)
    assert path.read_text() == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


# --- command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer", "roads"], "unknown layer 'roads' — expected one of: all, countries"),
        (["--role", "locativ"], "unknown role 'locativ'"),
        (["--since", "Sept 2023"], "--since 'Sept 2023' is not a date — expected YYYY-MM-DD"),
    ],
)
def test_cli_bad_options_exit_non_zero(tmp_path, capsys, argv, message):
    assert cli.main(["export", *argv, "-o", str(tmp_path / "x.geojson")]) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_unwritable_path_exits_non_zero(tmp_path, capsys):
    target = tmp_path / "missing" / "x.geojson"
    assert cli.main(["export", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {target}" in err and "does not exist" in err


def test_to_feature_collection_reprojects_and_keeps_ids():
    frame = gpd.GeoDataFrame(
        {"id": ["p"], "n": [float("nan")]}, geometry=[Point(500000, 4400000)], crs="EPSG:32638"
    )
    (feature,) = to_feature_collection(frame)["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert 44 < lon < 46 and 39 < lat < 40.5
    assert feature["id"] == "p" and feature["properties"]["n"] is None


# --- targets that are not regular files, symlinks, the summary line -------------------------------


def test_devices_and_pipes_are_refused_and_left_alone(layers, tmp_path):
    import os

    with pytest.raises(ExportError, match=r"cannot write /dev/full: it is a character device"):
        write_layers(layers, "/dev/full")
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")
    pipe = tmp_path / "pipe.geojson"
    os.mkfifo(pipe)
    with pytest.raises(ExportError, match=r"pipe\.geojson: it is a named pipe — expected a"):
        write_layers(layers, pipe)
    assert not pipe.is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["pipe.geojson"]
    link = tmp_path / "to-device.geojson"
    link.symlink_to("/dev/null")
    with pytest.raises(ExportError, match=r"to-device\.geojson \(a link to /dev/null\): it is a"):
        write_layers(layers, link)
    assert link.is_symlink()


@pytest.mark.parametrize("existing", [True, False])
def test_a_symlink_is_followed_and_stays_a_link(layers, tmp_path, existing):
    real = tmp_path / "real.geojson"
    if existing:
        real.write_text("old")
    link = tmp_path / "link.geojson"
    link.symlink_to(real)
    written = write_layers(layers, link)
    assert [p.resolve() for p in written] == [real.resolve()]  # the file actually written
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert json.loads(real.read_text())["type"] == "FeatureCollection"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.geojson", "real.geojson"]


def test_report_gets_one_line_per_written_file(layers, tmp_path):
    lines: list[str] = []
    write_layers(layers, tmp_path / "all.geojson", report=lines.append)
    total = sum(len(frame) for frame in layers.values())
    filled = sum(1 for frame in layers.values() if len(frame))  # empty layers are not counted
    assert len(lines) == 1
    assert re.fullmatch(
        rf"wrote {total} features in {filled} layers to .*all\.geojson \(\d+(\.\d)? [kM]?B\)",
        lines[0],
    )
    folder = tmp_path / "csv"
    folder.mkdir()
    lines.clear()
    write_layers(layers, folder, fmt="csv", report=lines.append)
    assert len(lines) == len(layers)
    for name, frame in layers.items():
        (line,) = [line for line in lines if line.endswith(f"{name}.csv") or f"{name}.csv " in line]
        assert (" in 1 layer to " in line) == bool(len(frame)), line


def test_month_precision_publication_is_exported_as_a_month(tmp_path):
    from dataclasses import replace

    from tests.fakes import ARTICLES as FAKE_ARTICLES

    articles = {**FAKE_ARTICLES}
    articles["a"] = replace(
        articles["a"], published=dt.date(2023, 10, 1), published_precision="month"
    )
    built = build_layers(PLACES, GEOMETRIES, MENTIONS, articles, INCIDENTS, Filters())
    path = tmp_path / "x.geojson"
    write_layers(built, path)
    features = {f["id"]: f["properties"] for f in json.loads(path.read_text())["features"]}
    goris = features["goris"]  # named in a (month) and b (day)
    assert [g["published"] for g in goris["provenance"]] == ["2021-05-14", "2023-10"]
    assert (goris["first_published"], goris["last_published"]) == ("2021-05-14", "2023-10")
    assert features["sevan"]["first_published"] == "2023-10"


# --- command line: empty selections, unknown articles, the summary line ---------------------


@pytest.fixture(scope="module")
def seed_exports(tmp_path_factory):
    """Run the real CLI on the seeds for a few filter sets (loads the corpus each time)."""
    folder = tmp_path_factory.mktemp("seed-exports")
    runs = {}
    for name, argv in {
        "future": ["--since", "2030-01-01"],
        "all": [],
    }.items():
        path = folder / f"{name}.geojson"
        status = cli.main(["export", *argv, "-o", str(path)])
        runs[name] = (status, json.loads(path.read_text()))
    return runs


@pytest.mark.slow
def test_cli_empty_selection_is_empty(seed_exports):
    status, collection = seed_exports["future"]
    assert status == 0
    assert collection == {"type": "FeatureCollection", "features": []}


@pytest.mark.slow
def test_cli_selection_keeps_context_countries(seed_exports):
    status, collection = seed_exports["all"]
    layers_seen = {f["properties"]["layer"] for f in collection["features"]}
    assert status == 0 and {"countries", "incidents", "settlements"} <= layers_seen
    counts = [f["properties"]["mention_count"] for f in collection["features"]]
    assert 0 in counts  # context countries accompany a non-empty selection


@pytest.mark.slow
def test_cli_unknown_article_is_refused(tmp_path, capsys):
    target = tmp_path / "x.geojson"
    assert cli.main(["export", "--article", "nonexistent", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "unknown article 'nonexistent' — expected one of 000_" in err
    assert not target.exists()


@pytest.mark.slow
def test_cli_prints_one_line_per_file(tmp_path, capsys):
    target = tmp_path / "x.gpkg"
    assert cli.main(["export", "--format", "gpkg", "-o", str(target)]) == 0
    out = capsys.readouterr()
    assert re.fullmatch(r"wrote \d+ features in [1-6] layers? to .*x\.gpkg \(.+B\)\n", out.err)
    assert out.out == ""
