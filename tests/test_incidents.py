"""Tests for geo.incidents: dates, events, figures, reports, merging, curated links, seeds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

import geo.incidents as incidents
from geo.incidents import (
    curated_incident,
    extract_incidents,
    find_counted_figures,
    find_dates,
    find_events,
    find_figures,
    find_reports,
    normalise_date,
)
from geo.models import Article, Mention, Place
from tests.fakes import FakeGeometry

OCT_12 = dt.date(2023, 10, 12)  # a Thursday


# --- small hand-made world ------------------------------------------------------------------


def _region(x0, y0, x1, y1):
    return FakeGeometry(box(x0, y0, x1, y1), "test", "approximate", 3)


def _town(lon, lat):
    return FakeGeometry(Point(lon, lat), "GeoNames", "exact", 1, lon, lat)


PLACES = {
    "armenia": Place("armenia", "Armenia", "country", aliases=("Armenia",)),
    "azerbaijan": Place("azerbaijan", "Azerbaijan", "country", aliases=("Azerbaijan",)),
    "nagorno_karabakh": Place("nagorno_karabakh", "Nagorno-Karabakh", "region"),
    "syunik": Place("syunik", "Syunik", "region"),
    "nakhchivan": Place("nakhchivan", "Nakhchivan", "region"),
    "jermuk": Place("jermuk", "Jermuk", "settlement"),
    "stepanakert": Place("stepanakert", "Stepanakert", "settlement"),
    "lachin_corridor": Place("lachin_corridor", "Lachin corridor", "corridor"),
}
GEOMETRIES = {
    "armenia": _region(43.4, 38.8, 46.0, 41.3),
    "azerbaijan": _region(46.0, 38.4, 50.4, 41.9),
    "nagorno_karabakh": _region(46.3, 39.4, 47.2, 40.3),
    "syunik": _region(45.5, 38.8, 46.0, 39.8),
    "nakhchivan": _region(44.8, 38.8, 46.0, 39.6),  # overlaps syunik's box: fine for tests
    "jermuk": _town(45.67, 39.84),
    "stepanakert": _town(46.75, 39.82),
    "lachin_corridor": FakeGeometry(
        LineString([(45.9, 39.6), (46.6, 39.8)]), "analyst", "schematic", 3
    ),
}
ALIASES = {
    "Armenia": "armenia",
    "Azerbaijan": "azerbaijan",
    "Nagorno-Karabakh": "nagorno_karabakh",
    "Karabakh": "nagorno_karabakh",
    "Syunik": "syunik",
    "Nakhchivan": "nakhchivan",
    "Jermuk": "jermuk",
    "Stepanakert": "stepanakert",
    "Lachin corridor": "lachin_corridor",
}


def split_sentences(article: Article) -> list[tuple[int, int]]:
    """Sentences end at '. ' or at a blank line (enough for hand-written test texts)."""
    spans, start = [], 0
    for match in re.finditer(r"(?<=[.!?])\s+(?=[A-Z])|\n\n+", article.text):
        if re.search(r"\b[A-Z][a-z]{0,3}\.$", article.text[: match.start()]):
            continue  # an abbreviation ("Sept.", "Rep.")
        if article.text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if article.text[start:].strip():
        spans.append((start, len(article.text.rstrip())))
    return spans


def make_article(aid: str, text: str, published: dt.date | None = OCT_12, **kw) -> Article:
    return Article(aid, f"{aid}.txt", text, published=published, body=((0, len(text)),), **kw)


def find_mentions(article: Article, roles: dict[str, str] | None = None) -> list[Mention]:
    """Mentions of every alias (longest first); role from ``roles`` by surface, else locative."""
    roles = roles or {}
    pattern = "|".join(sorted(map(re.escape, ALIASES), key=len, reverse=True))
    spans = split_sentences(article)
    found = []
    for m in re.finditer(rf"\b(?:{pattern})\b", article.text):
        place_id = ALIASES[m.group(0)]
        s, e = next((s, e) for s, e in spans if s <= m.start() < e)
        g = GEOMETRIES[place_id]
        point = g.geometry.representative_point()
        found.append(
            Mention(
                article.id,
                m.start(),
                m.end(),
                m.group(0),
                place_id,
                PLACES[place_id].kind,
                roles.get(m.group(0), "locative"),
                point.x,
                point.y,
                s,
                e,
                article.in_body(m.start(), m.end()),
                "gazetteer",
                "alias",
            )
        )
    return found


def incidents_of(texts: dict[str, tuple[str, dt.date | None]], places=None, **kw):
    articles = {aid: make_article(aid, text, pub) for aid, (text, pub) in texts.items()}
    mentions = [m for a in articles.values() for m in find_mentions(a)]
    return extract_incidents(
        articles, mentions, places or PLACES, GEOMETRIES, sentences=split_sentences, **kw
    )


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        (
            "More recently, on Sept. 1 of this year, soldiers were killed.",
            OCT_12,
            [("2023-09-01", "day")],
        ),
        ("The incursion last month forced people out.", OCT_12, [("2023-09", "month")]),
        ("X launched an incursion Wednesday.", OCT_12, [("2023-10-11", "day")]),
        ("In September 2022, X launched an assault.", OCT_12, [("2022-09", "month")]),
        ("The waiver has been issued since 2002.", OCT_12, [("2002/2023-10-12", "year")]),
        ("an operation on September 19 against units", OCT_12, [("2023-09-19", "day")]),
        ("In 2020, a six-week war erupted.", OCT_12, [("2020", "year")]),
        ("the war that erupted three years ago", OCT_12, [("2020", "year")]),
        ("a war in February of last year", OCT_12, [("2022-02", "month")]),
        ("on 1 September 2023 at dawn", None, [("2023-09-01", "day")]),
        ("the clashes of May 2021", None, [("2021-05", "month")]),
        # a date in the future of a publication without a year goes back a year
        ("on December 30 the talks began", OCT_12, [("2022-12-30", "day")]),
        # invalid or not a date
        ("Azerbaijan may invade soon.", OCT_12, []),
        ("more than 100,000 people and $2020 in aid", OCT_12, []),
        ("X launched an incursion Wednesday.", None, []),  # relative needs a publication date
        ("Pallone tweeted Wednesday that it was invaded.", OCT_12, []),  # dates the tweet
        ("In an Oct. 3 phone call, lawmakers pressed him.", OCT_12, []),  # dates the call
        ("", OCT_12, []),
    ],
)
def test_find_dates(text, published, expected):
    assert [(d.iso, d.precision) for _, d in find_dates(text, published)] == expected


def test_normalise_date_gives_interval_at_its_precision():
    month = normalise_date("September 2022", OCT_12)
    assert (month.start, month.end) == (dt.date(2022, 9, 1), dt.date(2022, 9, 30))
    week = normalise_date("last week", OCT_12)
    assert week.precision == "week" and (week.end - week.start).days == 6
    assert normalise_date("not a date at all", OCT_12) is None


# --- events and figures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Azerbaijan launched an assault across the border.", ["attack"]),
        ("artillery strikes and shelling hit the town", ["attack"]),
        ("a checkpoint on the Lachin corridor and a blockade", ["blockade"]),
        ("more than 100,000 Armenians fled; refugees arrived", ["displacement"]),
        ("three servicemen were killed", ["killing"]),
        ("Aliyev held talks with Erdogan", ["talks"]),
        ("Azerbaijan could soon invade Armenia.", []),  # hypothetical
        ("State saw a possibility that Azerbaijan would invade.", []),
        ("The weather was fine.", []),
        ("", []),
    ],
)
def test_find_events(text, expected):
    assert sorted({t for t, _, _ in find_events(text)}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("more than 100,000 ethnic Armenians", ("more than 100,000",)),
        ("at least 200 soldiers died", ("at least 200",)),
        ("tens of thousands of people", ("tens of thousands",)),
        ("more than 2,000 Georgians fled", ("more than 2,000",)),
        ("about 300 Georgians fled", ("about 300",)),
        ("five Ukrainians and two Lebanese were wounded", ("five", "two")),
        ("seven ethnic Kurds", ("seven",)),
        ("12 villagers", ("12",)),
        ("5 Georgian villages", ()),  # an adjective, not people
        ("three georgians", ()),  # a demonym is capitalised
        ("two Mondays", ()),
        ("In 2020 the war ended.", ()),
        ("$164 million for security", ()),
        ("", ()),
    ],
)
def test_find_figures(text, expected):
    assert find_figures(text) == expected


# --- the seven seed incidents on small texts ----------------------------------------------------

SEVEN = [
    # (text, published, event type, date iso, a place it must be at)
    (
        "Azerbaijan's offensive in September 2023 ended the Nagorno-Karabakh republic.",
        OCT_12,
        "attack",
        "2023-09",
        "nagorno_karabakh",
    ),
    (
        "In September 2022, Azerbaijan launched an assault across the border into Jermuk.",
        OCT_12,
        "attack",
        "2022-09",
        "jermuk",
    ),
    (
        "On Sept. 1 of this year, three servicemen were killed in Syunik.",
        OCT_12,
        "killing",
        "2023-09-01",
        "syunik",
    ),
    (
        "Armenia says Azerbaijan launched an incursion into its territory in Syunik Wednesday.",
        dt.date(2021, 5, 14),
        "attack",
        "2021-05-12",
        "syunik",
    ),
    (
        "Azerbaijan set up a checkpoint on the Lachin corridor in April 2023.",
        OCT_12,
        "blockade",
        "2023-04",
        "lachin_corridor",
    ),
    (
        "On September 25, Aliyev held talks with Erdogan in Nakhchivan.",
        OCT_12,
        "talks",
        "2023-09-25",
        "nakhchivan",
    ),
    (
        "Last month more than 100,000 Armenians fled Nagorno-Karabakh.",
        OCT_12,
        "displacement",
        "2023-09",
        "nagorno_karabakh",
    ),
]


@pytest.mark.parametrize(("text", "published", "event_type", "date", "place"), SEVEN)
def test_seed_incident_shapes_are_extracted(text, published, event_type, date, place):
    found = incidents_of({"a": (text, published)})
    matching = [i for i in found if i.event_type == event_type]
    assert len(matching) == 1, found
    incident = matching[0]
    assert incident.date.iso == date
    assert place in incident.places
    assert incident.reports[0].text.strip() == text
    assert not incident.curated


def test_geo_precision_from_places_and_near_cues():
    (town,) = incidents_of({"a": ("Shelling hit Jermuk on September 13.", OCT_12)})
    (near,) = incidents_of({"a": ("Shelling hit villages near Jermuk on September 13.", OCT_12)})
    (region,) = incidents_of({"a": ("Shelling hit Syunik on September 13.", OCT_12)})
    assert (town.geo_precision, near.geo_precision, region.geo_precision) == (1, 2, 3)
    assert town.date.precision == "day"


def test_sentence_without_place_borrows_previous_sentence_of_paragraph():
    text = "Tension rose in Syunik. On Sept. 1 of this year, three soldiers were killed."
    (incident,) = incidents_of({"a": (text, OCT_12)})
    assert incident.places == ("syunik",)
    assert incident.reports[0].places_from == "previous sentence"
    alone = "Tension rose in Syunik.\n\nOn Sept. 1 of this year, three soldiers were killed."
    assert incidents_of({"a": (alone, OCT_12)}) == ()


def test_sentence_with_only_actors_is_placed_at_them_at_region_level():
    text = "Armenia says Azerbaijan launched an incursion on May 12, 2021."
    articles = {"a": make_article("a", text)}
    mentions = find_mentions(articles["a"], {"Armenia": "metonymic", "Azerbaijan": "metonymic"})
    (incident,) = extract_incidents(
        articles, mentions, PLACES, GEOMETRIES, sentences=split_sentences
    )
    assert incident.places == ("armenia", "azerbaijan")
    assert incident.geo_precision == 3
    assert incident.reports[0].places_from == "actors"


def test_undated_or_placeless_reports_make_no_extracted_incident():
    assert incidents_of({"a": ("Clashes broke out in Syunik.", OCT_12)}) == ()
    assert incidents_of({"a": ("Clashes broke out on September 3.", OCT_12)}) == ()
    assert incidents_of({}) == ()


# --- merging ------------------------------------------------------------------------------------


def test_same_event_in_two_articles_merges_and_keeps_figure_disagreement():
    found = incidents_of(
        {
            "a": ("Last month more than 100,000 Armenians fled Nagorno-Karabakh.", OCT_12),
            "b": ("In September, some 80,000 people fled Stepanakert.", dt.date(2023, 10, 2)),
        }
    )
    (incident,) = found
    assert {r.article for r in incident.reports} == {"a", "b"}
    assert incident.date.iso == "2023-09"
    fields = {d["field"]: d for d in incident.disagreements}
    assert set(fields) == {"figures"}
    assert sorted(tuple(r["value"]) for r in fields["figures"]["reports"]) == [
        ("more than 100,000",),
        ("some 80,000",),
    ]


def test_close_days_merge_with_a_date_disagreement_far_days_do_not():
    close = incidents_of(
        {
            "a": ("Shelling hit Jermuk on September 13.", OCT_12),
            "b": ("Shelling hit Jermuk on September 14.", OCT_12),
        }
    )
    assert len(close) == 1
    assert [d["field"] for d in close[0].disagreements] == ["date"]
    far = incidents_of(
        {
            "a": ("Shelling hit Jermuk on September 13.", OCT_12),
            "b": ("Shelling hit Jermuk on September 29.", OCT_12),
        }
    )
    assert len(far) == 2


@pytest.mark.parametrize(
    ("second", "merged"),
    [
        ("Shelling hit Jermuk in September.", True),  # month contains the day
        ("Shelling hit Armenia on September 13.", True),  # country contains the town
        ("Shelling hit Stepanakert on September 13.", False),  # elsewhere
        ("Talks were held in Jermuk on September 13.", False),  # another event type
        ("Shelling hit Jermuk in September 2022.", False),  # another year
    ],
)
def test_merge_rules(second, merged):
    found = incidents_of(
        {"a": ("Shelling hit Jermuk on September 13.", OCT_12), "b": (second, OCT_12)}
    )
    assert (len(found) == 1) is merged


def test_extracted_incident_ids_are_unique():
    found = incidents_of(
        {
            "a": ("Shelling hit Jermuk on September 13.", OCT_12),
            "b": ("Shelling hit Jermuk on September 13, 2022.", OCT_12),
        }
    )
    ids = [i.id for i in found]
    assert len(ids) == len(set(ids)) == 2


# --- curated incidents --------------------------------------------------------------------------

OFFENSIVE = Place(
    "sept_2023_offensive",
    "Azerbaijani offensive in Nagorno-Karabakh",
    "incident",
    date=dt.date(2023, 9, 19),
    date_precision="day",
    places=("nagorno_karabakh",),
    description="One-day military offensive.",
)


def test_curated_incident_links_compatible_reports_automatically():
    places = {**PLACES, OFFENSIVE.id: OFFENSIVE}
    found = incidents_of(
        {
            "a": ("The offensive against Stepanakert on September 19 was swift.", OCT_12),
            "b": ("The attack on Nagorno-Karabakh last month shocked observers.", OCT_12),
            "c": ("An attack on Nagorno-Karabakh in 2020 was bloody.", OCT_12),
        },
        places=places,
    )
    curated = next(i for i in found if i.id == OFFENSIVE.id)
    assert curated.curated and curated.date.iso == "2023-09-19"
    assert {r.article for r in curated.reports} == {"a", "b"}
    assert curated.disagreements == ()
    others = [i for i in found if not i.curated]
    assert [i.date.iso for i in others] == ["2020"]


def test_explicit_sources_override_automatic_links():
    pinned = Place(
        **{
            **OFFENSIVE.__dict__,
            "sources": (
                {"article": "c", "note": "an ATTACK on  Nagorno-Karabakh in 2020"},
                {"article": "zz", "note": "no such article"},
                {"url": "https://example.org", "note": "not an article"},
            ),
        },
    )
    found = incidents_of(
        {
            "a": ("The offensive against Stepanakert on September 19 was swift.", OCT_12),
            "c": ("An attack on Nagorno-Karabakh in 2020 was bloody.", OCT_12),
            "d": ("An attack on Nagorno-Karabakh in 2021 was bloody.", OCT_12),
        },
        places={**PLACES, pinned.id: pinned},
    )
    curated = next(i for i in found if i.id == pinned.id)
    assert sorted(r.article for r in curated.reports) == ["a", "c"]  # c pinned, d rejected
    assert [d["field"] for d in curated.disagreements] == ["date"]
    assert [i.date.iso for i in found if not i.curated] == ["2021"]


def test_undated_reports_link_only_recent_and_below_country_level():
    places = {**PLACES, OFFENSIVE.id: OFFENSIVE}
    found = incidents_of(
        {
            "recent": ("The offensive on Stepanakert shocked everyone.", OCT_12),
            "late": ("The offensive on Stepanakert shocked everyone.", dt.date(2024, 9, 1)),
            "unknown": ("The offensive on Stepanakert shocked everyone.", None),
            "country": ("The offensive on Azerbaijan shocked everyone.", OCT_12),
        },
        places=places,
    )
    (curated,) = found
    assert [r.article for r in curated.reports] == ["recent"]


# --- the real seeds -----------------------------------------------------------------------------

SEED_EXPECTATIONS = [
    # (event type, date prefix, the place it must lie in, words of a quote)
    ("attack", "2023-09", "nagorno_karabakh", "offensive"),
    ("attack", "2022-09", "armenia", "assault"),
    ("killing", "2023-09-01", "armenia", "servicemen"),
    ("attack", "2021-05", "armenia", "incursion"),
    ("blockade", "", "lachin_corridor", "checkpoint"),
    ("talks", "", "nakhchivan_ar", "Erdogan"),
    ("displacement", "2023-09", "nagorno_karabakh", "100,000"),
]


@pytest.fixture(scope="module")
def seed_corpus():
    from geo import pipeline

    corpus = pipeline.load_corpus()
    return corpus, pipeline.corpus_incidents(corpus)


def _lies_in(corpus, place_id: str, area_id: str) -> bool:
    if place_id == area_id:
        return True
    place, area = corpus.geometries.get(place_id), corpus.geometries.get(area_id)
    if place is None or area is None:
        return False
    return bool(area.geometry.buffer(0.05).contains(place.geometry.representative_point()))


@pytest.mark.slow
@pytest.mark.parametrize(("event_type", "date", "area", "quote"), SEED_EXPECTATIONS)
def test_seven_seed_incidents(seed_corpus, event_type, date, area, quote):
    corpus, incidents = seed_corpus
    # the seeds give no date for some; it comes from data/gazetteer/incidents.yaml
    assert any(i.curated for i in incidents), "no curated incidents: data/gazetteer/incidents.yaml"

    def fits(i):
        quotes = " ".join(r.text for r in i.reports)
        return (
            i.event_type == event_type
            and (i.date is not None and i.date.iso.startswith(date))
            and any(_lies_in(corpus, p, area) for p in i.places)
            and quote.lower() in quotes.lower()
        )

    assert any(fits(i) for i in incidents), [
        (i.id, i.event_type, i.date.iso if i.date else None, i.places) for i in incidents
    ]


# --- names, clauses, recognitions, figure classes, week dates, sentence mates ------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # proper names do not trigger events
        ("During the First Nagorno-Karabakh War, aid to Azerbaijan was banned.", []),
        ("Congress recognized the killings during World War I.", []),
        ("Killings continued in Syunik.", ["killing"]),  # opens the sentence: not a name
        ("AZERBAIJAN ATTACKS ARMENIA", ["attack"]),  # capitals say nothing in a headline
        ("Azerbaijan Launches Offensive Against Armenia", ["attack"]),
        # metaphors, recognitions, things that did not happen
        ("Baku joined the global war on terrorism.", []),
        ("The war against Ukraine began.", ["attack"]),
        ("The U.S. recognized the mass killings as a genocide.", []),
        ("Trade could serve to avoid a future war in the region.", []),
        ("", []),
    ],
)
def test_find_events_skips_names_metaphors_and_recognitions(text, expected):
    assert sorted({t for t, _, _ in find_events(text)}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Section 907 of the 1992 Freedom Support Act", []),
        ("the Freedom Support Act of 1992", []),
        ("the 2020 war", ["2020"]),  # a year before an event noun dates it
        ("In 2020 Azerbaijan attacked.", ["2020"]),
    ],
)
def test_years_of_names_are_not_event_dates(text, expected):
    assert [d.iso for _, d in find_dates(text, OCT_12)] == expected


@pytest.mark.parametrize(
    ("text", "date"),
    [
        # a date in the trigger's own clause, or alone in a clause of its own
        ("In 2020, a war erupted in Syunik.", "2020"),
        (
            "Russia launched a war in Syunik, a region of Armenia, in February of last year.",
            "2022-02",
        ),
        (
            "More recently, on Sept. 1 of this year, three servicemen were killed in Syunik.",
            "2023-09-01",
        ),
        # a date inside another clause dates that clause, not the event
        ("Following the attacks in Syunik, Congress approved a waiver in 2002.", None),
        ("After a truce on September 19, refugees fled Syunik.", None),
    ],
)
def test_dates_attach_to_the_event_of_their_clause(text, date):
    articles = {"a": make_article("a", text)}
    (report, *_) = find_reports(
        articles["a"],
        find_mentions(articles["a"]),
        PLACES,
        GEOMETRIES,
        sentences=split_sentences(articles["a"]),
    )
    assert (report.date.iso if report.date else None) == date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three Armenian servicemen were killed", [("three", "killed")]),
        (
            "more than 6,000 deaths and the displacement of tens of thousands of people",
            [("more than 6,000", "killed"), ("tens of thousands", "displaced")],
        ),
        ("around 2,000 peacekeepers helped end the war", [("around 2,000", "peacekeepers")]),
        (
            "more than 100,000 ethnic Armenians living there to flee",
            [("more than 100,000", "displaced")],
        ),
        ("five people were wounded", [("five", "wounded")]),
        ("", []),
    ],
)
def test_figures_know_what_they_count(text, expected):
    assert list(find_counted_figures(text)) == expected


def test_only_figures_of_the_same_thing_disagree():
    found = incidents_of(
        {
            "a": ("In 2020, a war in Syunik resulted in more than 6,000 deaths.", OCT_12),
            "b": ("In 2020, around 2,000 peacekeepers ended the war in Syunik.", OCT_12),
            "c": ("In 2020, a war in Syunik resulted in 5,000 deaths.", OCT_12),
        }
    )
    (war,) = [i for i in found if i.event_type == "attack"]
    (disagreement,) = war.disagreements
    assert disagreement["field"] == "figures" and disagreement["counts"] == "killed"
    values = sorted(tuple(r["value"]) for r in disagreement["reports"])
    assert values == [("5,000",), ("more than 6,000",)]  # the peacekeepers are not compared
    assert all(r["value"] for d in war.disagreements for r in d["reports"])


def test_disagreements_never_list_empty_values():
    found = incidents_of(
        {
            "a": ("Shelling hit Jermuk on September 13.", OCT_12),
            "b": ("Shelling hit Jermuk on September 14, killing three soldiers.", OCT_12),
        }
    )
    (incident,) = found
    assert [d["field"] for d in incident.disagreements] == ["date"]


@pytest.mark.parametrize(
    ("day", "precision", "start", "end", "iso"),
    [
        (dt.date(2023, 9, 24), "week", dt.date(2023, 9, 24), dt.date(2023, 9, 30), "2023-09-24"),
        (dt.date(2023, 9, 18), "week", dt.date(2023, 9, 18), dt.date(2023, 9, 24), "2023-09-18"),
        (dt.date(2023, 9, 24), "day", dt.date(2023, 9, 24), dt.date(2023, 9, 24), "2023-09-24"),
        (dt.date(2023, 9, 24), "month", dt.date(2023, 9, 1), dt.date(2023, 9, 30), "2023-09"),
        (dt.date(2023, 9, 24), "year", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "2023"),
    ],
)
def test_curated_dates_keep_their_day_and_range(day, precision, start, end, iso):
    place = Place(
        "x",
        "Flight of refugees",
        "incident",
        date=day,
        date_precision=precision,
        places=("nagorno_karabakh",),
    )
    incident = curated_incident(place, GEOMETRIES, PLACES)
    assert (incident.date.start, incident.date.end, incident.date.iso) == (start, end, iso)
    assert incident.date.start <= day <= incident.date.end


def test_week_named_in_text_is_the_calendar_week():
    week = normalise_date("last week", OCT_12)  # Thursday 12 October 2023
    assert (week.start, week.end) == (dt.date(2023, 10, 2), dt.date(2023, 10, 8))


def test_reports_in_a_curated_sentence_join_that_incident():
    killed = Place(
        "servicemen_killed",
        "Servicemen killed",
        "incident",
        date=dt.date(2023, 9, 1),
        date_precision="day",
        places=("syunik",),
    )
    text = (
        "On Sept. 1 of this year, three servicemen were killed in Syunik after an alleged "
        "drone attack. In 2022, clashes in Syunik were frequent, and on Sept. 1 of this year "
        "an attack hit Jermuk."
    )
    found = incidents_of({"a": (text, OCT_12)}, places={**PLACES, killed.id: killed})
    curated = next(i for i in found if i.curated)
    assert sorted(r.event_type for r in curated.reports) == ["attack", "killing"]
    others = {(i.event_type, i.date.iso) for i in found if not i.curated}
    assert ("attack", "2023-09-01") in others  # another sentence: still its own incident
    assert all(r.sentence_start > 0 for i in found if not i.curated for r in i.reports)


def test_explicit_source_without_trigger_still_links_its_sentence():
    war = Place(
        "second_war",
        "Second War",
        "incident",
        date=dt.date(2020, 9, 27),
        places=("nagorno_karabakh",),
        sources=({"article": "a", "note": "as Azerbaijan started the Second Karabakh War"},),
    )
    text = "Waivers should have ended in 2020 as Azerbaijan started the Second Karabakh War."
    (incident,) = incidents_of({"a": (text, OCT_12)}, places={**PLACES, war.id: war})
    (report,) = incident.reports
    assert report.places_from == "source" and report.text == text
    assert report.trigger == "as Azerbaijan started the Second Karabakh War"


# --- the per-article half stored by the index, the corpus-level half, and equivalences -------


#: Texts exercising every way a report is placed and dated (sentence, near cue, previous
#: sentence, actors, two dates in two clauses, boilerplate, no trigger at all).
DRAFT_TEXTS = [
    "Shelling hit villages near Jermuk on September 13. Three soldiers were killed.",
    "Armenia says Azerbaijan launched an incursion on May 12, 2021.",
    "Clashes in Syunik in 2022 or the offensive in Nagorno-Karabakh in September 2023.",
    "Tension rose in Syunik.\n\nOn Sept. 1 of this year, three soldiers were killed.",
    "Nothing happened in Jermuk. The weather was fine.",
    "",
]


def _draft_world(text: str, body_end: int | None = None):
    article = make_article("a", text)
    if body_end is not None:
        article = dataclasses.replace(article, body=((0, body_end),))
    mentions = find_mentions(article, {"Armenia": "metonymic", "Azerbaijan": "metonymic"})
    return article, mentions


@pytest.mark.parametrize("text", DRAFT_TEXTS)
@pytest.mark.parametrize("boilerplate", [False, True])
def test_graded_drafts_are_the_reports(text, boilerplate):
    article, mentions = _draft_world(text, body_end=len(text) // 2)
    spans = split_sentences(article)
    drafts = incidents.draft_reports(article, mentions, PLACES, sentences=spans)
    graded = incidents.grade_reports(
        article, drafts, PLACES, GEOMETRIES, include_boilerplate=boilerplate
    )
    expected = find_reports(
        article, mentions, PLACES, GEOMETRIES, sentences=spans, include_boilerplate=boilerplate
    )
    assert graded == expected
    assert len(drafts) >= len(graded)  # drafts keep the boilerplate's reports too
    assert incidents.decode_drafts(incidents.encode_drafts(drafts)) == drafts


def test_drafts_read_no_geometry_grading_reads_the_current_ones():
    article, mentions = _draft_world("Shelling hit villages near Jermuk on September 13.")
    drafts = incidents.draft_reports(article, mentions, PLACES, sentences=split_sentences(article))
    assert [d.levels for d in drafts] == [(("jermuk", True),)]
    as_area = {**GEOMETRIES, "jermuk": dataclasses.replace(GEOMETRIES["jermuk"], geo_precision=3)}
    (town,) = incidents.grade_reports(article, drafts, PLACES, GEOMETRIES)
    (area,) = incidents.grade_reports(article, drafts, PLACES, as_area)
    assert (town.geo_precision, area.geo_precision) == (2, 3)  # near a town; then a region


def test_drafts_skip_mentions_of_incidents_and_of_other_articles():
    article, mentions = _draft_world("Shelling hit Jermuk on September 13.")
    other = [dataclasses.replace(m, article="b", place_id="syunik") for m in mentions]
    as_incident = {**PLACES, "jermuk": Place("jermuk", "Jermuk", "incident")}
    spans = split_sentences(article)
    (draft,) = incidents.draft_reports(article, mentions + other, PLACES, sentences=spans)
    assert draft.places == ("jermuk",)
    (actors,) = incidents.draft_reports(article, mentions, as_incident, sentences=spans)
    assert (actors.places, actors.places_from) == ((), "actors")


@pytest.mark.parametrize(
    "data",
    ["not json", "[[1, 2]]", '{"a": 1}'],
)
def test_foreign_drafts_are_refused(data):
    with pytest.raises((ValueError, TypeError)):
        incidents.decode_drafts(data)


def test_group_mentions_keeps_each_articles_order():
    a, b = make_article("a", "Syunik and Jermuk."), make_article("b", "Jermuk.")
    mine, theirs = find_mentions(a), find_mentions(b)
    mixed = [mine[0], theirs[0], mine[1]]
    assert incidents.group_mentions(mixed) == {"a": mine, "b": theirs}


def test_extraction_does_not_depend_on_how_mentions_interleave():
    texts = {
        "a": ("Shelling hit Jermuk on September 13.", OCT_12),
        "b": ("On September 13 shelling hit Jermuk again.", OCT_12),
    }
    articles = {aid: make_article(aid, text, pub) for aid, (text, pub) in texts.items()}
    mentions = [m for a in articles.values() for m in find_mentions(a)]
    options = {"sentences": split_sentences}
    ordered = extract_incidents(articles, mentions, PLACES, GEOMETRIES, **options)
    mixed = extract_incidents(articles, mentions[1:] + mentions[:1], PLACES, GEOMETRIES, **options)
    assert ordered == mixed and len(ordered) == 1


# The regular expressions carry a necessary-condition lookahead for speed and find_dates skips
# sentences without a date hint: the matches must be those of the plain patterns.
_PLAIN_DATES = re.compile(
    rf"(?:\b(?P<prep>on|in|since|from|until|by|during)\s+)?(?P<expr>{incidents._DATE_CORE})(?!\w)",
    re.IGNORECASE,
)
_TOKENS = [
    "in",
    "on",
    "since",
    "by",
    "during",
    "May",
    "may",
    "Sept.",
    "sept",
    "March",
    "Mar",
    "june",
    "5",
    "12th",
    "2023",
    "1999",
    "20230",
    "100,000",
    "$2020",
    "of",
    "this",
    "last",
    "year",
    "week",
    "weeks",
    "ago",
    "a",
    "three",
    "several",
    "days",
    "Monday",
    "Tuesdays",
    "today",
    "yesterday",
    "earlier",
    "past",
    "month",
    "x",
    "Summary",
    "ſep",
    "K",
    ",",
    ".",
    "-",
    "(",
    "killed",
    "people",
    "more than",
    "tens of thousands",
    "Armenians",
    "dozen",
    "over",
    "at least",
]
_SENTENCES = st.lists(st.sampled_from(_TOKENS), max_size=12).map(
    lambda words: "".join(w + (" " if i % 3 else "") for i, w in enumerate(words))
) | st.text(alphabet=st.sampled_from(list("aMy 0129,.ſ$Sept")), max_size=30)


@given(_SENTENCES)
@settings(max_examples=400, deadline=None)
def test_fast_date_and_figure_patterns_match_as_the_plain_ones(text):
    def spans(pattern):
        return [(m.span(), m.groupdict()) for m in pattern.finditer(text)]

    assert spans(incidents.DATE_PATTERN) == spans(_PLAIN_DATES)
    if spans(_PLAIN_DATES):
        assert incidents._DATE_HINT.search(text)
    plain_figure = re.compile(incidents._FIGURE.pattern.split(")(?:", 1)[1][:-1], re.IGNORECASE)
    assert spans(incidents._FIGURE) == spans(plain_figure)


def _naive_merge(reports, relation):
    """The merge rule written plainly: each report joins the first group it fits."""
    order = sorted(
        reports,
        key=lambda r: (
            r.date is None,
            incidents.TIME_PRECISIONS.index(r.date.precision) if r.date else 9,
            r.article,
        ),
    )
    groups = []
    for report in order:
        for group in groups:
            if incidents._fits(report, group, relation):
                group.append(report)
                break
        else:
            groups.append([report])
    return groups


_REPORT = st.builds(
    lambda article, kind, places, day, precision: incidents.Report(
        article=article,
        sentence_start=0,
        sentence_end=1,
        text="x",
        event_type=kind,
        trigger="x",
        trigger_start=0,
        date=None
        if day is None
        else incidents.DateRange(
            *incidents.range_for(dt.date(2023, 1, 1) + dt.timedelta(days=day), precision),
            precision,
        ),
        places=tuple(places),
        geo_precision=None,
        published=OCT_12,
    ),
    st.sampled_from("abc"),
    st.sampled_from(["attack", "killing"]),
    st.lists(st.sampled_from(["syunik", "jermuk", "stepanakert", "armenia"]), max_size=2),
    st.none() | st.integers(0, 120),
    st.sampled_from(["day", "week", "month", "year"]),
)


@given(st.lists(_REPORT, max_size=25))
@settings(max_examples=200, deadline=None)
def test_merge_groups_as_the_plain_first_fit_rule(reports):
    relation = incidents.PlaceRelation(GEOMETRIES)
    assert incidents.merge_reports(reports, relation) == _naive_merge(reports, relation)


def test_sentence_events_parse_dates_only_where_a_trigger_is(monkeypatch):
    incidents.sentence_events.cache_clear()
    seen = []
    real = incidents.find_dates
    monkeypatch.setattr(incidents, "find_dates", lambda t, p: seen.append(t) or real(t, p))
    assert incidents.sentence_events("On May 5, 2021 it rained.", None) == ()
    (event,) = incidents.sentence_events("On May 5, 2021 troops attacked.", None)
    assert seen == ["On May 5, 2021 troops attacked."]
    assert (event[0], event[3].iso, event[4]) == ("attack", "2021-05-05", False)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_lexicon_match_passes_the_event_word_gate(data):
    event_type = data.draw(st.sampled_from(sorted(incidents.EVENT_LEXICON)))
    pattern = re.compile(incidents.EVENT_LEXICON[event_type], re.IGNORECASE)
    word = data.draw(st.from_regex(pattern, fullmatch=True))
    sentence = f"Yesterday {word} was reported."
    assert incidents.find_events(sentence, skip_names=False), sentence  # the lexicon's word
    assert incidents.has_event_word(sentence)


@pytest.mark.parametrize(
    "text",
    [
        *DRAFT_TEXTS,
        "Tension rose in Syunik.\rOn Sept. 1 of this year, three soldiers were killed.",
        "Tension rose in Syunik.\r\nLater three soldiers were killed.\nFighting in Jermuk.",
        "Quiet in Jermuk. Nothing more.\nThree soldiers were killed. Calm again.",
    ],
)
def test_report_sentences_give_the_drafts_of_every_sentence(text):
    article, mentions = _draft_world(text)
    every = incidents.draft_reports(
        article, mentions, PLACES, sentences=incidents.default_sentences(article)
    )
    gated = incidents.report_sentences(article)
    assert incidents.draft_reports(article, mentions, PLACES, sentences=gated) == every
    assert set(gated) <= set(incidents.default_sentences(article))


def test_places_carry_over_only_within_a_line_whatever_its_break():
    for text in (
        "Tension rose in Syunik.\rThree soldiers were killed on Sept. 1.",
        "Tension rose in Syunik.\r\nThree soldiers were killed on Sept. 1.",
    ):
        article, mentions = _draft_world(text)
        spans = incidents.default_sentences(article)
        (draft,) = incidents.draft_reports(article, mentions, PLACES, sentences=spans)
        assert draft.places_from == "actors", repr(text)


def test_seed_drafts_over_report_sentences_equal_those_over_every_sentence(seed_corpus):
    corpus, _ = seed_corpus
    grouped = incidents.group_mentions(corpus.mentions)
    for article in corpus.articles.values():
        own = grouped.get(article.id, ())
        every = incidents.draft_reports(
            article, own, corpus.gazetteer.places, sentences=incidents.default_sentences(article)
        )
        gated = incidents.draft_reports(
            article, own, corpus.gazetteer.places, sentences=incidents.report_sentences(article)
        )
        assert gated == every, article.id
        assert every  # each seed reports something: the comparison is not vacuous


@pytest.mark.parametrize("word", ["KILLED", "kİlled", "kılled", "ſummit", "attacK", "ﬂed"])
def test_the_event_word_gate_reads_case_as_the_lexicon_does(word):
    sentence = f"Yesterday {word} was reported."
    assert incidents.has_event_word(sentence)
    found = incidents.find_events(sentence, skip_names=False)
    assert [w for _, w, _ in found] == ([word] if word != "ﬂed" else [])
