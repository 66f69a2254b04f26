"""Tests for geo.layers: filters, kind → layer, features with provenance, invariants."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from geo.layers import (
    LAYER_NAMES,
    FilterError,
    Filters,
    apply_context,
    border_quotes,
    build_layers,
    has_selection,
    layer_for_kind,
)
from geo.models import Article, Mention, Place
from tests.fakes import (
    ARTICLES,
    GEOMETRIES,
    INCIDENTS,
    MENTIONS,
    PLACES,
    TEXT_A,
    FakeGeometry,
    mention,
)


def layers(filters: Filters | None = None, mentions=MENTIONS, incidents=INCIDENTS):
    return build_layers(PLACES, GEOMETRIES, mentions, ARTICLES, incidents, filters)


def ids(result) -> dict[str, list[str]]:
    return {name: list(frame["id"]) for name, frame in result.items() if len(frame)}


# --- kinds and filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "geometry", "expected"),
    [
        ("country", None, "countries"),
        ("region", None, "regions"),
        ("water", None, "regions"),
        ("corridor", None, "corridors"),
        ("border", None, "borders"),
        ("settlement", None, "settlements"),
        ("landmark", None, "settlements"),
        ("incident", None, "incidents"),
        ("airport", Point(0, 0), "settlements"),
        ("park", box(0, 0, 1, 1), "regions"),
        ("road", LineString([(0, 0), (1, 1)]), "corridors"),
        (None, None, "settlements"),
        ("", None, "settlements"),
    ],
)
def test_layer_for_kind(kind, geometry, expected):
    assert layer_for_kind(kind, geometry) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, Filters()),
        (
            {"articles": ["a"], "kinds": ["region", "water"]},
            Filters(articles=frozenset({"a"}), kinds=frozenset({"region", "water"})),
        ),
        ({"roles": ["metonymic"]}, Filters(roles=frozenset({"metonymic"}))),
        (
            {"since": "2023-01-01", "until": "2023-12-31"},
            Filters(date_from=dt.date(2023, 1, 1), date_to=dt.date(2023, 12, 31)),
        ),
        ({"include_boilerplate": True}, Filters(body_only=False)),
        ({"since": "", "kinds": [" "]}, Filters()),
    ],
)
def test_filters_from_options(options, expected):
    assert Filters.from_options(**options) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"roles": ["locativ"]}, r"unknown role 'locativ' — expected one of locative, metonymic"),
        ({"kinds": ["town"]}, r"unknown kind 'town' — expected one of country, region"),
        ({"since": "20/09/2023"}, r"--since '20/09/2023' is not a date — expected YYYY-MM-DD"),
        ({"until": "yesterday"}, r"--until 'yesterday' is not a date"),
        (
            {"since": "2024-01-01", "until": "2023-01-01"},
            r"--since 2024-01-01 is after --until 2023-01-01",
        ),
    ],
)
def test_filters_from_options_errors(options, message):
    with pytest.raises(FilterError, match=message):
        Filters.from_options(**options)


# --- features -----------------------------------------------------------------------------------


def test_default_layers():
    result = layers()
    assert list(result) == list(LAYER_NAMES)
    assert ids(result) == {
        "countries": ["armenia", "iran"],  # every country, as context
        "regions": ["sevan", "syunik"],
        "corridors": ["zangezur_corridor"],
        "settlements": ["goris"],  # tatev only outside the body
        "incidents": ["attack_2023_09_13_goris", "lachin_blockade"],
    }
    for name, frame in result.items():
        assert frame.crs == "EPSG:4326", name


def test_feature_properties_and_provenance():
    goris = layers()["settlements"].set_index("id").loc["goris"]
    assert (goris["name"], goris["kind"], goris["layer"]) == ("Goris", "settlement", "settlements")
    assert (goris["source"], goris["precision"], goris["geo_precision"]) == ("GeoNames", "exact", 1)
    assert goris["geo_precision_label"] == "town"
    assert (goris["mention_count"], goris["article_count"]) == (2, 2)
    assert (goris["first_published"], goris["last_published"]) == ("2021-05-14", "2023-09-20")
    first, second = goris["provenance"]
    assert (first["article"], first["title"], first["outlet"], first["published"]) == (
        "b",
        "Title B",
        "Outlet B",
        "2021-05-14",
    )
    (quote,) = second["mentions"]
    assert quote == {
        "start": 13,
        "end": 18,
        "surface": "Goris",
        "role": "locative",
        "sentence": "Shelling hit Goris.",
        "sentence_start": 0,
        "sentence_end": 19,
    }
    assert TEXT_A[quote["start"] : quote["end"]] == quote["surface"]
    corridor = layers()["corridors"].iloc[0]
    assert (corridor["status"], corridor["claimed_by"]) == ("proposed", ["AZE", "TUR"])


def test_countries_are_context_with_zero_counts():
    countries = layers()["countries"].set_index("id")
    assert countries.loc["armenia", "mention_count"] == 0
    assert countries.loc["armenia", "provenance"] == []
    assert countries.loc["iran", "mention_count"] == 0  # its only mention is metonymic


def test_far_countries_appear_only_when_mentioned():
    places = {**PLACES, "chile": Place("chile", "Chile", "country")}
    geometries = {**GEOMETRIES, "chile": FakeGeometry(box(-75, -55, -67, -17))}
    result = build_layers(places, geometries, MENTIONS, ARTICLES, (), None)
    assert list(result["countries"]["id"]) == ["armenia", "iran"]
    named = Mention(**{**MENTIONS[0].__dict__, "place_id": "chile", "kind": "country"})
    result = build_layers(places, geometries, [named], ARTICLES, (), None)
    assert list(result["countries"]["id"]) == ["armenia", "chile", "iran"]


def test_incident_features():
    frame = layers()["incidents"].set_index("id")
    attack = frame.loc["attack_2023_09_13_goris"]
    assert (attack["event_type"], attack["date"], attack["time_precision"]) == (
        "attack",
        "2023-09-13",
        "day",
    )
    assert attack["geometry"].equals(Point(46.34, 39.51))
    assert attack["provenance"][0]["mentions"][0]["sentence"] == "Shelling hit Goris."
    assert attack["mention_count"] == 1 and not attack["curated"]
    blockade = frame.loc["lachin_blockade"]
    assert (
        blockade["curated"] and blockade["mention_count"] == 0 and blockade["source"] == "analyst"
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters(articles=frozenset({"b"})),
            {"countries": ["armenia", "iran"], "regions": ["syunik"], "settlements": ["goris"]},
        ),
        (Filters(kinds=frozenset({"settlement", "landmark"})), {"settlements": ["goris"]}),
        (
            Filters(kinds=frozenset({"settlement", "landmark"}), body_only=False),
            {"settlements": ["goris", "tatev"]},
        ),
        (
            Filters(kinds=frozenset({"country"}), roles=frozenset({"metonymic"})),
            {"countries": ["armenia", "iran"]},
        ),
        (
            Filters(date_from=dt.date(2023, 1, 1)),
            {
                "countries": ["armenia", "iran"],
                "regions": ["sevan"],
                "corridors": ["zangezur_corridor"],
                "settlements": ["goris"],
                "incidents": ["attack_2023_09_13_goris"],
            },
        ),
        (
            Filters(date_to=dt.date(2022, 1, 1), kinds=frozenset({"region", "incident"})),
            {"regions": ["syunik"]},
        ),
        (Filters(articles=frozenset({"nope"}), kinds=frozenset({"region"})), {}),
    ],
)
def test_filters_select_features(filters, expected):
    assert ids(layers(filters)) == expected


def test_role_filter_changes_counts():
    iran = layers(Filters(roles=frozenset({"metonymic"})))["countries"].set_index("id").loc["iran"]
    assert iran["mention_count"] == 1
    assert iran["provenance"][0]["mentions"][0]["role"] == "metonymic"


def test_empty_inputs_give_empty_layers_with_columns():
    result = build_layers({}, {}, [], {})
    assert all(len(frame) == 0 for frame in result.values())
    assert "provenance" in result["regions"].columns
    assert "disagreements" in result["incidents"].columns


def test_fallback_mention_becomes_a_point():
    extra = mention("a", "Baku", None)
    extra = Mention(
        **{
            **extra.__dict__,
            "place_id": "geonames:587084",
            "lon": 49.89,
            "lat": 40.38,
            "source": "fallback",
            "kind": "settlement",
        }
    )
    frame = layers(mentions=[extra], incidents=())["settlements"]
    assert list(frame["id"]) == ["geonames:587084"]
    assert frame.iloc[0]["geometry"].equals(Point(49.89, 40.38))


def test_mentions_of_an_incident_place_join_the_incident():
    extra = Mention(**{**MENTIONS[0].__dict__, "place_id": "lachin_blockade", "kind": "incident"})
    frame = layers(mentions=[extra])["incidents"].set_index("id")
    assert frame.loc["lachin_blockade", "mention_count"] == 1
    assert "lachin_blockade" not in list(layers(mentions=[extra])["settlements"]["id"])


# --- invariant: every feature lands in exactly one layer ----------------------------------------

KINDS = ["country", "region", "water", "corridor", "border", "settlement", "landmark", "airport"]
SHAPES = [Point(46.0, 40.0), box(45, 39, 46, 40), LineString([(45, 39), (46, 40)])]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.integers(0, 2),
            st.booleans(),
            st.sampled_from(["locative", "metonymic", "attributive"]),
        ),
        max_size=12,
    ),
    st.sets(st.sampled_from(KINDS)) | st.none(),
)
def test_every_feature_lands_in_exactly_one_layer(specs, kinds):
    places, geometries, mentions = {}, {}, []
    for n, (kind, shape, mentioned, role) in enumerate(specs):
        pid = f"p{n}"
        places[pid] = Place(pid, pid, kind)
        geometries[pid] = FakeGeometry(SHAPES[shape])
        if mentioned:
            mentions.append(
                Mention(
                    "a",
                    0,
                    5,
                    "Shell",
                    pid,
                    kind,
                    role,
                    None,
                    None,
                    0,
                    19,
                    True,
                    "gazetteer",
                    "alias",
                )
            )
    filters = Filters(kinds=frozenset(kinds) if kinds is not None else None)
    result = build_layers(places, geometries, mentions, ARTICLES, (), filters)
    seen: list[str] = []
    for name, frame in result.items():
        assert list(frame["layer"]) == [name] * len(frame)
        assert frame["id"].is_unique
        seen.extend(frame["id"])
    assert len(seen) == len(set(seen))
    expected = {
        pid
        for pid, p in places.items()
        if filters.keeps_kind(p.kind)
        and (
            p.kind == "country"
            or any(m.place_id == pid and m.role != "metonymic" for m in mentions)
        )
    }
    assert set(seen) == expected


BORDER_PLACES = {
    "armenia": Place("armenia", "Armenia", "country"),
    "iran": Place("iran", "Iran", "country"),
    "turkey": Place("turkey", "Turkey", "country"),
    "arm_irn": Place(
        "arm_irn", "Armenia–Iran border", "border", geometry={"shared_border": ["armenia", "iran"]}
    ),
    "arm_tur": Place(
        "arm_tur",
        "Armenia–Turkey border",
        "border",
        geometry={"shared_border": ["armenia", "turkey"]},
    ),
}


def border_article(text: str) -> tuple[dict[str, Article], list[Mention]]:
    article = Article("x", "x.txt", text, body=((0, len(text)),))
    found = []
    for place_id, place in BORDER_PLACES.items():
        if place.kind != "country":
            continue
        start = text.find(place.name)
        while start >= 0:
            end = start + len(place.name)
            found.append(
                Mention(
                    "x",
                    start,
                    end,
                    place.name,
                    place_id,
                    "country",
                    "metonymic",
                    None,
                    None,
                    0,
                    len(text),
                    True,
                    "gazetteer",
                    "alias",
                )
            )
            start = text.find(place.name, end)
    return {"x": article}, found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Troops massed on the border between Armenia and Iran.", {"arm_irn": ["border"]}),
        ("Armenia would lose its land border with Iran.", {"arm_irn": ["border"]}),
        ("The Armenia-Turkey frontier stays closed.", {"arm_tur": ["frontier"]}),
        # the word links only the pair named closest to it
        (
            "Armenia's border with Turkey is closed; Iran is far away from all of this talk here.",
            {"arm_tur": ["border"]},
        ),
        # both neighbours named, but no border word
        ("Armenia and Iran signed a trade deal.", {}),
        # a border word, but only one neighbour
        ("Armenia closed its border.", {}),
        # neighbours too far from the word
        (
            "Armenia"
            + " said nothing at all about trade" * 4
            + " and the border"
            + " was quiet for years" * 4
            + " in Iran.",
            {},
        ),
        ("", {}),
    ],
)
def test_border_quotes_link_sentences_that_discuss_a_border(text, expected):
    articles, found = border_article(text)
    quotes = border_quotes(BORDER_PLACES, found, articles)
    assert {k: [q.surface for q in v] for k, v in quotes.items()} == expected
    for items in quotes.values():
        for q in items:
            assert text[q.start : q.end] == q.surface


def test_border_layer_gets_the_quoting_sentences():
    articles, found = border_article("Shots were fired across the border between Armenia and Iran.")
    geometries = {
        "armenia": FakeGeometry(box(43.4, 38.8, 46.6, 41.3)),
        "iran": FakeGeometry(box(44.0, 25.0, 63.0, 38.9)),
        "arm_irn": FakeGeometry(LineString([(46.0, 38.9), (46.5, 38.9)])),
    }
    result = build_layers(BORDER_PLACES, geometries, found, articles)
    border = result["borders"].set_index("id").loc["arm_irn"]
    assert border["mention_count"] == 1
    assert border["provenance"][0]["mentions"][0]["surface"] == "border"


# --- context countries, unknown articles, publication precision -----------------------------------

EMPTY = Filters.from_options(since="2030-01-01")


@pytest.mark.parametrize(
    ("filters", "context", "countries"),
    [
        (Filters(), "always", ["armenia", "iran"]),
        (Filters(), "selection", ["armenia", "iran"]),  # something selected: context stays
        (Filters(), "never", []),
        (EMPTY, "always", ["armenia", "iran"]),  # the map keeps its backdrop
        (EMPTY, "selection", []),  # an empty selection is empty
        (EMPTY, "never", []),
        (Filters.from_options(articles=["zz"]), "selection", []),
    ],
)
def test_context_countries(filters, context, countries):
    built = build_layers(PLACES, GEOMETRIES, MENTIONS, ARTICLES, INCIDENTS, filters, context)
    assert sorted(built["countries"]["id"]) == countries
    if filters is EMPTY and context != "always":
        assert sum(len(frame) for frame in built.values()) == 0


def test_mentioned_country_is_a_selection():
    mentions = [replace(MENTIONS[6], role="locative")]  # only "Iran", as a place
    built = layers(Filters(), mentions=mentions, incidents=())
    assert has_selection(built)
    kept = apply_context(built, "selection")["countries"].set_index("id")["mention_count"]
    assert kept.to_dict() == {"armenia": 0, "iran": 1}
    assert list(apply_context(built, "never")["countries"]["id"]) == ["iran"]


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        (["a"], None),
        (["a", "b"], None),
        ([], None),
        (["zz"], r"unknown article 'zz' — expected one of a, b \(2 articles\)$"),
        (["a", "c"], r"unknown article 'c' — expected one of a, b"),
    ],
)
def test_check_articles(wanted, message):
    filters = Filters.from_options(articles=wanted)
    if message is None:
        assert filters.check_articles(ARTICLES) is filters
    else:
        with pytest.raises(FilterError, match=message):
            filters.check_articles(ARTICLES)


def test_check_articles_lists_a_few_and_suggests():
    known = [f"article_{i:03d}" for i in range(40)]
    with pytest.raises(FilterError) as info:
        Filters.from_options(articles=["article_0077"]).check_articles(known)
    text = str(info.value)
    assert text.count("article_0") == 7 and ", ..." in text and "(40 articles)" in text
    assert "did you mean 'article_007'?" in text


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("day", "2023-10-01"), (None, "2023-10-01"), ("month", "2023-10"), ("year", "2023")],
)
def test_provenance_publication_keeps_its_precision(precision, expected):
    articles = dict(ARTICLES)
    articles["a"] = replace(
        articles["a"], published=dt.date(2023, 10, 1), published_precision=precision
    )
    built = build_layers(PLACES, GEOMETRIES, MENTIONS, articles, INCIDENTS, Filters())
    sevan = built["regions"].set_index("id").loc["sevan"]
    assert sevan["provenance"][0]["published"] == expected
    assert sevan["first_published"] == sevan["last_published"] == expected
