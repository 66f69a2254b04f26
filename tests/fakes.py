"""Small hand-made test doubles shared by several test modules (no real data needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shapely.geometry import LineString, Point, box

from geo.incidents import DateRange, Incident, Report
from geo.models import Article, Mention, Place


@dataclass(frozen=True)
class FakeGeometry:
    """Stands in for ``geo.geometry.ResolvedGeometry``: a shape and where it came from."""

    geometry: Any
    source: str = "test"
    precision: str = "exact"
    geo_precision: int | None = None
    lon: float | None = None
    lat: float | None = None


# --- a hand-made world for layers and export: Syunik, Goris, a corridor, a border, an incident

PLACES = {
    "armenia": Place("armenia", "Armenia", "country"),
    "iran": Place("iran", "Iran", "country"),
    "syunik": Place("syunik", "Syunik", "region"),
    "sevan": Place("sevan", "Lake Sevan", "water"),
    "zangezur_corridor": Place(
        "zangezur_corridor",
        "Zangezur corridor",
        "corridor",
        status="proposed",
        claimed_by=("AZE", "TUR"),
    ),
    "arm_irn_border": Place("arm_irn_border", "Armenia–Iran border", "border"),
    "goris": Place("goris", "Goris", "settlement"),
    "tatev": Place("tatev", "Tatev Monastery", "landmark"),
    "lachin_blockade": Place(
        "lachin_blockade",
        "Lachin blockade",
        "incident",
        date=dt.date(2022, 12, 12),
        places=("goris",),
    ),
}
GEOMETRIES = {
    "armenia": FakeGeometry(box(43.4, 38.8, 46.6, 41.3), "OSM", "exact", 3),
    "iran": FakeGeometry(box(44.0, 25.0, 63.0, 38.9), "Natural Earth", "exact", 3),
    "syunik": FakeGeometry(box(45.5, 38.8, 46.6, 39.8), "Natural Earth", "exact", 3),
    "sevan": FakeGeometry(box(45.0, 40.1, 45.6, 40.6), "analyst", "approximate", 3),
    "zangezur_corridor": FakeGeometry(
        LineString([(46.5, 39.2), (45.6, 39.2)]), "derived", "schematic", 3
    ),
    "arm_irn_border": FakeGeometry(LineString([(46.0, 38.9), (46.5, 38.9)]), "derived", "exact", 3),
    "goris": FakeGeometry(Point(46.34, 39.51), "GeoNames", "exact", 1, 46.34, 39.51),
    "tatev": FakeGeometry(Point(46.25, 39.38), "GeoNames", "exact", 1, 46.25, 39.38),
}

TEXT_A = "Shelling hit Goris. Baku wants the Zangezur corridor. Lake Sevan is calm."
TEXT_B = "Goris and Syunik border Iran. Boilerplate: Tatev Monastery."
ARTICLES = {
    "a": Article(
        "a",
        "a.txt",
        TEXT_A,
        title="Title A",
        outlet="Outlet A",
        published=dt.date(2023, 9, 20),
        body=((0, len(TEXT_A)),),
    ),
    "b": Article(
        "b",
        "b.txt",
        TEXT_B,
        title="Title B",
        outlet="Outlet B",
        published=dt.date(2021, 5, 14),
        body=((0, 29),),
    ),
}


def mention(
    article: str, surface: str, place_id: str | None, role: str = "locative", nth: int = 0
) -> Mention:
    text = ARTICLES[article].text
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    s = text.rfind(". ", 0, start)
    s = 0 if s < 0 else s + 2
    e = text.find(".", start) + 1
    kind = PLACES[place_id].kind if place_id in PLACES else "settlement"
    return Mention(
        article,
        start,
        start + len(surface),
        surface,
        place_id,
        kind,
        role,
        None,
        None,
        s,
        e,
        ARTICLES[article].in_body(start, start + len(surface)),
        "gazetteer",
        "alias",
    )


MENTIONS = [
    mention("a", "Goris", "goris"),
    mention("a", "Baku", None, "metonymic"),  # unresolved name: never a feature
    mention("a", "Zangezur corridor", "zangezur_corridor"),
    mention("a", "Lake Sevan", "sevan"),
    mention("b", "Goris", "goris"),
    mention("b", "Syunik", "syunik"),
    mention("b", "Iran", "iran", "metonymic"),
    mention("b", "Tatev Monastery", "tatev"),  # outside the body
]

REPORT = Report(
    article="a",
    sentence_start=0,
    sentence_end=19,
    text=TEXT_A[:19],
    event_type="attack",
    trigger="Shelling",
    trigger_start=0,
    date=DateRange(dt.date(2023, 9, 13), dt.date(2023, 9, 13), "day", "September 13"),
    places=("goris",),
    geo_precision=1,
    published=dt.date(2023, 9, 20),
)
INCIDENTS = [
    Incident(
        "attack_2023_09_13_goris",
        "Attack, Goris, 2023-09-13",
        "attack",
        REPORT.date,
        ("goris",),
        1,
        (REPORT,),
    ),
    Incident(
        "lachin_blockade",
        "Lachin blockade",
        "blockade",
        DateRange(dt.date(2022, 12, 12), dt.date(2022, 12, 12), "day"),
        ("goris",),
        1,
        curated=True,
        description="Road blocked.",
    ),
]
