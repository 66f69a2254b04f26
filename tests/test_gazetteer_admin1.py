"""scripts/generate_admin1.py and data/gazetteer/caucasus_admin1.yaml (ARM, AZE admin-1)."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import settings
from geo.boundaries import load_boundaries
from geo.gazetteer import ISO3166_2_RE, collect_gazetteer, load_gazetteer
from geo.geometry import resolve_geometries
from geo.matching import build_matcher, find_mentions
from geo.models import Article


def load_script():
    """The generator, imported from its file (scripts/ is not a package)."""
    path = settings.PROJECT_ROOT / "scripts" / "generate_admin1.py"
    spec = importlib.util.spec_from_file_location("generate_admin1", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_script()


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def matcher(gazetteer):
    return build_matcher(gazetteer, resolve_geometries(gazetteer, load_boundaries()))


def mentions_in(text: str, matcher) -> list[tuple[str, str | None]]:
    """(surface, place id) of every mention in a one-paragraph article, without fallback."""
    article = Article("a", "a.txt", text, body=((0, len(text)),))
    found = find_mentions(article, matcher, sentence_span=lambda _a, _o: (0, len(text)))
    return [(m.surface, m.place_id) for m in found]


# --------------------------------------------------------------------------- the file


def test_generated_file_is_current():
    assert gen.main(["--check"]) == 0


def test_check_fails_on_a_stale_or_missing_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "caucasus_admin1.yaml"
    monkeypatch.setattr(gen, "OUT", out)
    assert gen.main(["--check"]) == 1  # missing
    out.write_text("# edited by hand\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1
    assert "is stale: run scripts/generate_admin1.py" in capsys.readouterr().err


def test_the_file_validates_with_the_rest_of_the_gazetteer():
    _, problems = collect_gazetteer()
    assert [str(p) for p in problems] == []


def test_every_unit_is_covered_by_exactly_one_entry(gazetteer):
    units = gen.read_units()
    counts = Counter(
        gen.unit_code(p.geometry["admin1"], units)
        for p in gazetteer
        if p.geometry and "admin1" in p.geometry
    )
    codes = {u["iso_3166_2"] for u in units}
    invalid = {c for c in codes if not re.match(ISO3166_2_RE, c)}
    assert invalid == {"AZ-X01~"}  # Şuşa city: Natural Earth's placeholder, no ISO code
    assert {c: counts[c] for c in codes - invalid if counts[c] != 1} == {}
    _, skipped = gen.plan(units, {}, set(), {"AM": set(), "AZ": set()})
    assert set(skipped) == invalid


def test_entries_follow_the_id_and_country_conventions(gazetteer):
    generated = [p for p in gazetteer if p.origin and "caucasus_admin1" in p.origin.path]
    assert len(generated) == len(gen.read_units()) - 5  # 4 curated, 1 without a code
    for place in generated:
        suffix = {"ARM": ("_province", "_city_district"), "AZE": ("_district",)}
        assert place.id.endswith(suffix[place.country]), place.id
        assert place.kind == "region"


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shelling was reported in Tavush on Monday.", [("Tavush", "tavush_province")]),
        ("Villages in Tavush Province were shelled.", [("Tavush Province", "tavush_province")]),
        ("Residents of Lori fled.", [("Lori", "lori_province")]),
        ("Troops entered the Kalbajar district.", [("Kalbajar district", "kalbajar_district")]),
        ("A radar station in Gabala District.", [("Gabala District", "qabala_district")]),
        ("Traders in Astara District.", [("Astara District", "astara_district")]),
        ("The Astara crossing reopened.", []),  # the town's name: left to the fallback
        ("Shusha is a city.", [("Shusha", "shusha")]),  # curated town keeps its name
        ("", []),
    ],
)
def test_unit_names_resolve_to_the_unit(text, expected, matcher):
    found = [(s, i) for s, i in mentions_in(text, matcher) if i is not None]
    assert found == expected


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("az", "english"),
    [("Qəbələ", "Gabala"), ("Xaçmaz", "Khachmaz"), ("Şuşa", "Shusha"), ("Lori", "Lori"), ("", "")],
)
def test_az_to_english(az, english):
    assert gen.az_to_english(az) == english


@given(st.text(alphabet="abcçdeəfgğhxıijkqlmnoöprsştuüvyzABCÇƏĞIİÖŞÜQX "))
def test_az_to_english_gives_ascii(text):
    assert gen.az_to_english(text).isascii()


@pytest.mark.parametrize(
    ("alias", "usable"),
    [
        ("Tavuš", True),
        ("Տավուշի Մարզ", True),
        ("Лори", True),
        ("Kotayk'", True),
        ("AM-TV", False),
        ("ABS", False),
        ("https://example.org/x", False),
        ("تاووش", False),
        ("", False),
    ],
)
def test_is_usable_alias(alias, usable):
    assert gen.is_usable_alias(alias) is usable


def unit(code="AZ-QAB", country="AZE", name="Qəbələ", name_en="Qabala", aliases="", kind="Rayon"):
    return {
        "iso_3166_2": code,
        "adm0_a3": country,
        "name": name,
        "name_en": name_en,
        "aliases": aliases,
        "type": kind,
    }


@pytest.mark.parametrize(
    ("form", "claimed", "shared", "towns", "why"),
    [
        ("Qabala", set(), set(), set(), None),
        ("Qabala", {"qabala"}, set(), set(), "claimed by other gazetteer entries"),
        ("Qabala", set(), {"qabala"}, set(), "shared by two units"),
        ("Qabala", set(), set(), {"qabala"}, "towns of 5,000+ people"),
        ("Qabala District", set(), set(), {"qabala"}, None),  # qualified forms stay
        ("Qabala city", set(), set(), {"qabala"}, "towns of 5,000+ people"),  # = the town
    ],
)
def test_withheld_reason(form, claimed, shared, towns, why):
    reason = gen.withheld_reason(form, unit(), claimed, shared, {"AZ": towns, "AM": set()})
    assert (reason is None) if why is None else (why in reason)


@pytest.mark.parametrize(
    ("props", "name", "place_id"),
    [
        (unit(), "Qabala District", "qabala_district"),
        (
            unit("AZ-SR", name="Shirvan", name_en="Şirvan", kind="Municipality"),
            "Shirvan City Municipality",
            "shirvan_city_district",
        ),
        (unit("AZ-SUS", name="Şuşa", name_en="Susa"), "Shusha District", "shusha_district"),
        (
            unit("AM-TV", "ARM", "Tavush", "Tavush", kind="Region"),
            "Tavush Province",
            "tavush_province",
        ),
    ],
)
def test_names_and_ids(props, name, place_id):
    assert (gen.display_name(props), gen.place_id(props)) == (name, place_id)


def test_forms_never_double_the_unit_word():
    forms = gen.candidate_forms(unit("AZ-YEV", name="Yevlakh Rayon", name_en="Yevlakh"))
    assert "Yevlakh District" in forms and "Yevlakh rayonu" in forms
    assert not [f for f in forms if re.search(r"Rayon (District|Rayon|rayonu)", f)]


def test_lossy_english_name_is_not_an_alias():
    forms = gen.candidate_forms(unit("AZ-SUS", name="Şuşa", name_en="Susa", aliases="Shusha"))
    assert "Susa" not in forms and "Shusha District" in forms
