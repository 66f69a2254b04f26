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
    MAX_INDEXES,
    FilterError,
    Filters,
    LayerIndex,
    apply_context,
    border_quotes,
    build_layers,
    has_selection,
    layer_for_kind,
    layer_index,
    published_iso,
)
from geo.models import Article, Mention, Place
from geo.settings import ROLES
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


# --- the prepared index: same layers as the per-mention definition, for any filters --------------


def reference_provenance(mentions, articles, filters) -> dict[str, list[dict]]:
    """Provenance of every place, computed the plain way: one mention at a time."""
    by_place: dict[str, dict[str, list[dict]]] = {}
    for m in mentions:
        article = articles.get(m.article)
        if not filters.keeps_mention(m, article):
            continue
        text = article.text if article else ""
        by_place.setdefault(m.place_id, {}).setdefault(m.article, []).append(
            {
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "role": m.role,
                "sentence": text[m.sentence_start : m.sentence_end],
                "sentence_start": m.sentence_start,
                "sentence_end": m.sentence_end,
            }
        )
    out = {}
    for place_id, groups in by_place.items():
        entries = []
        for article_id, quotes in groups.items():
            article = articles.get(article_id)
            entries.append(
                {
                    "article": article_id,
                    "title": article.title if article else None,
                    "outlet": article.outlet if article else None,
                    "published": published_iso(article),
                    "mentions": sorted(quotes, key=lambda q: (q["start"], q["end"])),
                }
            )
        out[place_id] = sorted(entries, key=lambda g: (g["published"] or "9999", g["article"]))
    return out


def mention_provenance(provenance: list[dict]) -> list[dict]:
    """``provenance`` without the quotes that are not mentions (border words, reports)."""
    kept = []
    for group in provenance:
        quotes = [q for q in group["mentions"] if set(q) == set(MENTION_QUOTE_KEYS)]
        if quotes:
            kept.append({**group, "mentions": quotes})
    return kept


MENTION_QUOTE_KEYS = (
    "start",
    "end",
    "surface",
    "role",
    "sentence",
    "sentence_start",
    "sentence_end",
)


def check_against_reference(result, mentions, articles, filters) -> int:
    """Assert every feature's provenance and counts follow from its mentions; return features."""
    expected = reference_provenance(mentions, articles, filters)
    first_named = {}
    for m in mentions:
        if filters.keeps_mention(m, articles.get(m.article)):
            first_named.setdefault(m.place_id, m.surface)
    features = 0
    for name, frame in result.items():
        for row in frame.to_dict("records"):
            features += 1
            provenance = row["provenance"]
            assert mention_provenance(provenance) == expected.get(row["id"], []), (name, row["id"])
            assert row["mention_count"] == sum(len(g["mentions"]) for g in provenance)
            assert row["article_count"] == len(provenance)
            dates = sorted(g["published"] for g in provenance if g["published"])
            assert none_if_missing(row["first_published"]) == (dates[0] if dates else None)
            assert none_if_missing(row["last_published"]) == (dates[-1] if dates else None)
            if row["source"] == "fallback":
                assert row["name"] == first_named[row["id"]]
    return features


def none_if_missing(value):
    """``None`` for a missing value (an object column may hold NaN for it)."""
    return None if value is None or value != value else value


def same_layers(one, other) -> None:
    assert list(one) == list(other)
    for name in one:
        a, b = one[name], other[name]
        assert list(a.columns) == list(b.columns), name
        assert a.drop(columns="geometry").to_dict("records") == b.drop(columns="geometry").to_dict(
            "records"
        ), name
        assert [g.wkb for g in a.geometry] == [g.wkb for g in b.geometry], name


FILTER_TABLE = [
    Filters(),
    Filters(kinds=frozenset({"settlement"})),
    Filters(kinds=frozenset({"border", "country"})),
    Filters(articles=frozenset({"a"}), roles=frozenset(ROLES)),
    Filters(articles=frozenset({"nowhere"})),
    Filters(date_from=dt.date(2022, 1, 1)),
    Filters(date_to=dt.date(2022, 1, 1)),
    Filters(date_from=dt.date(2023, 9, 20), date_to=dt.date(2023, 9, 20)),
    Filters(roles=frozenset({"metonymic"}), body_only=False),
    Filters(roles=frozenset()),
]

#: The fakes plus a fallback place, a mention of an article not loaded and an undated article.
UNDATED = Article("c", "c.txt", "Kapan is quiet.", body=((0, 15),))
MIXED_ARTICLES = {**ARTICLES, "c": UNDATED}
FALLBACK = replace(
    MENTIONS[0], start=0, place_id="gn:1", lon=46.4, lat=39.2, source="fallback", reason="geonames"
)
MIXED_MENTIONS = [
    *MENTIONS,
    replace(FALLBACK, article="c", end=5, surface="Kapan", sentence_end=15),
    replace(FALLBACK, end=8, surface="Shelling"),
    replace(MENTIONS[0], article="gone"),  # an article that is not loaded
]


@pytest.mark.parametrize("filters", FILTER_TABLE)
def test_provenance_follows_from_the_mentions_that_pass(filters):
    result = build_layers(PLACES, GEOMETRIES, MIXED_MENTIONS, MIXED_ARTICLES, INCIDENTS, filters)
    check_against_reference(result, MIXED_MENTIONS, MIXED_ARTICLES, filters)


def test_one_index_serves_every_filter_like_a_fresh_build():
    prepared = layer_index(PLACES, GEOMETRIES, MIXED_MENTIONS, MIXED_ARTICLES)
    for filters in [*FILTER_TABLE, *reversed(FILTER_TABLE)]:  # no state left by a call
        for context in ("always", "selection", "never"):
            args = (PLACES, GEOMETRIES, MIXED_MENTIONS, MIXED_ARTICLES, INCIDENTS, filters, context)
            same_layers(build_layers(*args, prepared=prepared), build_layers(*args))


def test_an_index_of_other_inputs_is_not_used():
    prepared = layer_index(PLACES, GEOMETRIES, MENTIONS[:2], ARTICLES)
    args = (PLACES, GEOMETRIES, MENTIONS, ARTICLES, INCIDENTS)
    same_layers(build_layers(*args, prepared=prepared), build_layers(*args))
    assert layers()["settlements"]["id"].tolist() == ["goris"]


def test_layer_index_keeps_one_per_key():
    args = (PLACES, GEOMETRIES, MENTIONS, ARTICLES)
    first = layer_index(*args, key=("test", 1))
    assert layer_index(*args, key=("test", 1)) is first
    assert layer_index(*args) is not first  # no key: always a new index
    assert layer_index(PLACES, GEOMETRIES, MENTIONS[:3], ARTICLES, key=("test", 1)) is not first
    for n in range(MAX_INDEXES):
        layer_index(*args, key=("other", n))
    assert layer_index(*args, key=("test", 1)) is not first  # the oldest key was dropped


def test_empty_index_selects_nothing():
    index = LayerIndex({}, {}, [], {})
    chosen = index.select(Filters(articles=frozenset({"a"}), date_from=dt.date(2020, 1, 1)))
    assert ("goris" in chosen, chosen.provenance("goris"), chosen.mentions("goris")) == (
        False,
        [],
        [],
    )
    assert index.border_quotes(Filters()) == {}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["goris", "syunik", "iran", "arm_irn_border", "gn:1", "gn:2"]),
            st.sampled_from(["a", "b", "c", "gone"]),
            st.integers(0, 12),
            st.integers(1, 4),
            st.sampled_from(ROLES),
            st.booleans(),
        ),
        max_size=25,
    ),
    st.sampled_from(FILTER_TABLE),
)
def test_any_mentions_give_the_reference_provenance(specs, filters):
    mentions = [
        replace(
            MENTIONS[0],
            article=article,
            start=start,
            end=start + length,
            place_id=place_id,
            role=role,
            in_body=in_body,
            lon=46.0,
            lat=39.5,
            source="fallback" if place_id.startswith("gn:") else "gazetteer",
        )
        for place_id, article, start, length, role, in_body in specs
    ]
    prepared = layer_index(PLACES, GEOMETRIES, mentions, MIXED_ARTICLES)
    args = (PLACES, GEOMETRIES, mentions, MIXED_ARTICLES, INCIDENTS, filters)
    result = build_layers(*args, prepared=prepared)
    check_against_reference(result, mentions, MIXED_ARTICLES, filters)
    same_layers(result, build_layers(*args, prepared=layer_index(*args[:4])))


@pytest.fixture(scope="module")
def seeds():
    from geo.pipeline import corpus_incidents, load_corpus

    corpus = load_corpus(include_boilerplate=True)
    found = {b: tuple(corpus_incidents(corpus, include_boilerplate=b)) for b in (False, True)}
    return corpus, found


@pytest.mark.slow
def test_seed_layers_follow_from_their_mentions(seeds):
    corpus, incidents = seeds
    ids_ = sorted(corpus.articles)
    dates = sorted(a.published for a in corpus.articles.values() if a.published)
    table = [
        *FILTER_TABLE,
        Filters(articles=frozenset(ids_[:2])),
        Filters(date_from=dates[len(dates) // 2]),
        Filters(date_from=dates[0], date_to=dates[len(dates) // 2], body_only=False),
    ]
    args = (corpus.gazetteer.places, corpus.geometries, corpus.mentions, corpus.articles)
    prepared = layer_index(*args)
    features = 0
    for filters in table:
        result = build_layers(*args, incidents[not filters.body_only], filters, prepared=prepared)
        features += check_against_reference(result, corpus.mentions, corpus.articles, filters)
        same_layers(result, build_layers(*args, incidents[not filters.body_only], filters))
    assert features > len(table)  # the seeds put places on the map under most filters


def two_border_articles() -> tuple[dict[str, Article], list[Mention]]:
    """Two articles that discuss borders, one partly in boilerplate, one undated."""
    first, found = border_article(
        "Armenia closed its border with Iran. Turkey and Armenia share a border."
    )
    first = {"x": replace(first["x"], published=dt.date(2023, 5, 1), body=((0, 36),))}
    second, more = border_article("The Armenia–Turkey frontier stays shut, Armenia says of Turkey.")
    second = {"y": replace(second["x"], id="y")}
    found = [replace(m, in_body=first["x"].in_body(m.start, m.end)) for m in found]
    return {**first, **second}, [*found, *(replace(m, article="y") for m in more)]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(body_only=False),
        Filters(articles=frozenset({"y"})),
        Filters(date_from=dt.date(2023, 1, 1), body_only=False),
        Filters(roles=frozenset()),
    ],
)
def test_index_border_quotes_equal_border_quotes(filters):
    articles, found = two_border_articles()
    expected = border_quotes(BORDER_PLACES, found, articles, filters)
    assert LayerIndex(BORDER_PLACES, {}, found, articles).border_quotes(filters) == expected
    assert expected or filters.date_from  # the table links borders under most filters
