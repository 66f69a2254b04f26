"""The world layer of the default gazetteer: countries by their everyday names, continents."""

from __future__ import annotations

import pytest

from geo.boundaries import load_boundaries
from geo.gazetteer import load_gazetteer
from geo.geometry import resolve_geometries
from geo.matching import build_matcher, find_mentions
from geo.models import Article


@pytest.fixture(scope="module")
def world():
    gazetteer = load_gazetteer()
    geometries = resolve_geometries(gazetteer, load_boundaries())
    return build_matcher(gazetteer, geometries), geometries


def places_in(text: str, matcher) -> list[tuple[str, str | None]]:
    article = Article("a", "a.txt", text, body=((0, len(text)),))
    found = find_mentions(article, matcher, sentence_span=lambda _a, _o: (0, len(text)))
    return [(m.surface, m.place_id) for m in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UK ministers met.", [("UK", "united_kingdom")]),
        (
            "the U.K. and the U.A.E. agreed",
            [("U.K.", "united_kingdom"), ("U.A.E.", "united_arab_emirates")],
        ),
        ("fighting in eastern DRC", [("DRC", "democratic_republic_of_the_congo")]),
        ("refugees from Burma", [("Burma", "myanmar")]),
        ("the Holy See said", [("Holy See", "vatican")]),
        ("we uk the", []),  # an acronym alias matches only as written
    ],
)
def test_countries_are_found_by_their_everyday_names(world, text, expected):
    assert places_in(text, world[0]) == expected


@pytest.mark.parametrize("place_id", ["africa", "north_america", "south_america", "oceania"])
def test_every_inhabited_continent_is_a_region_with_an_outline(world, place_id):
    matcher, geometries = world
    assert matcher.places[place_id].kind == "region"
    assert geometries[place_id].geometry.geom_type in ("Polygon", "MultiPolygon")


def test_continents_hold_their_countries(world):
    _, geometries = world
    inside = {
        "africa": ("nigeria", "egypt", "south_africa"),
        "north_america": ("canada", "mexico", "united_states"),
        "south_america": ("brazil", "argentina"),
        "oceania": ("australia", "new_zealand"),
    }
    for continent, countries in inside.items():
        area = geometries[continent].geometry
        for country in countries:
            point = geometries[country].geometry.representative_point()
            assert area.covers(point), (continent, country)
