"""Incidents: curated entries plus event reports found in sentences, dated and merged."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from geo.models import Article, Mention, Place

#: Event types and the words that report them (a general lexicon, ACLED-like coarse types).
#: A sentence yields one report per event type it contains.
EVENT_LEXICON: dict[str, str] = {
    "attack": (
        r"attack(?:s|ed|ing)?|assault(?:s|ed)?|offensives?|invasions?|invad(?:e|ed|es|ing)"
        r"|incursions?|shelling|shelled|bombard\w*|(?:air|artillery|drone|missile)[ -]strikes?"
        r"|strikes|striking|clash(?:es|ed)?|fighting|war|hostilities|aggression"
        r"|(?:military|anti-terror(?:ist)?|counter-terror(?:ist)?)[”\"]?\s+(?:operation|campaign)"
    ),
    "killing": r"killed|killings?|massacred?|massacres|casualties|deaths",
    "blockade": r"blockades?|blockaded|checkpoints?|blocked",
    "displacement": (
        r"refugees?|displaced|displacement|fle(?:e|d|eing)|flight\s+of|exodus"
        r"|forced\s+to\s+leave|evacuat(?:ed|ion)"
    ),
    "talks": r"talks|negotiations?|summit|met\s+with",
}

#: Words that make a trigger hypothetical ("could invade", "may soon attack"): no report.
MODALS = ("could", "may", "might", "would", "will", "shall", "threatens", "threatened")

#: A date right after one of these verbs, or right before one of these nouns, dates what was
#: said (the statement), not the event the sentence reports; it is not the event's date.
SPEECH_VERBS = frozenset(
    [
        "said",
        "says",
        "tweeted",
        "told",
        "announced",
        "stated",
        "wrote",
        "reported",
        "added",
        "declared",
        "interview",
    ]
)
SPEECH_NOUNS = frozenset(
    ["statement", "call", "interview", "briefing", "speech", "tweet", "remarks", "press"]
)

#: Cue words before a settlement that make the location "an area near a town" (level 2).
NEAR_CUES = re.compile(
    r"(?:near|outside|around|close\s+to|outskirts\s+of|vicinity\s+of|(?:north|south|east|west)"
    r"(?:east|west)?\s+of)\s+(?:the\s+)?$",
    re.IGNORECASE,
)

#: Time precision of each interval kind, from the most to the least precise.
TIME_PRECISIONS = ("day", "week", "month", "year")

#: Tolerance in days when comparing dates of two reports at a given precision.
DATE_TOLERANCE = {"day": 3, "week": 7, "month": 0, "year": 0}

#: An undated report may describe a dated event when published up to this many days after it.
UNDATED_WINDOW_DAYS = 90

#: Default ACLED-style geo precision by place kind, when neither geometry nor place sets one.
KIND_GEO_PRECISION = {"settlement": 1, "landmark": 1}

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_YEAR = r"(?:1[89]\d\d|20\d\d)(?!\d)(?!,\d)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_REL_YEAR = r"of\s+(?:this|last)\s+year"
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|several)"
_DATE_CORE = "|".join(
    [
        rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",
        rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",
        rf"{_MONTH}\s+{_DAY}(?:\s+{_REL_YEAR})?(?!\d)(?!,\d)",
        rf"{_DAY}\s+{_MONTH}",
        rf"{_MONTH},?\s+(?:of\s+)?{_YEAR}",
        rf"{_MONTH}\s+{_REL_YEAR}",
        r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day",
        r"(?:earlier\s+|later\s+)?(?:last|this|past)\s+(?:week|month|year)",
        rf"{_NUMBER}\s+(?:days?|weeks?|months?|years?)\s+ago",
        r"yesterday|today",
        _MONTH,
        rf"(?<![$\d.,]){_YEAR}",
    ]
)
DATE_PATTERN = re.compile(
    rf"(?:\b(?P<prep>on|in|since|from|until|by|during)\s+)?(?P<expr>{_DATE_CORE})(?!\w)",
    re.IGNORECASE,
)
#: Nouns for people that a small casualty or displacement figure counts.
_PEOPLE_NOUN = (
    r"(?:people|persons|civilians|soldiers|servicemen|troops|fighters|militants|police(?:men)?"
    r"|officers|residents|inhabitants|villagers|citizens|refugees|migrants|evacuees|families"
    r"|children|women|men|hostages|prisoners|detainees|deaths|dead|killed|wounded|injured)"
)
#: A capitalised plural people noun ("Georgians", "Azerbaijanis", "Lebanese", "Kurds", "Shiites").
_DEMONYM = r"(?-i:[A-Z][a-z]+(?:ans|is|ese|ish|ites|[dk]s))"
_FIGURE = re.compile(
    r"(?:(?:more\s+than|over|at\s+least|nearly|almost|about|around|some|up\s+to)\s+)?"
    r"(?<![$\d.])\d{1,3}(?:,\d{3})+(?!\d)|(?:tens|hundreds|dozens)\s+of\s+thousands"
    r"|(?:(?:more\s+than|over|at\s+least|nearly|almost|about|around|some)\s+)?"
    r"(?<![$\d.])(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a\s+dozen|dozens)"
    rf"(?=\s+(?:\w+\s+)?(?:{_PEOPLE_NOUN}|{_DEMONYM})\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateRange:
    """A date normalised to the interval it denotes, with the precision it was stated at.

    Examples
    --------
    >>> DateRange(dt.date(2023, 9, 1), dt.date(2023, 9, 30), "month").iso
    '2023-09'
    >>> DateRange(dt.date(2002, 1, 1), dt.date(2023, 10, 12), "year", since=True).iso
    '2002/2023-10-12'
    """

    start: dt.date
    end: dt.date
    precision: str
    text: str = ""
    since: bool = False

    @property
    def iso(self) -> str:
        """ISO 8601 form at the stated precision (an interval for ``since`` ranges)."""
        if self.since:
            return f"{_iso_at(self.start, self.precision)}/{self.end.isoformat()}"
        return _iso_at(self.start, self.precision)

    def overlaps(self, other: DateRange, tolerance_days: int = 0) -> bool:
        """Whether the two intervals meet, each widened by ``tolerance_days``."""
        pad = dt.timedelta(days=tolerance_days)
        return self.start - pad <= other.end and other.start - pad <= self.end


@dataclass(frozen=True)
class Report:
    """One sentence that reports an event: its type, date, places and the quote itself."""

    article: str
    sentence_start: int
    sentence_end: int
    text: str
    event_type: str
    trigger: str
    trigger_start: int
    date: DateRange | None
    places: tuple[str, ...]
    geo_precision: int | None
    figures: tuple[str, ...] = ()
    published: dt.date | None = None
    in_body: bool = True
    places_from: str = "sentence"

    def as_quote(self) -> dict[str, Any]:
        """Return the JSON-ready record of this report (used in provenance and exports)."""
        return {
            "start": self.trigger_start,
            "end": self.trigger_start + len(self.trigger),
            "surface": self.trigger,
            "role": None,
            "sentence": self.text,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "event_type": self.event_type,
            "date_text": self.date.text if self.date else None,
            "date": self.date.iso if self.date else None,
            "time_precision": self.date.precision if self.date else None,
            "places": list(self.places),
            "places_from": self.places_from,
            "figures": list(self.figures),
        }


@dataclass(frozen=True)
class Incident:
    """An event on the map: curated (from the gazetteer) or merged from article reports."""

    id: str
    name: str
    event_type: str
    date: DateRange | None
    places: tuple[str, ...]
    geo_precision: int | None
    reports: tuple[Report, ...] = ()
    curated: bool = False
    description: str | None = None
    disagreements: tuple[Mapping[str, Any], ...] = ()
    sources: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def _iso_at(day: dt.date, precision: str) -> str:
    """ISO text of ``day`` cut to ``precision`` (``2023``, ``2023-09``, ``2023-09-01``)."""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def range_for(day: dt.date, precision: str) -> tuple[dt.date, dt.date]:
    """Return the interval a date denotes at a precision.

    Examples
    --------
    >>> range_for(dt.date(2023, 2, 14), "month")
    (datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))
    >>> range_for(dt.date(2023, 10, 11), "week")
    (datetime.date(2023, 10, 9), datetime.date(2023, 10, 15))
    """
    if precision == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if precision == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return day, day


@lru_cache(maxsize=64)
def _date_parser(published: dt.date | None) -> Any:
    """Build a dateparser parser anchored at the publication date (English, past preferred)."""
    from dateparser.date import DateDataParser

    settings: dict[str, Any] = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if published is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(published, dt.time())
    return DateDataParser(languages=["en"], settings=settings)


def _rewrite_relative_year(expr: str, published: dt.date) -> str:
    """Spell out "of this/last year" and drop "earlier/later" so dateparser reads it."""
    expr = re.sub(r"\s+of\s+this\s+year", f" {published.year}", expr, flags=re.I)
    expr = re.sub(r"\s+of\s+last\s+year", f" {published.year - 1}", expr, flags=re.I)
    return re.sub(r"^(?:earlier|later)\s+", "", expr, flags=re.I)


def normalise_date(
    expr: str, published: dt.date | None, *, since: bool = False
) -> DateRange | None:
    """Turn one date expression into a ``DateRange`` relative to the publication date.

    Expressions without an explicit year need ``published``; without it they give ``None``.

    Examples
    --------
    >>> normalise_date("Sept. 1 of this year", dt.date(2023, 10, 12)).iso
    '2023-09-01'
    >>> normalise_date("last month", dt.date(2023, 10, 12)).iso
    '2023-09'
    >>> normalise_date("2002", dt.date(2023, 10, 12), since=True).iso
    '2002/2023-10-12'
    >>> normalise_date("Wednesday", None) is None
    True
    """
    has_year = re.search(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)", expr) is not None
    if published is None and not has_year:
        return None
    text = _rewrite_relative_year(expr, published) if published else expr
    data = _date_parser(published).get_date_data(text)
    if data.date_obj is None:
        return None
    precision = data.period if data.period in TIME_PRECISIONS else "day"
    day = data.date_obj.date()
    if published is not None and _weekday(expr) == published.weekday():
        day = published  # "Tuesday" in a Tuesday article is that day, not a week before
    if published is not None and day > published and not has_year:
        day = day.replace(year=day.year - 1)
    start, end = range_for(day, precision)
    if since and published is not None:
        end = max(published, end)
    return DateRange(start, end, precision, expr, since)


def _weekday(expr: str) -> int | None:
    """Index (Monday 0) of a bare weekday expression, else ``None``."""
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    word = expr.strip().lower()
    return names.index(word) if word in names else None


def find_dates(text: str, published: dt.date | None) -> list[tuple[int, DateRange]]:
    """Every date expression in ``text`` with its offset, normalised against ``published``.

    Examples
    --------
    >>> [(i, d.iso) for i, d in find_dates("In September 2022, X attacked.", dt.date(2023, 10, 12))]
    [(0, '2022-09')]
    >>> find_dates("No date here.", None)
    []
    """
    found = []
    for match in DATE_PATTERN.finditer(text):
        prep = (match.group("prep") or "").lower()
        if _bare_month(match, text) or _speech_date(match, text):
            continue
        date = normalise_date(match.group("expr"), published, since=prep == "since")
        if date is not None:
            found.append((match.start(), replace(date, text=match.group(0))))
    return found


def _bare_month(match: re.Match[str], text: str) -> bool:
    """Tell a bare month name without preposition ("may", unlike "in May")."""
    if not re.fullmatch(_MONTH, match.group("expr"), re.IGNORECASE) or match.group("prep"):
        return False
    before = re.findall(r"\w+", text[max(0, match.start() - 12) : match.start()].lower())
    return not before or before[-1] not in {"early", "late", "mid", "last", "this", "of", "through"}


def _speech_date(match: re.Match[str], text: str) -> bool:
    """Tell a date that dates a statement, not an event ("said Wednesday", "Oct. 3 call")."""
    before = re.findall(r"\w+", text[max(0, match.start() - 25) : match.start()].lower())[-2:]
    after = re.findall(r"\w+", text[match.end() : match.end() + 30].lower())[:2]
    return any(w in SPEECH_VERBS for w in before) or any(w in SPEECH_NOUNS for w in after)


def _hypothetical(text: str, start: int) -> bool:
    """Whether a modal verb stands within the two words before ``start``."""
    before = re.findall(r"[\w’']+", text[max(0, start - 40) : start].lower())[-2:]
    return any(word in MODALS for word in before)


def find_events(text: str) -> list[tuple[str, str, int]]:
    """Event triggers in a sentence as ``(event_type, trigger, offset)``, hypotheticals skipped.

    Examples
    --------
    >>> find_events("Azerbaijan launched an assault across the border.")
    [('attack', 'assault', 23)]
    >>> find_events("Azerbaijan could soon invade Armenia.")
    []
    """
    found = []
    for event_type, pattern in EVENT_LEXICON.items():
        for match in re.finditer(rf"\b(?:{pattern})\b", text, re.IGNORECASE):
            if not _hypothetical(text, match.start()):
                found.append((event_type, match.group(0), match.start()))
    return sorted(found, key=lambda item: item[2])


def find_figures(text: str) -> tuple[str, ...]:
    """Quantities a sentence reports ("more than 100,000", "three", "tens of thousands").

    Examples
    --------
    >>> find_figures("more than 100,000 Armenians fled; three servicemen were killed")
    ('more than 100,000', 'three')
    >>> find_figures("In 2020 the war ended.")
    ()
    """
    return tuple(m.group(0) for m in _FIGURE.finditer(text))


def _pick_date(dates: list[tuple[int, DateRange]], offset: int) -> DateRange | None:
    """Pick the date expression nearest to the trigger; the more precise one on a tie."""
    if not dates:
        return None
    rank = {p: i for i, p in enumerate(TIME_PRECISIONS)}
    return min(dates, key=lambda d: (abs(d[0] - offset), rank.get(d[1].precision, 9)))[1]


def place_geo_precision(
    place_id: str, places: Mapping[str, Place], geometries: Mapping[str, Any]
) -> int:
    """ACLED-style precision of a place: from its geometry, then the place, then its kind."""
    resolved = geometries.get(place_id)
    level = getattr(resolved, "geo_precision", None)
    place = places.get(place_id)
    if level is None and place is not None:
        level = place.geo_precision or KIND_GEO_PRECISION.get(place.kind)
    return int(level or 3)


def _sentence_places(
    text: str,
    span: tuple[int, int],
    mentions: Sequence[Mention],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    roles: tuple[str, ...] = ("locative",),
) -> tuple[tuple[str, ...], int | None]:
    """Places of the mentions inside ``span`` with one of ``roles``, and the coarsest level."""
    ids: list[str] = []
    levels: list[int] = []
    for m in mentions:
        if not (span[0] <= m.start < span[1]) or m.role not in roles or m.place_id is None:
            continue
        if places.get(m.place_id) is not None and places[m.place_id].kind == "incident":
            continue
        level = place_geo_precision(m.place_id, places, geometries)
        if level == 1 and NEAR_CUES.search(text[max(0, m.start - 30) : m.start]):
            level = 2
        if m.place_id not in ids:
            ids.append(m.place_id)
        levels.append(level)
    return tuple(ids), (max(levels) if levels else None)


def default_sentences(article: Article) -> list[tuple[int, int]]:
    """Sentence spans of the article (``geo.articles.sentences``, paragraph by paragraph)."""
    from geo.articles import sentences

    return sentences(article)


def find_reports(
    article: Article,
    mentions: Sequence[Mention],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    *,
    sentences: Iterable[tuple[int, int]],
    include_boilerplate: bool = False,
) -> list[Report]:
    """Event reports of one article: one per (sentence, event type, date) with a trigger.

    Each trigger takes the date expression nearest to it, so "clashes in 2022 or the
    offensive in September 2023" gives two reports.

    Places are the sentence's locative mentions; a sentence without any borrows those of the
    previous sentence when no line break separates them (``places_from="previous sentence"``),
    else falls back to the places named as actors ("Azerbaijan launched an incursion into its
    territory": ``places_from="actors"``, always region level 3).
    """
    reports: list[Report] = []
    own = [m for m in mentions if m.article == article.id]
    previous: tuple[tuple[str, ...], int | None] = ((), None)
    previous_end = -1
    for start, end in sentences:
        in_body = article.in_body(start, end)
        text = article.text[start:end]
        found = _sentence_places(article.text, (start, end), own, places, geometries)
        if not found[0] and previous[0] and "\n" not in article.text[previous_end:start]:
            ids, level, origin = previous[0], previous[1], "previous sentence"
        elif not found[0]:
            actors = _sentence_places(
                article.text, (start, end), own, places, geometries, ("metonymic", "attributive")
            )
            ids, level, origin = actors[0], (3 if actors[0] else None), "actors"
        else:
            ids, level, origin = found[0], found[1], "sentence"
        if found[0]:
            previous, previous_end = found, end
        if not in_body and not include_boilerplate:
            continue
        dates = find_dates(text, article.published)
        seen: set[tuple[str, str | None]] = set()
        for event_type, trigger, offset in find_events(text):
            date = _pick_date(dates, offset)
            key = (event_type, date.iso if date else None)
            if key in seen:
                continue
            seen.add(key)
            reports.append(
                Report(
                    article=article.id,
                    sentence_start=start,
                    sentence_end=end,
                    text=text,
                    event_type=event_type,
                    trigger=trigger,
                    trigger_start=start + offset,
                    date=date,
                    places=ids,
                    geo_precision=level,
                    figures=find_figures(text),
                    published=article.published,
                    in_body=in_body,
                    places_from=origin,
                )
            )
    return reports


class PlaceRelation:
    """Whether two places overlap: the same id, or one contains the other's representative point."""

    def __init__(self, geometries: Mapping[str, Any]) -> None:
        self._geometries = geometries

    def _shape(self, place_id: str) -> Any:
        return getattr(self._geometries.get(place_id), "geometry", None)

    @lru_cache(maxsize=4096)  # noqa: B019 - the relation lives as long as one extraction
    def overlap(self, a: str, b: str) -> bool:
        """Tell whether a and b are the same place, or one lies inside the other."""
        if a == b:
            return True
        ga, gb = self._shape(a), self._shape(b)
        if ga is None or gb is None or ga.is_empty or gb.is_empty:
            return False
        return bool(
            (ga.geom_type.endswith("Polygon") and ga.contains(gb.representative_point()))
            or (gb.geom_type.endswith("Polygon") and gb.contains(ga.representative_point()))
        )

    def any_overlap(self, left: Iterable[str], right: Iterable[str]) -> bool:
        """Whether any place of ``left`` overlaps any place of ``right``."""
        right = tuple(right)
        return any(self.overlap(a, b) for a in left for b in right)


def _dates_compatible(a: DateRange | None, b: DateRange | None, published: dt.date | None) -> bool:
    """Tell dates that may denote the same event.

    An unknown date fits a known one when the article appeared during it or within
    ``UNDATED_WINDOW_DAYS`` after it (news reports recent events), or has no publication date.
    """
    if a is None or b is None:
        known = a or b
        if known is None or published is None:
            return True
        window = dt.timedelta(days=UNDATED_WINDOW_DAYS)
        return known.start <= published <= known.end + window
    tolerance = max(DATE_TOLERANCE.get(a.precision, 0), DATE_TOLERANCE.get(b.precision, 0))
    return a.overlaps(b, tolerance)


def _incident_date(reports: Sequence[Report]) -> DateRange | None:
    """Return the narrowest date all reports allow, or the most precise one when they disagree."""
    dates = [replace(r.date, since=False) for r in reports if r.date is not None]
    if not dates:
        return None
    rank = {p: i for i, p in enumerate(TIME_PRECISIONS)}
    dates.sort(key=lambda d: (rank.get(d.precision, 9), d.end - d.start))
    start, end = max(d.start for d in dates), min(d.end for d in dates)
    if start > end:
        return dates[0]
    exact = [d for d in dates if (d.start, d.end) == (start, end)]
    return exact[0] if exact else DateRange(start, end, dates[0].precision, dates[0].text)


def find_disagreements(
    reports: Sequence[Report], relation: PlaceRelation, date: DateRange | None = None
) -> tuple[dict[str, Any], ...]:
    """List what the reports of one incident disagree on: dates, places, figures.

    A date disagrees when two reports' intervals (or a report and the curated ``date``) do not
    meet; places disagree when two reports name places that do not overlap; figures disagree
    when reports give different non-empty figures.
    """
    found: list[dict[str, Any]] = []
    dated = [r for r in reports if r.date is not None]
    anchors = [date] if date is not None else [r.date for r in dated]
    if any(not r.date.overlaps(a) for r in dated for a in anchors if a is not None):  # type: ignore[union-attr]
        found.append(_disagreement("date", reports, lambda r: r.date.iso if r.date else None))
    placed = [r for r in reports if r.places]
    if any(not relation.any_overlap(a.places, b.places) for a in placed for b in placed):
        found.append(_disagreement("places", reports, lambda r: list(r.places)))
    figures = {r.figures for r in reports if r.figures}
    if len(figures) > 1:
        found.append(_disagreement("figures", reports, lambda r: list(r.figures)))
    return tuple(found)


def _disagreement(
    name: str, reports: Sequence[Report], value: Callable[[Report], Any]
) -> dict[str, Any]:
    """One disagreement record: the field and what each report says."""
    return {
        "field": name,
        "reports": [
            {"article": r.article, "sentence_start": r.sentence_start, "value": value(r)}
            for r in reports
        ],
    }


def merge_reports(reports: Sequence[Report], relation: PlaceRelation) -> list[list[Report]]:
    """Group reports of the same event: same type, overlapping places, compatible dates.

    Reports are placed most precise first. Reports without a place or a date stay alone
    (nothing ties them to one event; they may still describe a curated incident).
    """
    rank = {p: i for i, p in enumerate(TIME_PRECISIONS)}
    order = sorted(
        reports,
        key=lambda r: (r.date is None, rank.get(r.date.precision, 9) if r.date else 9, r.article),
    )
    groups: list[list[Report]] = []
    for report in order:
        for group in groups:
            if _fits(report, group, relation):
                group.append(report)
                break
        else:
            groups.append([report])
    return groups


def _fits(report: Report, group: Sequence[Report], relation: PlaceRelation) -> bool:
    """Whether ``report`` may join ``group``."""
    head = group[0]
    if report.event_type != head.event_type or not report.places or report.date is None:
        return False
    if not any(relation.any_overlap(report.places, r.places) for r in group):
        return False
    return all(_dates_compatible(report.date, r.date, report.published) for r in group)


def _slug(text: str) -> str:
    """Make a lowercase id fragment of ``text``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def build_incident(
    group: Sequence[Report], relation: PlaceRelation, places: Mapping[str, Place]
) -> Incident:
    """One extracted incident from a group of reports of the same event."""
    date = _incident_date(group)
    ids: list[str] = []
    for report in group:
        ids.extend(p for p in report.places if p not in ids)
    levels = [r.geo_precision for r in group if r.geo_precision is not None]
    where = (
        places[ids[0]].name if ids and ids[0] in places else (ids[0] if ids else "unknown place")
    )
    when = date.iso if date else "undated"
    return Incident(
        id=f"{_slug(group[0].event_type)}_{_slug(when)}_{_slug(ids[0] if ids else 'nowhere')}",
        name=f"{group[0].event_type.capitalize()}, {where}, {when}",
        event_type=group[0].event_type,
        date=date,
        places=tuple(ids),
        geo_precision=max(levels) if levels else None,
        reports=tuple(group),
        disagreements=find_disagreements(group, relation),
    )


def event_type_of(place: Place) -> str:
    """Event type of a curated incident, read from its name, aliases and description.

    Examples
    --------
    >>> event_type_of(Place("x", "Lachin corridor blockade", "incident"))
    'blockade'
    >>> event_type_of(Place("y", "Something happened", "incident"))
    'other'
    """
    text = " ".join([place.name, *place.aliases, place.description or ""])
    found = find_events(text)
    if not found:
        return "other"
    # the first trigger in the name wins; else the first in the description
    return found[0][0]


def curated_incident(
    place: Place, geometries: Mapping[str, Any], places: Mapping[str, Place]
) -> Incident:
    """Build an ``Incident`` from a gazetteer entry of kind ``incident``."""
    date = None
    if place.date is not None:
        precision = place.date_precision or "day"
        start, end = range_for(place.date, precision)
        date = DateRange(start, end, precision, place.date.isoformat())
    level = place.geo_precision or getattr(geometries.get(place.id), "geo_precision", None)
    if level is None and place.places:
        level = max(place_geo_precision(p, places, geometries) for p in place.places)
    return Incident(
        id=place.id,
        name=place.name,
        event_type=event_type_of(place),
        date=date,
        places=tuple(place.places),
        geo_precision=level,
        curated=True,
        description=place.description,
        sources=tuple(place.sources),
    )


def _links(
    incident: Incident, report: Report, relation: PlaceRelation, places: Mapping[str, Place]
) -> bool:
    """Whether a report describes a curated incident (type, place and date compatible).

    An undated report must name a place below country level that overlaps the incident's
    (a country contains nearly every event; alone it says too little).
    """
    if report.event_type != incident.event_type or not report.places:
        return False
    where = report.places
    if report.date is None and report.published is None:
        return False  # nothing ties it to a time: only an explicit source can link it
    if report.date is None:
        where = tuple(p for p in where if p not in places or places[p].kind != "country")
    if incident.places and not relation.any_overlap(where, incident.places):
        return False
    return _dates_compatible(report.date, incident.date, report.published)


def _normalised(text: str) -> tuple[str, list[int]]:
    """Text with quotes unified, whitespace collapsed and lowercased, plus each char's offset."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        ch = {"“": '"', "”": '"', "’": "'", "‘": "'", "«": '"', "»": '"'}.get(ch, ch)
        out.append(ch.lower())
        where.append(i)
    return "".join(out), where


def quote_offset(text: str, quote: str) -> int | None:
    """Offset in ``text`` where ``quote`` starts, ignoring case, quote style and spacing.

    Examples
    --------
    >>> quote_offset("He said “no”,  twice.", 'said "No", twice')
    3
    >>> quote_offset("abc", "") is None
    True
    """
    needle = _normalised(quote.strip())[0].strip('"').strip()
    if not needle:
        return None
    haystack, where = _normalised(text)
    found = haystack.find(needle)
    return where[found] if found >= 0 else None


def _pinned(
    incident: Incident, reports: Sequence[Report], articles: Mapping[str, Article]
) -> tuple[list[Report], set[str]]:
    """Find the reports in the sentences explicit ``sources`` quote, and the articles named.

    A source's ``note`` that occurs in its article picks the sentence holding it (a report of
    the incident's type there, else any report there); without a findable note the article
    is still named, and the automatic rules pick its reports.
    """
    pinned: list[Report] = []
    named: set[str] = set()
    for source in incident.sources:
        article = articles.get(str(source.get("article")))
        if article is None:
            continue
        offset = quote_offset(article.text, str(source.get("note") or ""))
        if offset is None:
            continue
        named.add(article.id)
        here = [
            r
            for r in reports
            if r.article == article.id and r.sentence_start <= offset < r.sentence_end
        ]
        same = [r for r in here if r.event_type == incident.event_type]
        pinned.extend(r for r in (same or here) if r not in pinned)
    return pinned, named


def link_reports(
    incident: Incident,
    reports: Sequence[Report],
    relation: PlaceRelation,
    places: Mapping[str, Place] | None = None,
    articles: Mapping[str, Article] | None = None,
) -> Incident:
    """Attach to a curated incident the reports that describe it.

    Explicit ``sources`` whose ``note`` quotes the article override the automatic rules: the
    quoted sentences are linked whatever their type, place or date say (a disagreement is
    then recorded). Every other report is matched automatically: same event type,
    overlapping places, compatible dates (an undated report needs a place below country
    level and a publication date within ``UNDATED_WINDOW_DAYS`` of the incident).
    """
    pinned, _ = _pinned(incident, reports, articles or {})
    automatic = [r for r in reports if _links(incident, r, relation, places or {})]
    linked = pinned + [r for r in automatic if r not in pinned]
    return replace(
        incident,
        reports=tuple(linked),
        disagreements=find_disagreements(linked, relation, incident.date),
    )


def extract_incidents(
    articles: Mapping[str, Article],
    mentions: Sequence[Mention],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    *,
    sentences: Callable[[Article], Iterable[tuple[int, int]]] | None = None,
    include_boilerplate: bool = False,
) -> tuple[Incident, ...]:
    """Curated incidents with their reports, then the extracted ones no curated entry claims.

    Extracted incidents need a place and a date: an undated report only joins a dated group
    or a curated incident (an event with no time cannot be placed on a timeline).

    Parameters
    ----------
    articles, mentions
        The corpus: articles by id, and the mentions found in them.
    places, geometries
        Gazetteer places by id (incidents have ``kind == "incident"``) and resolved geometries
        (objects with ``geometry`` and ``geo_precision``).
    sentences
        Sentence splitter returning ``(start, end)`` spans (default: ``geo.articles.sentences``).
    include_boilerplate
        Also read sentences outside the article body.

    Examples
    --------
    >>> extract_incidents({}, [], {}, {})
    ()
    """
    split = sentences or default_sentences
    relation = PlaceRelation(geometries)
    reports: list[Report] = []
    for article in articles.values():
        reports.extend(
            find_reports(
                article,
                mentions,
                places,
                geometries,
                sentences=split(article),
                include_boilerplate=include_boilerplate,
            )
        )
    curated = [
        link_reports(curated_incident(p, geometries, places), reports, relation, places, articles)
        for p in places.values()
        if p.kind == "incident"
    ]
    claimed = {id(r) for incident in curated for r in incident.reports}
    free = [r for r in reports if id(r) not in claimed and r.places]
    groups = merge_reports(free, relation)
    extracted = [build_incident(g, relation, places) for g in groups if _incident_date(g)]
    return tuple(curated) + tuple(_unique_ids(extracted, {i.id for i in curated}))


def _unique_ids(incidents: Iterable[Incident], taken: set[str]) -> list[Incident]:
    """Suffix ``_2``, ``_3``... to ids already taken."""
    out = []
    for incident in incidents:
        new, n = incident.id, 1
        while new in taken:
            n += 1
            new = f"{incident.id}_{n}"
        taken.add(new)
        out.append(replace(incident, id=new))
    return out
