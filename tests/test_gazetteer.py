"""Tests for geo.gazetteer: parsing, teaching errors, cross-file checks, schema, CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import geo.gazetteer as gazetteer_module
from geo import cli
from geo.errors import GazetteerError, Problem
from geo.gazetteer import (
    Gazetteer,
    check_gazetteer,
    collect_gazetteer,
    find_cycles,
    gazetteer_fingerprint,
    gazetteer_json_schema,
    load_gazetteer,
    normalize_alias,
    parse_gazetteer,
    schema_text,
)
from geo.models import Origin, Place
from geo.settings import PROJECT_ROOT, REGION_BBOX

FIXTURES = Path(__file__).parent / "data" / "gazetteer"
SCHEMA_FILE = PROJECT_ROOT / "data" / "gazetteer" / "schema.json"


def parse(text: str) -> tuple[list[Place], list[Problem]]:
    return parse_gazetteer(textwrap.dedent(text), "g.yaml")


def problems_of(text: str) -> list[str]:
    return [str(p) for p in parse(text)[1]]


# --------------------------------------------------------------------------- valid input

VALID = [
    ("", []),
    ("[]", []),
    ("# only a comment\n", []),
    ("- {id: goris, name: Goris, kind: settlement}", ["goris"]),
    ("places: []", []),
    (
        "region: world\nplaces:\n- {id: dc, name: Washington, kind: settlement, "
        "geometry: {point: [-77.04, 38.9]}}",
        ["dc"],
    ),
    ("- {id: syunik, name: Syunik, kind: region, geometry: {admin1: AM-SU}}", ["syunik"]),
    (
        "- {id: syunik, name: Syunik, kind: region, "
        "geometry: {admin1: {country: ARM, name: Syunik}}}",
        ["syunik"],
    ),
    ("- {id: a, name: A, kind: region, geometry: {admin0: ARM, buffer_km: 5}}", ["a"]),
    ("- {id: a, name: A, kind: settlement, geometry: {geonames: 174895}}", ["a"]),
    ("- {id: a, name: A, kind: region, geometry: {special_area: nakhchivan_ar}}", ["a"]),
    ("- {id: a, name: A, kind: corridor, geometry: {line: [[46, 39], [46.5, 39.5]]}}", ["a"]),
    ("- {id: a, name: A, kind: region, geometry: {wkt: 'POINT (46 39)'}}", ["a"]),
    ("- {id: a, name: A, kind: region, geometry: {file: analyst/route.geojson}}", ["a"]),
    ("- {id: a, name: A, kind: region, valid_from: 2020-11-10, valid_to: '2023-09-19'}", ["a"]),
    ("- {id: a, name: A, kind: incident, date: 2022-09-13, date_precision: day}", ["a"]),
    ("- {id: a, name: A, kind: region, geo_precision: 3, precision: approximate}", ["a"]),
]


@pytest.mark.parametrize(("text", "ids"), VALID)
def test_valid_files_parse_without_problems(text: str, ids: list[str]) -> None:
    places, problems = parse(text)
    assert problems == []
    assert [p.id for p in places] == ids


def test_place_fields_and_origin() -> None:
    places, _ = parse_gazetteer((FIXTURES / "ok" / "routes.yaml").read_text(), "r.yaml")
    corridor, incident = places
    assert corridor.claimed_by == ("AZE", "TUR")
    assert corridor.geometry == {"line_through": ["goris", "meghri"], "buffer_km": 2}
    assert corridor.sources[0]["article"] == "seed-1"
    assert corridor.origin == Origin("r.yaml", 4)
    assert incident.date == dt.date(2022, 9, 13)
    assert incident.places == ("goris", "meghri")


# --------------------------------------------------------------------------- invalid input

INVALID = [
    # (yaml, line, pinned wording)
    ("- id: a\n  name: [unclosed\n", 3, r"YAML syntax error: .* — expected valid YAML; check"),
    ("- id: a\n\tname: A\n", 2, r"YAML syntax error: .*'\\t'.*; indent with spaces, not tabs"),
    (
        "- id: a\n  geometry: {point: [46, 39\n",
        3,
        r"while parsing a flow sequence that starts at line 2",
    ),
    ("- {id: a, name: A, kind: city}", 1, r"kind is 'city' .*; use 'settlement'$"),
    (
        "- {id: a, name: A, kind: region, alias: [A]}",
        1,
        r"unknown key 'alias' in place 'a' — expected one of id, name, .*; "
        r"did you mean 'aliases'\?",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {piont: [46, 39]}}",
        1,
        r"unknown key 'piont' in place 'a' — .*; did you mean 'point'\?",
    ),
    (
        "- {id: a, kind: region}",
        1,
        r"place 'a' lacks the required key 'name' — expected name: a non-empty display name; add",
    ),
    ("- {name: A, kind: region}", 1, r"entry #1 lacks the required key 'id'"),
    (
        "- {id: a, name: A, kind: region, aliases: A}",
        1,
        r"aliases is 'A' in place 'a' — expected a list of strings.*; write aliases: \[A\]",
    ),
    (
        "- {id: a, name: A, kind: region, geo_precision: 4}",
        1,
        r"geo_precision is 4 \(a number\) .* — expected 1 \(town\), 2",
    ),
    ("- {id: a, name: 5, kind: region}", 1, r"name is 5 \(a number\) in place 'a'"),
    ("- {id: a, name: A, kind: setlement}", 1, r"kind is 'setlement' .*did you mean 'settlement'"),
    (
        "- {id: Goris Town, name: A, kind: region}",
        1,
        r"id is 'Goris Town' .*write it as 'goris_town'",
    ),
    ("- {id: a, name: A, kind: region, country: arm}", 1, r"country is 'arm' .*write it as 'ARM'"),
    (
        "- {id: a, name: A, kind: region, geometry: {point: [38.9, 46.2]}}",
        1,
        r"point \[38.9, 46.2\] of place 'a' lies outside the file's region \[42, 36.5, 52, 43.5\] "
        r"— expected \[lon, lat\] inside the region; did you swap lon and lat\? \[46.2, 38.9\]",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {point: [-77, 38.9]}}",
        1,
        r"lies outside the file's region .*; set 'region: world'",
    ),
    (
        "region: world\nplaces:\n- {id: a, name: A, kind: region, geometry: {point: [38.9, 146]}}",
        3,
        r"outside the world .*did you swap lon and lat\? \[146, 38.9\]",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {point: [46]}}",
        1,
        r"geometry.point has 1 item\(s\) in place 'a' — expected \[lon, lat\]",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {point: ['46', 39]}}",
        1,
        r"geometry.point\[0\] is '46' in place 'a' — expected \[lon, lat\]",
    ),
    (
        "- {id: a, name: A, kind: corridor, geometry: {line: [[46, 39]]}}",
        1,
        r"geometry.line has 1 item\(s\) .*a line needs two points",
    ),
    (
        "- {id: a, name: A, kind: corridor, geometry: {line: [[46, 39], [46, 39]]}}",
        1,
        r"line of place 'a' has all its points in one place",
    ),
    (
        "- id: a\n  name: A\n  kind: region\n  geometry:\n    polygon: "
        "[[[46, 39], [47, 40], [47, 39], [46, 40]]]\n",
        5,
        r"polygon of place 'a' is not a valid geometry: Self-intersection",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {wkt: 'POINT (46 39'}}",
        1,
        r"wkt of place 'a' cannot be read",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {buffer_km: 3}}",
        1,
        r"geometry of place 'a' has no base key — expected exactly one of point, .*buffer_km alone",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {point: [46, 39], admin0: ARM}}",
        1,
        r"has 2 base keys \(point, admin0\) .*union",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {admin0: ARM, buffer_km: -1}}",
        1,
        r"geometry.buffer_km is -1 .* — expected a positive number",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {admin1: {country: ARM, nam: S}}}",
        1,
        r"unknown key 'nam' in place 'a' — expected one of country, name; did you mean 'name'",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {file: ../../etc/x.geojson}}",
        1,
        r"file '../../etc/x.geojson' of place 'a' leaves data/ \('..'\) — expected a path relative",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {file: /etc/x.geojson}}",
        1,
        r"is an absolute path",
    ),
    (
        "- {id: a, name: A, kind: region, geometry: {file: 'C:\\x.geojson'}}",
        1,
        r"is an absolute path",
    ),
    ("- {id: a, name: A, kind: region, geometry: {file: x.shp}}", 1, r"has suffix '.shp'"),
    (
        "- {id: a, name: A, kind: incident, date: 2022-13-45}",
        1,
        r"date is '2022-13-45', not a calendar date, in place 'a' — expected an ISO date",
    ),
    ("- {id: a, name: A, kind: incident, date: 13/09/2022}", 1, r"not a calendar date"),
    ("- {id: a, name: A, kind: incident}", 1, r"incident 'a' has no date — expected date:"),
    (
        "- id: a\n  name: A\n  kind: region\n  valid_from: 2023-01-01\n  valid_to: 2022-01-01\n",
        4,
        r"valid_from 2023-01-01 is after valid_to 2022-01-01 .*swap the two dates",
    ),
    (
        "- {id: a, name: A, kind: region, aliases: [X], default_for: [Y]}",
        1,
        r"default_for 'Y' of place 'a' is not one of its names or aliases",
    ),
    (
        "- id: a\n  name: A\n  name: B\n  kind: region\n",
        3,
        r"duplicate key 'name' \(first at line 2\) — expected each key once",
    ),
    (
        "- id: a\n  name: A\n  kind: region\n  notes: !!python/object/apply:os.system [ls]\n",
        4,
        r"unsafe or unknown YAML tag '!!python/object/apply:os.system' — expected plain YAML",
    ),
    ("- !!python/object:os.Foo {id: a}\n", 1, r"unsafe or unknown YAML tag '!!python/object:os"),
    ("- {id: a, name: !custom A, kind: region}", 1, r"unsafe or unknown YAML tag '!custom'"),
    ("- base: &b {id: a}\n  <<: *b\n", 2, r"YAML merge key '<<' is not supported"),
    ("just text", 1, r"the file holds 'just text' — expected a list of entries, or a mapping"),
    ("- 5", 1, r"entry #1 is 5 \(a number\) — expected a mapping"),
    ("plces: []", 1, r"unknown top-level key 'plces' .*did you mean 'places'"),
    ("region: [52, 43, 42, 36]\nplaces: []", 1, r"region is \[52, 43, 42, 36\] .* min < max"),
    ("region: world", 1, r"the file has no 'places' key"),
    (
        "- {id: a, name: A, kind: region}\n- {id: a, name: B, kind: region}",
        2,
        r"duplicate id 'a' \(also at g.yaml:1\) — expected each id once across all",
    ),
]


@pytest.mark.parametrize(("text", "line", "pattern"), INVALID)
def test_invalid_input_gives_a_located_teaching_problem(text: str, line: int, pattern: str) -> None:
    _, problems = parse(text)
    matching = [p for p in problems if re.search(pattern, str(p))]
    assert matching, f"no problem matches {pattern!r} in {[str(p) for p in problems]}"
    assert matching[0].line == line
    assert str(matching[0]).startswith(f"g.yaml:{line}: ")


def test_unsafe_tag_is_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = (
        "- id: a\n  name: A\n  kind: region\n"
        f'  notes: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    places, problems = parse_gazetteer(text, "g.yaml")
    assert places == []
    assert [p.line for p in problems] == [4]
    assert not marker.exists()


def test_duplicate_ids_in_one_file_are_reported_at_both_lines() -> None:
    _, problems = parse("- {id: a, name: A, kind: region}\n- {id: a, name: B, kind: region}")
    assert sorted(p.line for p in problems) == [1, 2]


def test_every_problem_of_a_file_is_reported_in_one_run() -> None:
    text = (FIXTURES / "bad" / "many.yaml").read_text()
    _, problems = parse_gazetteer(text, "many.yaml")
    assert [p.line for p in problems] == [5, 9, 10, 12, 16, 20]


def test_alias_expansion_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 8)
    ]
    _, problems = parse("\n".join(lines))
    assert any("more than" in p.what and "YAML nodes" in p.what for p in problems)


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_parse_never_raises_and_lines_stay_in_the_file(text: str) -> None:
    _, problems = parse_gazetteer(text, "f.yaml")
    for problem in problems:
        assert 1 <= problem.line <= text.count("\n") + 2


inside = st.tuples(
    st.floats(REGION_BBOX[0], REGION_BBOX[2]), st.floats(REGION_BBOX[1], REGION_BBOX[3])
)


@given(inside)
def test_swap_hint_exactly_when_swapping_lands_inside(lonlat: tuple[float, float]) -> None:
    lon, lat = lonlat
    _, problems = parse(
        f"- {{id: a, name: A, kind: region, geometry: {{point: [{lat!r}, {lon!r}]}}}}"
    )
    swapped_inside = (
        REGION_BBOX[0] <= lat <= REGION_BBOX[2] and REGION_BBOX[1] <= lon <= REGION_BBOX[3]
    )
    if swapped_inside:
        assert problems == []
    else:
        assert len(problems) == 1
        assert "did you swap lon and lat?" in problems[0].hint


slugs = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
names = (
    st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)


@given(st.dictionaries(slugs, st.tuples(names, st.lists(names, max_size=3)), max_size=6))
@settings(deadline=None)
def test_entries_round_trip_through_yaml(entries: dict[str, tuple[str, list[str]]]) -> None:
    data = [{"id": k, "name": n, "kind": "landmark", "aliases": a} for k, (n, a) in entries.items()]
    text = json.dumps(data, ensure_ascii=False)  # JSON is YAML
    places, problems = parse_gazetteer(text, "f.yaml")
    assert problems == []
    assert [(p.id, p.name, list(p.aliases)) for p in places] == [
        (d["id"], d["name"], d["aliases"]) for d in data
    ]


# --------------------------------------------------------------------------- across files


def place(pid: str, line: int = 1, **kw) -> Place:
    return Place(
        pid,
        kw.pop("name", pid.title()),
        kw.pop("kind", "region"),
        origin=Origin("f.yaml", line),
        **kw,
    )


PT = {"point": [46, 39]}

CROSS = [
    ([], []),
    ([place("a", geometry=PT), place("b", geometry={"union": ["a"]})], []),
    ([place("b", geometry={"union": ["a"]}), place("a", geometry=PT)], []),
    (
        [
            place("b", 2, geometry={"line_through": ["a", "c"]}),
            place("a", geometry=PT),
            place("cc", geometry=PT),
        ],
        [
            "f.yaml:2: line_through of place 'b' refers to unknown id 'c' — expected the id of a "
            "place "
            "in the gazetteer; did you mean 'cc'?"
        ],
    ),
    (
        [
            place("a", geometry={"union": ["b"]}),
            place("b", 3, geometry={"shared_border": ["a", "c"]}),
            place("c", 5, geometry=PT),
        ],
        [
            "f.yaml:1: reference cycle a → b → a — expected geometry references that never lead "
            "back to the same place; build one of them from its own geometry (admin1, point, ...) "
            "instead"
        ],
    ),
    ([place("a", geometry={"union": ["a"]})], ["f.yaml:1: reference cycle a → a"]),
    (
        [place("i", kind="incident", places=("x",))],
        ["f.yaml:1: places of place 'i' refers to unknown id 'x'"],
    ),
    (
        [place("c", geometry=PT, claimed_by=("AZE", "turkey"))],
        [
            "f.yaml:1: claimed_by of place 'c' refers to unknown id 'turkey' — expected the id "
            "of a "
            "place in the gazetteer or an ISO3 code"
        ],
    ),
    (
        [place("a"), place("b", geometry={"union": ["a"]})],
        ["f.yaml:1: place 'b' is built from 'a', which has no geometry"],
    ),
    (
        [place("a", aliases=("Zangezur",)), place("b", 4, aliases=("zangezur",))],
        [
            "f.yaml:1: alias 'Zangezur' of 'a' is also claimed by 'b' (f.yaml:4) — expected "
            "exactly one "
            "claimant listing it in default_for; add 'Zangezur' to default_for of the place that "
            "should win, and context words to the others"
        ],
    ),
    ([place("a", aliases=("Z",), default_for=("Z",)), place("b", aliases=("Z",))], []),
    (
        [place("a", name="Nakhchivan"), place("b", 3, names={"en": "nakhchivan"})],
        ["f.yaml:1: alias 'Nakhchivan' of 'a' is also claimed by 'b' (f.yaml:3)"],
    ),
    (
        [
            place("a", aliases=("Z",), default_for=("Z",)),
            place("b", aliases=("Z",), default_for=("z",)),
        ],
        ["f.yaml:1: alias 'Z' is in default_for of 'a', 'b'"],
    ),
    (
        [place("a", 1, geometry=PT), place("a", 7, geometry=PT)],
        [
            "f.yaml:1: duplicate id 'a' (also at f.yaml:7)",
            "f.yaml:7: duplicate id 'a' (also at f.yaml:1)",
        ],
    ),
]


@pytest.mark.parametrize(("places", "expected"), CROSS)
def test_cross_checks(places: list[Place], expected: list[str]) -> None:
    _, problems = check_gazetteer(places)
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, start in zip(problems, expected, strict=True):
        assert str(problem).startswith(start)


def test_places_with_broken_references_and_their_dependents_are_left_out() -> None:
    places = [
        place("a", geometry={"union": ["nope"]}),
        place("b", geometry={"union": ["a"]}),
        place("c", geometry=PT),
    ]
    usable, problems = check_gazetteer(places)
    assert [p.id for p in usable] == ["c"]
    assert len(problems) == 1


@pytest.mark.parametrize(
    ("failed_ids", "expected"),
    [
        ({"a"}, "union of place 'b' refers to 'a', which has errors itself — expected"),
        (
            {"a": "x.yaml:9"},
            "union of place 'b' refers to 'a', which has errors itself (see x.yaml:9) — ",
        ),
    ],
)
def test_references_to_entries_that_failed_point_at_them(failed_ids, expected) -> None:
    usable, problems = check_gazetteer(
        [place("b", geometry={"union": ["a"]})], failed_ids=failed_ids
    )
    assert usable == []
    assert [str(p).split("f.yaml:1: ")[1][: len(expected)] for p in problems] == [expected]
    assert "did you mean" not in str(problems[0])


A = "- {id: a, name: A, kind: region, geometry: {point: [45.0, 40.0]}}\n"
B = "- {id: b, name: B, kind: region, geometry: {union: [a]}}\n"
KNOCK_ON = [
    # (first file's text, the problem the reference in the second file gets)
    (A, None),
    (A.replace("region", "regoin"), "refers to 'a', which has errors itself (see a.yaml:1)"),
    (A.replace("id: a", "id: A"), "refers to 'a', which has errors itself (see a.yaml:1)"),
    (
        "- id: a\n  name: A: broken\n",
        "refers to 'a', which has errors itself (see a.yaml:1, in a file that cannot be read)",
    ),
    ("- {id: c, name: C, kind: region}\n", "refers to unknown id 'a'"),
]


@pytest.mark.parametrize(("first", "expected"), KNOCK_ON)
def test_broken_entries_do_not_cause_misleading_unknown_ids(
    tmp_path: Path, first: str, expected: str | None
) -> None:
    (tmp_path / "a.yaml").write_text(first)
    (tmp_path / "b.yaml").write_text(B)
    gazetteer, problems = collect_gazetteer(tmp_path)
    about_b = [str(p).replace(f"{tmp_path}/", "") for p in problems if p.path.endswith("b.yaml")]
    if expected is None:
        assert about_b == [] and "b" in gazetteer
        return
    assert len(about_b) == 1 and expected in about_b[0], about_b
    assert "b" not in gazetteer


@pytest.mark.parametrize(
    ("graph", "cycles"),
    [
        ({}, []),
        ({"a": ["b"], "b": []}, []),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, [["a", "b", "c", "a"]]),
        ({"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"]}, [["a", "b", "a"], ["c", "d", "c"]]),
    ],
)
def test_find_cycles(graph: dict[str, list[str]], cycles: list[list[str]]) -> None:
    assert sorted(find_cycles(graph)) == cycles


# --------------------------------------------------------------------------- loading


def test_load_merges_files_and_shows_repo_relative_paths() -> None:
    gazetteer = load_gazetteer([FIXTURES / "ok"])
    assert sorted(gazetteer.places) == [
        "assault_2022",
        "goris",
        "meghri",
        "zangezur_corridor",
        "zangezur_region",
    ]
    assert gazetteer.files == (
        "tests/data/gazetteer/ok/places.yaml",
        "tests/data/gazetteer/ok/routes.yaml",
    )
    assert gazetteer["goris"].origin == Origin("tests/data/gazetteer/ok/places.yaml", 2)
    assert gazetteer.by_alias()["zangezur"] == ("zangezur_region", "zangezur_corridor")
    assert len(gazetteer.fingerprint) == 64


def test_load_raises_with_every_problem_of_every_file() -> None:
    paths = [FIXTURES / "ok", FIXTURES / "bad" / "dupe.yaml", FIXTURES / "bad" / "many.yaml"]
    with pytest.raises(GazetteerError, match=r"9 problem\(s\) in the gazetteer") as info:
        load_gazetteer(paths)
    shown = [str(p) for p in info.value.problems]
    assert (
        "tests/data/gazetteer/bad/dupe.yaml:2: duplicate id 'goris' (also at "
        "tests/data/gazetteer/ok/places.yaml:2)" in "\n".join(shown)
    )
    assert any(
        s.startswith("tests/data/gazetteer/ok/places.yaml:2: duplicate id 'goris'") for s in shown
    )
    assert any("refers to unknown id 'kapann'" in s and "did you mean 'kapan'" in s for s in shown)


def test_load_reports_missing_and_empty_inputs(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="file not found"):
        load_gazetteer([tmp_path / "nope.yaml"])
    with pytest.raises(GazetteerError, match="no gazetteer files"):
        load_gazetteer([tmp_path])
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(GazetteerError, match="cannot read the file"):
        load_gazetteer([tmp_path / "binary.yaml"])


def test_collect_keeps_the_good_places_when_others_fail() -> None:
    gazetteer, problems = collect_gazetteer([FIXTURES / "ok", FIXTURES / "bad" / "many.yaml"])
    assert "goris" in gazetteer and "kapan" not in gazetteer
    assert problems


def test_default_paths_come_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gazetteer").mkdir()
    (tmp_path / "gazetteer" / "a.yaml").write_text("- {id: a, name: A, kind: region}\n")
    monkeypatch.setenv("REFMAP_DATA_DIR", str(tmp_path))
    assert list(load_gazetteer().places) == ["a"]


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("- {id: a, name: A, kind: region}\n")
    first = gazetteer_fingerprint([path])
    assert gazetteer_fingerprint([path]) == first
    path.write_text("- {id: b, name: A, kind: region}\n")
    assert gazetteer_fingerprint([path]) != first
    assert gazetteer_fingerprint([]) != first


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", ""), ("Zangezur", "zangezur"), ("  New   York ", "new york"), ("ＡＢ", "ab")],
)
def test_normalize_alias(text: str, expected: str) -> None:
    assert normalize_alias(text) == expected


def test_gazetteer_helpers() -> None:
    g = Gazetteer.from_places([place("a", kind="country"), place("b")])
    assert len(g) == 2 and "a" in g and [p.id for p in g.of_kind("country")] == ["a"]


# --------------------------------------------------------------------------- JSON Schema


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "data/gazetteer/schema.json is stale; regenerate it with "
        "`.venv/bin/python -m geo.gazetteer > data/gazetteer/schema.json`"
    )


def test_schema_describes_every_key() -> None:
    schema = gazetteer_json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    for name, definition in schema["definitions"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description"


def _yaml_as_json(path: Path):
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


@pytest.mark.parametrize("path", sorted((FIXTURES / "ok").glob("*.yaml")), ids=lambda p: p.name)
def test_schema_accepts_the_valid_fixtures(path: Path) -> None:
    jsonschema.Draft7Validator(gazetteer_json_schema()).validate(_yaml_as_json(path))


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "a", "name": "A", "kind": "region", "alias": ["A"]},
        {"id": "a", "name": "A", "kind": "town"},
        {"id": "a", "kind": "region"},
        {"id": "a", "name": "A", "kind": "region", "geometry": {"buffer_km": 2}},
        {"id": "a", "name": "A", "kind": "region", "geometry": {"point": [1, 2], "admin0": "ARM"}},
    ],
)
def test_schema_rejects_what_the_validator_rejects(entry: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(gazetteer_json_schema()).validate([entry])
    assert parse_gazetteer(json.dumps([entry]), "f.yaml")[1]


def test_vscode_maps_the_schema_onto_the_gazetteer() -> None:
    settings_file = json.loads((PROJECT_ROOT / ".vscode" / "settings.json").read_text())
    assert "data/gazetteer/*.yaml" in settings_file["yaml.schemas"]["./data/gazetteer/schema.json"]


# --------------------------------------------------------------------------- CLI


class _NoBoundaries:
    """Boundaries stand-in: the fixtures only use points and references."""


@pytest.fixture
def no_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    import geo.boundaries

    monkeypatch.setattr(geo.boundaries, "load_boundaries", lambda *a, **k: _NoBoundaries())


def test_cli_validate_clean(no_boundaries, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(FIXTURES / "ok")]) == 0
    out = capsys.readouterr().out
    assert out == "ok: 5 places (5 with geometry) in 2 files, 0 problems\n"


def test_cli_validate_lists_every_problem(
    no_boundaries, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(FIXTURES / "bad" / "many.yaml")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("tests/data/gazetteer/bad/many.yaml:5: unknown key 'alias'")
    assert err[-1] == "6 problem(s) found."


def test_default_gazetteer_validates(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["validate"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith("ok: ")


class _RefusingBoundaries:
    """Knows no country at all."""

    def country(self, iso3: str):
        from geo.errors import BoundaryError

        raise BoundaryError(f"unknown country {iso3!r} — expected an ISO3 code")


def test_validate_reports_schema_and_geometry_problems_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import geo.boundaries

    monkeypatch.setattr(geo.boundaries, "load_boundaries", lambda *a, **k: _RefusingBoundaries())
    path = tmp_path / "g.yaml"
    path.write_text(
        "- {id: a, name: A, kind: country, geometry: {admin0: XYZ}}\n"
        "- {id: b, name: B, kind: countri}\n"
    )
    assert cli.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:1: admin0 of place 'a': unknown country 'XYZ' — expected an ISO3 code",
        f"{path}:2: kind is 'countri' in place 'b' — expected one of country, region, "
        "settlement, corridor, border, incident, water, landmark; did you mean 'country'?",
        "2 problem(s) found.",
    ]


# --------------------------------------------------------------------------- folded scalars, paths


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            ">-\n    advanced up to about\n    3.5 km into Armenia\n",
            "advanced up to about 3.5 km into Armenia",
        ),
        (">\n    one\n    two\n\n    three\n", "one two\nthree"),  # text is stripped
        ("|-\n    kept\n    lines\n", "kept\nlines"),
        ("'quoted'\n", "quoted"),
        (">-\n    single line\n", "single line"),
    ],
)
def test_folded_scalars_are_folded_without_control_characters(block: str, expected: str) -> None:
    (goris,), problems = parse(
        "- id: goris\n  name: Goris\n  kind: settlement\n  description: " + block
    )
    assert problems == []
    assert goris.description == expected
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", goris.description)


def test_bundled_gazetteer_texts_have_no_control_characters() -> None:
    gazetteer = load_gazetteer()
    for p in gazetteer:
        for text in (p.name, p.description or "", p.notes or "", *p.aliases):
            assert not re.search(r"[\x00-\x08\x0b-\x1f]", text), (p.id, text)


def test_a_single_path_is_a_file_or_folder_not_characters(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("- {id: a, name: A, kind: region}\n")
    (tmp_path / "b.yml").write_text("- {id: b, name: B, kind: region}\n")
    assert sorted(load_gazetteer(tmp_path).places) == ["a", "b"]
    assert sorted(load_gazetteer(str(tmp_path)).places) == ["a", "b"]
    assert list(load_gazetteer(str(tmp_path / "a.yaml")).places) == ["a"]
    assert list(load_gazetteer([tmp_path / "a.yaml"]).places) == ["a"]
    assert gazetteer_fingerprint(str(tmp_path)) == gazetteer_fingerprint([tmp_path])
    with pytest.raises(GazetteerError, match="file not found"):
        load_gazetteer(str(tmp_path / "missing.yaml"))


# --------------------------------------------------------------------------- libyaml composer

needs_libyaml = pytest.mark.skipif(
    gazetteer_module._CParser is None, reason="ruamel.yaml.clib (libyaml) is not installed"
)


def _doc_facts(text: str, *, pure: bool) -> tuple:
    doc = gazetteer_module._read_yaml(text, "g.yaml", pure=pure)
    return (repr(doc.data), doc.lines, doc.refused, doc.problems)


@needs_libyaml
@pytest.mark.parametrize(
    "path", sorted((PROJECT_ROOT / "data" / "gazetteer").glob("*.yaml")), ids=lambda p: p.name
)
def test_libyaml_composes_bundled_files_as_the_pure_composer_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert gazetteer_module._too_deep_line(text) is None  # takes the fast path, not a fallback
    assert _doc_facts(text, pure=False) == _doc_facts(text, pure=True)


@needs_libyaml
@pytest.mark.parametrize(
    "text",
    [
        "",
        "- {id: a, name: A, kind: region}\n",
        "- id: a\n  notes: >\n    folded\n    text\n\n    para\n",  # folded: fast path
        "- id: a\n  notes: |-\n    kept\n    lines\n",
        "a: >#\n  x\n",  # a block header ruamel refuses
        "a: 1\n\tb: 2\n",  # tab: ruamel refuses, libyaml would not
        "a:\tb\n",
        "a: x\x85b: y\n",  # NEL: a line break for libyaml only
        "a: x\u2028b: y\n",
        "%YAML 1.1\n---\na: yes\n",  # 1.1 resolves yes to true
        "a: yes\nb: no\nc: 010\nd: 0o10\ne: 1:20\nf: ~\ng: 2022-01-01\n",  # 1.2 resolution
        "a: !\nb: !!str\n",  # empty tagged nodes
        "a: &x 1\nb: *x\n",
        "&1:20 a\n",  # anchor characters differ
        "a:\n-\n- \nb:\n",  # empty plain scalars
        ">-\n#\n",  # a root block scalar: libyaml ends it at a column-0 '#'
        "|+\n\n#c\n",
        "a\n...\n\n...\n",  # repeated document end markers: another document for ruamel
        "- id: a\n  notes: |\n   \n    text\n",  # spaces-only line before a block's text
        "- id: a\n  notes: >\n  \n    text\n",
        "- id: a\n  notes: x\n\ufeff\n- id: b\n",  # a byte order mark after the start
        "\n---\n\ufeff1e3",
        "---\n# only a comment\n",
        "a: 1\n---\nb: 2\n",  # two documents
        "a: b: c\n",
        "a: [1, 2\n",
        "a: 'unclosed\n",
        "- !!python/object/apply:os.system [ls]\n",
        "<<: {a: 1}\n",
        "a: 1\na: 2\n",
    ],
)
def test_libyaml_and_pure_composer_agree_on_tricky_yaml(text: str) -> None:
    assert _doc_facts(text, pure=False) == _doc_facts(text, pure=True)


@needs_libyaml
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *":-[]{},#&*!|>'\" \n?.0\t\r",
                "\n  ",
                ": ",
                "- ",
                "yes",
                "~",
                "!!str ",
                "&a ",
                "*a",
                "<<: ",
                "\n---\n",
                ">-\n",
                "|\n",
                "\x85",
                "1:20",
                "0x1F",
                "2022-01-01",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_libyaml_and_pure_composer_agree_on_any_text(text: str) -> None:
    import warnings

    with warnings.catch_warnings():  # ruamel warns about reused anchors; both paths see them
        warnings.simplefilter("ignore")
        fast, pure = _doc_facts(text, pure=False), _doc_facts(text, pure=True)
    if any("could not read this file" in problem.what for problem in pure[3]):
        # ruamel's own composer crashed on odd comments (an upstream bug): libyaml's reading
        # stands, and it must not have crashed too.
        assert not any("could not read this file" in problem.what for problem in fast[3])
    else:
        assert fast == pure


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 64 + "]" * 64, None),
        ("[" * 65 + "]" * 65, 1),
        ("[" * 100_000, 1),  # unclosed: refused before the composer recurses
        ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 70)), 65),
    ],
    ids=["64-deep", "65-deep", "100000-deep", "block-nesting"],
)
def test_deep_nesting_is_refused_not_a_crash(text: str, line: int | None) -> None:
    problems = parse_gazetteer(text, "deep.yaml")[1]
    deep = [p for p in problems if "nested more than 64 levels" in p.what]
    pure = gazetteer_module._read_yaml(text, "deep.yaml", pure=True).problems
    assert [p for p in pure if "nested more than" in p.what] == deep  # with or without libyaml
    if line is None:
        assert deep == []
    else:
        assert [(p.path, p.line) for p in deep] == [("deep.yaml", line)]
        assert str(deep[0]).endswith("check the brackets [ ] and { } and the indentation")


def test_a_parser_crash_becomes_a_located_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """ruamel's own failures (seen: NotImplementedError on NEL in comments) never escape."""
    import geo.gazetteer as gazetteer_module

    def crash(text: str, pure: bool = False) -> None:
        raise NotImplementedError("overlap in comment")

    monkeypatch.setattr(gazetteer_module, "_compose", crash)
    doc = gazetteer_module._read_yaml("- id: x\n", "places.yaml")
    assert [str(p) for p in doc.problems] == [
        "places.yaml:1: the YAML parser could not read this file (NotImplementedError: overlap "
        "in comment) — expected plain UTF-8 YAML; look for unusual characters (NEL U+0085, "
        "line/paragraph separators) in comments and replace them with ordinary line breaks"
    ]
