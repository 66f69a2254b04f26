"""Incidents: curated entries plus event reports found in sentences, dated and merged."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import ahocorasick

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

#: A line break: places carry over from the previous sentence only within a line.
_LINE_BREAK = re.compile(r"[\r\n]")

#: Literal pieces of the event words, one inside every match of ``EVENT_LEXICON`` (case
#: folded; tests check generated matches): a cheap gate before the lexicon's regexes.
EVENT_STEMS = (
    *("attack", "assault", "offensive", "invasion", "invad", "incursion", "shell", "bombard"),
    *("strike", "striking", "clash", "fighting", "war", "hostilities", "aggression"),
    *("operation", "campaign", "killed", "killing", "massacre", "casualties", "deaths"),
    *("blockade", "checkpoint", "blocked", "refugee", "displace", "flee", "fled", "flight"),
    *("exodus", "forced", "evacuat", "talks", "negotiation", "summit", "met"),
)


@lru_cache(maxsize=1)
def _event_stems() -> Any:
    automaton = ahocorasick.Automaton()
    for stem in EVENT_STEMS:
        automaton.add_word(stem, stem)
    automaton.make_automaton()
    return automaton


def has_event_word(text: str) -> bool:
    """Whether ``text`` may hold an event trigger (false means :func:`find_events` finds none).

    Examples
    --------
    >>> has_event_word("Troops ATTACKED the village"), has_event_word("A quiet town.")
    (True, False)
    >>> has_event_word("KİLLED"), has_event_word("kılled")  # as re.IGNORECASE reads them
    (True, True)
    """
    folded = text.casefold()
    if "ı" in folded or "i̇" in folded:  # dotless ı and dotted İ: "i" to an IGNORECASE regex
        folded = folded.replace("i̇", "i").replace("ı", "i")
    return next(_event_stems().iter(folded), None) is not None


#: Words that make a trigger hypothetical ("could invade", "may soon attack"): no report.
MODALS = (
    "could",
    "may",
    "might",
    "would",
    "will",
    "shall",
    "threatens",
    "threatened",
    # an event that has not happened: "avoid a future war", "a possible offensive"
    "future",
    "possible",
    "potential",
    "avoid",
    "prevent",
)

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

#: A trigger right after one of these verbs (in the same clause) names an event that is being
#: recognised, commemorated or acknowledged: the sentence reports the recognition, not the
#: event, and its date is the recognition's ("the U.S. recognized the killings in April 2021").
RECOGNITION = re.compile(
    r"\b(?:recogni[sz](?:e|es|ed|ing)|acknowledg(?:e|es|ed|ing)|commemorat(?:e|es|ed|ing)"
    r"|memoriali[sz](?:e|es|ed|ing)|remember(?:s|ed|ing)?|mourn(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)

#: "war on terror", "war on drugs": a policy or campaign called a war, not fighting.
METAPHORIC_WAR = re.compile(
    r"\s+(?:on|against)\s+(?:(?:international|global|the)\s+)?"
    r"(?:terror(?:ism)?|drugs|crime|poverty|corruption|disinformation|cancer|inflation|want)\b",
    re.IGNORECASE,
)

#: Clause boundaries inside a sentence (a comma inside a number such as 100,000 is not one).
CLAUSE_BREAK = re.compile(r"[,;:()\[\]](?!\d)|\s[–—-]\s|—")

#: Words that may stand beside a date in a clause that says nothing else ("More recently, on
#: Sept. 1 of this year, ..."): such a clause only dates the rest of the sentence.
DATE_FILLERS = frozenset(
    re.findall(
        r"\w+",
        "more most recently recent early late earlier later then also and but however only "
        "just even since back as of the on in at during by until from around about",
    )
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
#: What every date match starts with: a necessary condition tried first at each position, so
#: most positions fail on it at once instead of trying every alternative of ``_DATE_CORE``
#: (the matches are the same; scanning is about twice as fast).
_DATE_START = (
    r"(?=\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|earlier|later|last|this|past|one|two|three|four|five|six|seven|eight|nine|ten|several"
    r"|a\s|yesterday|today|\b(?:on|in|since|from|until|by|during)\s)"
)
DATE_PATTERN = re.compile(
    rf"{_DATE_START}(?:\b(?P<prep>on|in|since|from|until|by|during)\s+)?"
    rf"(?P<expr>{_DATE_CORE})(?!\w)",
    re.IGNORECASE,
)
#: What every sentence holding a date match contains (a digit, a month name, a day, week,
#: month or year word): a sentence without it is not scanned with ``DATE_PATTERN`` at all.
_DATE_HINT = re.compile(rf"\d|{_MONTH}(?!\w)|(?:day|week|month|year)s?(?!\w)", re.IGNORECASE)
#: Nouns for people that a small casualty or displacement figure counts.
_PEOPLE_NOUN = (
    r"(?:people|persons|civilians|soldiers|servicemen|troops|fighters|militants|police(?:men)?"
    r"|officers|residents|inhabitants|villagers|citizens|refugees|migrants|evacuees|families"
    r"|children|women|men|hostages|prisoners|detainees|deaths|dead|killed|wounded|injured)"
)
#: A capitalised plural people noun ("Georgians", "Azerbaijanis", "Lebanese", "Kurds", "Shiites").
_DEMONYM = r"(?-i:[A-Z][a-z]+(?:ans|is|ese|ish|ites|[dk]s))"
_FIGURE = re.compile(
    # a necessary condition on the first characters, tried first (see ``_DATE_START``)
    r"(?=\d|more|over|at\s|nearly|almost|about|around|some|up\s|tens|hundreds|dozens|two"
    r"|three|four|five|six|seven|eight|nine|ten|a\s)(?:"
    r"(?:(?:more\s+than|over|at\s+least|nearly|almost|about|around|some|up\s+to)\s+)?"
    r"(?<![$\d.])\d{1,3}(?:,\d{3})+(?!\d)|(?:tens|hundreds|dozens)\s+of\s+thousands"
    r"|(?:(?:more\s+than|over|at\s+least|nearly|almost|about|around|some)\s+)?"
    r"(?<![$\d.])(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a\s+dozen|dozens)"
    rf"(?=\s+(?:\w+\s+)?(?:{_PEOPLE_NOUN}|{_DEMONYM})\b))",
    re.IGNORECASE,
)


#: What a figure counts, by the words around it; figures compare only within one class.
FIGURE_CLASSES = {
    "killed": r"killed|dead|deaths?|died|casualties|killings|lives|bodies|fatalities",
    "wounded": r"wounded|injured|injuries",
    "displaced": (
        r"fled|flee|fleeing|refugees|displaced|displacement|evacuated|evacuees|exodus"
        r"|forced\s+to\s+leave|left\s+their\s+homes|leave\s+their\s+homes"
    ),
    "detained": r"detained|detainees|hostages|prisoners|arrested|captured|captives",
}
_CLASS_WORDS = re.compile(
    "|".join(rf"(?P<{name}>\b(?:{pattern})\b)" for name, pattern in FIGURE_CLASSES.items()),
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
    #: What each of ``figures`` counts (``figure_class``): "killed", "displaced", a noun...
    figure_classes: tuple[str, ...] = ()
    #: Whether the sentence states a date that is not this report's (another clause's): an
    #: undated report there is about another time, not recent news.
    dated_elsewhere: bool = False

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
            "figure_classes": list(self.figure_classes),
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
    """ISO text of ``day`` cut to ``precision`` (``2023``, ``2023-09``, ``2023-09-01``).

    A week is written as its first day (see ``range_for``).
    """
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
    >>> range_for(dt.date(2023, 9, 24), "week")
    (datetime.date(2023, 9, 24), datetime.date(2023, 9, 30))

    A week-precision date denotes the seven days *starting on* it: a curated
    ``date: 2023-09-24, date_precision: week`` is 24-30 September, so the stated date is both
    the incident's ``date`` and the first day of its range. A week named in text ("last
    week") is a calendar week: ``normalise_date`` dates it by its Monday.
    """
    if precision == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if precision == "week":
        return day, day + dt.timedelta(days=6)
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
    return _normalise_cached(expr, published, since)


@lru_cache(maxsize=8192)
def _normalise_cached(expr: str, published: dt.date | None, since: bool) -> DateRange | None:
    """``normalise_date`` once per expression and publication date (dateparser is slow).

    The same expressions recur across the sentences of an article and across articles of a
    day ("last week", "2020", "Tuesday"); the result is a frozen value, safe to share.
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
    if precision == "week":  # a week named in text is a calendar week, dated by its Monday
        day -= dt.timedelta(days=day.weekday())
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
    found: list[tuple[int, DateRange]] = []
    if not _DATE_HINT.search(text):
        return found
    for match in DATE_PATTERN.finditer(text):
        prep = (match.group("prep") or "").lower()
        if _bare_month(match, text) or _speech_date(match, text) or _name_date(match, text):
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


def _name_date(match: re.Match[str], text: str) -> bool:
    """Tell a year that belongs to a name, not to an event.

    "the 1992 Freedom Support Act" (a bare year without preposition right before a capitalised
    word) and "the Freedom Support Act of 1992" (``of`` + year right after a capitalised word)
    date the act, not anything the sentence reports.

    Examples
    --------
    >>> [d.iso for _, d in find_dates("Section 907 of the 1992 Freedom Support Act", None)]
    []
    >>> [d.iso for _, d in find_dates("the Freedom Support Act of 1992", None)]
    []
    >>> [d.iso for _, d in find_dates("In 2020 Azerbaijan attacked.", None)]
    ['2020']
    """
    if not re.fullmatch(_YEAR, match.group("expr")):
        return False
    if not match.group("prep") and re.match(r"\s+[A-Z][a-z]", text[match.end() :]):
        return True
    return bool(re.search(r"\b[A-Z][\w-]*\s+of\s+$", text[: match.start()]))


def _speech_date(match: re.Match[str], text: str) -> bool:
    """Tell a date that dates a statement, not an event ("said Wednesday", "Oct. 3 call")."""
    before = re.findall(r"\w+", text[max(0, match.start() - 25) : match.start()].lower())[-2:]
    after = re.findall(r"\w+", text[match.end() : match.end() + 30].lower())[:2]
    return any(w in SPEECH_VERBS for w in before) or any(w in SPEECH_NOUNS for w in after)


def _hypothetical(text: str, start: int) -> bool:
    """Whether a modal verb stands within the two words before ``start``."""
    before = re.findall(r"[\w’']+", text[max(0, start - 40) : start].lower())[-2:]
    return any(word in MODALS for word in before)


def find_events(text: str, *, skip_names: bool = True) -> list[tuple[str, str, int]]:
    """Event triggers in a sentence as ``(event_type, trigger, offset)``.

    Skipped: hypotheticals ("could invade"); events that are recognised or commemorated
    rather than reported ("recognize the mass killings"); metaphoric wars ("war on
    terrorism"); and, with ``skip_names``, triggers inside proper names ("World War I",
    "the First Nagorno-Karabakh War"): a capitalised trigger that does not open the
    sentence, unless the whole sentence is in title case (a headline).

    Examples
    --------
    >>> find_events("Azerbaijan launched an assault across the border.")
    [('attack', 'assault', 23)]
    >>> find_events("Azerbaijan could soon invade Armenia.")
    []
    >>> find_events("Killed during World War I, he was remembered.")
    [('killing', 'Killed', 0)]
    >>> find_events("Bush's global war on terrorism")
    []
    """
    found: list[tuple[str, str, int]] = []
    if not has_event_word(text):
        return found
    headline: bool | None = None  # measured when a capitalised trigger needs it
    for event_type, pattern in EVENT_LEXICON.items():
        for match in _word_pattern(pattern).finditer(text):
            start, word = match.start(), match.group(0)
            if (
                _hypothetical(text, start)
                or _recognised(text, start)
                or (word.lower() == "war" and METAPHORIC_WAR.match(text, match.end()))
            ):
                continue
            if skip_names and _in_name(text, start, word):
                headline = _title_case(text) if headline is None else headline
                if not headline:
                    continue
            found.append((event_type, word, start))
    return sorted(found, key=lambda item: item[2])


@lru_cache(maxsize=64)
def _word_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` as whole words, ignoring case (once per pattern)."""
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


def _title_case(text: str) -> bool:
    """Whether most words of ``text`` are capitalised (a headline: capitals say nothing)."""
    words = re.findall(r"[^\W\d_][\w’'-]*", text)
    if len(words) < 3:
        return False
    return sum(w[0].isupper() for w in words) / len(words) > 0.6


def _in_name(text: str, start: int, word: str) -> bool:
    """Whether a capitalised trigger stands inside a name rather than opening the sentence."""
    if not word[:1].isupper() or word.isupper():
        return False
    return bool(text[:start].strip(" \t\n\"'“”‘’([«"))


def _recognised(text: str, start: int) -> bool:
    """Whether a recognition verb stands in the same clause, at most six words before."""
    clause = CLAUSE_BREAK.split(text[:start])[-1]
    words = re.findall(r"[\w’']+", clause)[-6:]
    return any(RECOGNITION.fullmatch(w) for w in words)


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


def clause_spans(text: str, keep: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Split a sentence into clauses at ``, ; : ( ) —``, never inside the spans in ``keep``.

    Examples
    --------
    >>> text = "In 2020, a war erupted, resulting in 6,000 deaths"
    >>> [text[s:e] for s, e in clause_spans(text)]
    ['In 2020', ' a war erupted', ' resulting in 6,000 deaths']
    """
    spans, start = [], 0
    for match in CLAUSE_BREAK.finditer(text):
        if any(s <= match.start() < e for s, e in keep):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _date_only(clause: str, date_text: str) -> bool:
    """Whether a clause holds nothing but a date expression and filler words."""
    rest = clause.replace(date_text, " ", 1)
    return all(w.lower() in DATE_FILLERS for w in re.findall(r"[\w’']+", rest))


def figure_class(text: str, start: int, end: int) -> str:
    """Tell what the figure at ``text[start:end]`` counts: a class of ``FIGURE_CLASSES`` or a noun.

    The first class word after the figure in its clause decides ("three servicemen were
    killed"), else one just before it ("the displacement of tens of thousands"), else the
    noun that follows it ("around 2,000 peacekeepers" counts ``peacekeepers``).

    Examples
    --------
    >>> text = "more than 6,000 deaths and the displacement of tens of thousands of people"
    >>> [figure_class(text, m.start(), m.end()) for m in _FIGURE.finditer(text)]
    ['killed', 'displaced']
    >>> figure_class("around 2,000 peacekeepers helped end the war", 0, 12)
    'peacekeepers'
    """
    after = CLAUSE_BREAK.split(text[end:])[0]
    after = _FIGURE.split(after)[0]
    before = CLAUSE_BREAK.split(text[:start])[-1]
    for window in (after, " ".join(before.split()[-3:])):
        found = _CLASS_WORDS.search(window)
        if found:
            return str(found.lastgroup)
    noun = re.search(r"[^\W\d_][\w-]*", after)
    return noun.group(0).lower() if noun else "unknown"


def find_counted_figures(text: str) -> tuple[tuple[str, str], ...]:
    """Figures of a sentence with what they count (see ``figure_class``).

    Examples
    --------
    >>> find_counted_figures("three Armenian servicemen were killed")
    (('three', 'killed'),)
    >>> find_counted_figures("")
    ()
    """
    return tuple(
        (m.group(0), figure_class(text, m.start(), m.end())) for m in _FIGURE.finditer(text)
    )


def _pick_date(
    dates: list[tuple[int, DateRange]], offset: int, text: str | None = None
) -> DateRange | None:
    """Pick the date of the trigger at ``offset``; the more precise one on a tie.

    With the sentence ``text``, a date must be in the trigger's own clause, or stand alone in
    a clause of its own ("In September 2022, Azerbaijan launched...", "a war against Ukraine,
    another former Soviet republic, in February of last year"): a date inside another clause
    dates what that clause says ("..., Congress approved a waiver in 2002").
    """
    if not dates:
        return None
    rank = {p: i for i, p in enumerate(TIME_PRECISIONS)}
    if text is not None:
        keep = [(at, at + len(d.text)) for at, d in dates]
        clauses = clause_spans(text, keep)

        def clause_of(at: int) -> tuple[int, int]:
            return next((c for c in clauses if c[0] <= at < c[1] or at == c[1]), clauses[-1])

        own = clause_of(offset)
        same = [d for d in dates if clause_of(d[0]) == own]
        loose = [d for d in dates if _date_only(text[slice(*clause_of(d[0]))], d[1].text)]
        dates = same or loose
        if not dates:
            return None
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
    roles: tuple[str, ...] = ("locative",),
    starts: Sequence[int] | None = None,
) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """Places of the mentions inside ``span`` with one of ``roles``, and what grades them.

    ``starts``, when given, are the mentions' start offsets in order (the mentions sorted by
    start), so only the mentions inside the span are read.

    The second value lists ``(place id, near cue)`` once per distinct pair: a settlement
    after "near", "outside", "north of"... is an area near a town (see :func:`grade_level`).
    """
    ids: list[str] = []
    levels: list[tuple[str, bool]] = []
    if starts is not None:  # mentions sorted by start: only those inside the span
        mentions = mentions[bisect_left(starts, span[0]) : bisect_left(starts, span[1])]
    for m in mentions:
        if not (span[0] <= m.start < span[1]) or m.role not in roles or m.place_id is None:
            continue
        if places.get(m.place_id) is not None and places[m.place_id].kind == "incident":
            continue
        near = NEAR_CUES.search(text[max(0, m.start - 30) : m.start]) is not None
        if m.place_id not in ids:
            ids.append(m.place_id)
        if (m.place_id, near) not in levels:
            levels.append((m.place_id, near))
    return tuple(ids), tuple(levels)


def grade_level(
    levels: Iterable[tuple[str, bool]] | None,
    ids: Sequence[str],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
) -> int | None:
    """ACLED-style precision of a report placed at ``ids``: the coarsest of its places.

    ``levels`` are the ``(place id, near cue)`` pairs of :func:`_sentence_places`: a town
    (level 1) after a near cue counts as level 2. ``None`` means the places are the
    sentence's actors, always level 3.

    Examples
    --------
    >>> goris = {"goris": Place("goris", "Goris", "settlement")}
    >>> grade_level([("goris", True)], ["goris"], goris, {})
    2
    >>> grade_level(None, ["armenia"], {}, {}), grade_level((), [], {}, {})
    (3, None)
    """
    if levels is None:
        return 3 if ids else None
    found = None
    for place_id, near in levels:
        level = place_geo_precision(place_id, places, geometries)
        if level == 1 and near:
            level = 2
        found = level if found is None else max(found, level)
    return found


def default_sentences(article: Article) -> list[tuple[int, int]]:
    """Sentence spans of the article (``geo.articles.sentences``, paragraph by paragraph)."""
    from geo.articles import sentences

    return sentences(article)


def report_sentences(article: Article) -> list[tuple[int, int]]:
    r"""Sentence spans of the paragraphs that hold an event word: all that can make a report.

    :func:`draft_reports` gives the same drafts over these as over every sentence (a sentence
    without a trigger reports nothing, and places carry over only within a line), and
    paragraphs without an event word are never segmented.

    Examples
    --------
    >>> a = Article("a", "a.txt", "Goris is a town. It is quiet.\nTroops attacked. Then left.")
    >>> [a.text[s:e] for s, e in report_sentences(a)]
    ['Troops attacked.', 'Then left.']
    """
    from geo.articles import sentences

    return sentences(article, only=has_event_word)


@dataclass(frozen=True)
class DraftReport:
    """A report as one article alone decides it, before the gazetteer's geometries grade it.

    Everything but ``geo_precision`` (and the fields the article gives: ``article``,
    ``text``, ``published``): computed once per article content (at index time, see
    ``geo.index``) and turned into a ``Report`` by :func:`grade_reports` with the current
    places and geometries. ``levels`` is what :func:`grade_level` reads.
    """

    sentence_start: int
    sentence_end: int
    event_type: str
    trigger: str
    trigger_start: int
    date: DateRange | None
    places: tuple[str, ...]
    levels: tuple[tuple[str, bool], ...] | None
    figures: tuple[str, ...]
    figure_classes: tuple[str, ...]
    in_body: bool
    places_from: str
    dated_elsewhere: bool


@lru_cache(maxsize=4096)
def sentence_events(
    text: str, published: dt.date | None
) -> tuple[tuple[str, str, int, DateRange | None, bool], ...]:
    """Events a sentence reports: ``(event_type, trigger, offset, date, dated_elsewhere)``.

    One per (event type, date): each trigger takes the date expression nearest to it in its
    clause. Dates are looked for only in sentences with a trigger.

    Examples
    --------
    >>> sentence_events("On 5 May 2021 troops attacked.", None)[0][:3]
    ('attack', 'attacked', 21)
    >>> sentence_events("Nothing happened.", None)
    ()
    """
    events = find_events(text)
    if not events:
        return ()
    dates = find_dates(text, published)
    found = []
    seen: set[tuple[str, str | None]] = set()
    for event_type, trigger, offset in events:
        date = _pick_date(dates, offset, text)
        key = (event_type, date.iso if date else None)
        if key in seen:
            continue
        seen.add(key)
        found.append((event_type, trigger, offset, date, date is None and bool(dates)))
    return tuple(found)


def draft_reports(
    article: Article,
    mentions: Sequence[Mention],
    places: Mapping[str, Place],
    *,
    sentences: Iterable[tuple[int, int]],
) -> list[DraftReport]:
    """Event reports of one article, every sentence (boilerplate too), not graded yet.

    What :func:`find_reports` returns, as :class:`DraftReport` records: only ``mentions`` of
    this article are read, and of ``places`` only which ones are incidents (never a place of
    a report). See :func:`find_reports` for the rules.
    """
    drafts: list[DraftReport] = []
    own = sorted((m for m in mentions if m.article == article.id), key=lambda m: m.start)
    starts = [m.start for m in own]
    text = article.text
    previous: tuple[tuple[str, ...], tuple[tuple[str, bool], ...]] = ((), ())
    previous_end = -1
    for start, end in sentences:
        found = _sentence_places(text, (start, end), own, places, starts=starts)
        levels: tuple[tuple[str, bool], ...] | None
        if not found[0] and previous[0] and not _LINE_BREAK.search(text, previous_end, start):
            ids, levels, origin = previous[0], previous[1], "previous sentence"
        elif not found[0]:
            actors = _sentence_places(
                text, (start, end), own, places, ("metonymic", "attributive"), starts
            )
            ids, levels, origin = actors[0], None, "actors"
        else:
            ids, levels, origin = found[0], found[1], "sentence"
        if found[0]:
            previous, previous_end = found, end
        events = sentence_events(text[start:end], article.published)
        if not events:
            continue
        counted = find_counted_figures(text[start:end])
        in_body = article.in_body(start, end)
        for event_type, trigger, offset, date, elsewhere in events:
            drafts.append(
                DraftReport(
                    sentence_start=start,
                    sentence_end=end,
                    event_type=event_type,
                    trigger=trigger,
                    trigger_start=start + offset,
                    date=date,
                    places=ids,
                    levels=levels,
                    figures=tuple(f for f, _ in counted),
                    figure_classes=tuple(c for _, c in counted),
                    in_body=in_body,
                    places_from=origin,
                    dated_elsewhere=elsewhere,
                )
            )
    return drafts


def encode_drafts(drafts: Iterable[DraftReport]) -> str:
    """JSON text of an article's drafts, as the mention index stores them.

    Examples
    --------
    >>> encode_drafts([])
    '[]'
    >>> drafts = [DraftReport(0, 9, "attack", "attack", 3, None, ("a",), None, (), (), True,
    ...     "actors", False)]
    >>> decode_drafts(encode_drafts(drafts)) == drafts
    True
    """
    rows = [
        [
            d.sentence_start,
            d.sentence_end,
            d.event_type,
            d.trigger,
            d.trigger_start,
            None if d.date is None else _encode_date(d.date),
            d.places,
            d.levels,
            d.figures,
            d.figure_classes,
            d.in_body,
            d.places_from,
            d.dated_elsewhere,
        ]
        for d in drafts
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _encode_date(date: DateRange) -> list[Any]:
    return [date.start.isoformat(), date.end.isoformat(), date.precision, date.text, date.since]


def decode_drafts(data: str) -> list[DraftReport]:
    """Drafts back from :func:`encode_drafts` (raises ``ValueError`` on foreign text)."""
    return [DraftReport(*row) for row in _draft_rows(data)]


def _draft_rows(data: str) -> Iterator[tuple[Any, ...]]:
    """Yield the fields of each draft stored by :func:`encode_drafts`, in ``DraftReport`` order."""
    dates: dict[tuple[Any, ...], DateRange] = {}
    for row in json.loads(data):
        (start, end, kind, trigger, at, date, ids, levels, figures, classes, body, how, other) = row
        if date is not None:
            key = tuple(date)
            if key not in dates:
                first, last, precision, text, since = date
                dates[key] = DateRange(
                    dt.date.fromisoformat(first),
                    dt.date.fromisoformat(last),
                    precision,
                    text,
                    since,
                )
            date = dates[key]
        yield (
            start,
            end,
            kind,
            trigger,
            at,
            date,
            tuple(ids),
            None if levels is None else tuple(map(tuple, levels)),
            tuple(figures),
            tuple(classes),
            body,
            how,
            other,
        )


def stored_reports(
    article: Article,
    data: str,
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    *,
    include_boilerplate: bool = False,
) -> list[Report]:
    """``grade_reports`` of ``decode_drafts(data)``, without building the drafts.

    What a reader of the index calls once per article (raises ``ValueError`` on foreign
    text).

    Examples
    --------
    >>> article = Article("a", "a.txt", "Troops attacked.", body=((0, 16),))
    >>> drafts = [DraftReport(0, 16, "attack", "attacked", 7, None, (), None, (), (), True,
    ...     "actors", False)]
    >>> stored_reports(article, encode_drafts(drafts), {}, {}) == grade_reports(
    ...     article, drafts, {}, {})
    True
    """
    reports = []
    for row in _draft_rows(data):
        start, end, kind, trigger, at, date, ids, levels, figures, classes, body, how, other = row
        if not body and not include_boilerplate:
            continue
        reports.append(
            Report(
                article.id,
                start,
                end,
                article.text[start:end],
                kind,
                trigger,
                at,
                date,
                ids,
                grade_level(levels, ids, places, geometries),
                figures,
                article.published,
                body,
                how,
                classes,
                other,
            )
        )
    return reports


def grade_reports(
    article: Article,
    drafts: Iterable[DraftReport],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    *,
    include_boilerplate: bool = False,
) -> list[Report]:
    """Turn an article's drafts into ``Report`` records graded with the current geometries.

    Drafts outside the article body are dropped unless ``include_boilerplate``.
    """
    reports = []
    for d in drafts:
        if not d.in_body and not include_boilerplate:
            continue
        reports.append(
            Report(
                article=article.id,
                sentence_start=d.sentence_start,
                sentence_end=d.sentence_end,
                text=article.text[d.sentence_start : d.sentence_end],
                event_type=d.event_type,
                trigger=d.trigger,
                trigger_start=d.trigger_start,
                date=d.date,
                places=d.places,
                geo_precision=grade_level(d.levels, d.places, places, geometries),
                figures=d.figures,
                published=article.published,
                in_body=d.in_body,
                places_from=d.places_from,
                figure_classes=d.figure_classes,
                dated_elsewhere=d.dated_elsewhere,
            )
        )
    return reports


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
    drafts = draft_reports(article, mentions, places, sentences=sentences)
    return grade_reports(
        article, drafts, places, geometries, include_boilerplate=include_boilerplate
    )


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


def _class_figures(report: Report, name: str) -> tuple[str, ...]:
    """Return the figures of ``report`` that count ``name``."""
    classes = report.figure_classes or ("unknown",) * len(report.figures)
    return tuple(f for f, c in zip(report.figures, classes, strict=False) if c == name)


def find_disagreements(
    reports: Sequence[Report], relation: PlaceRelation, date: DateRange | None = None
) -> tuple[dict[str, Any], ...]:
    """List what the reports of one incident disagree on: dates, places, figures.

    A date disagrees when two reports' intervals (or a report and the curated ``date``) do not
    meet; places disagree when two reports name places that do not overlap; figures disagree
    when two reports give different figures for the same thing (``figure_class``: deaths are
    not compared with peacekeepers). Each record lists only the reports that state a value
    (never an empty one); a curated ``date`` is given as ``curated``.
    """
    found: list[dict[str, Any]] = []
    dated = [r for r in reports if r.date is not None]
    if _dates_disagree([r.date for r in dated if r.date is not None], date):
        record = _disagreement("date", dated, lambda r: r.date.iso if r.date else None)
        if date is not None:
            record["curated"] = date.iso
        found.append(record)
    placed = [r for r in reports if r.places]
    if _places_disagree([r.places for r in placed], relation):
        found.append(_disagreement("places", placed, lambda r: list(r.places)))
    classes = dict.fromkeys(c for r in reports for c in r.figure_classes or ("unknown",))
    for name in classes:
        stating = [r for r in reports if _class_figures(r, name)]
        if len({_class_figures(r, name) for r in stating}) > 1:
            record = _disagreement("figures", stating, lambda r: list(_class_figures(r, name)))  # noqa: B023
            record["counts"] = name
            found.append(record)
    return tuple(found)


def _dates_disagree(dates: Sequence[DateRange], curated: DateRange | None) -> bool:
    """Whether some date misses the curated one, or (without it) two dates do not meet.

    Intervals on a line meet pairwise exactly when the latest start is not after the
    earliest end, so no pair needs comparing.

    Examples
    --------
    >>> june, july = (DateRange(dt.date(2023, m, 1), dt.date(2023, m, 28), "month") for m in (6, 7))
    >>> _dates_disagree([june, june], None), _dates_disagree([june, july], None)
    (False, True)
    >>> _dates_disagree([june], july), _dates_disagree([], july)
    (True, False)
    """
    if curated is not None:
        return any(not d.overlaps(curated) for d in dates)
    return bool(dates) and max(d.start for d in dates) > min(d.end for d in dates)


def _places_disagree(place_sets: Sequence[tuple[str, ...]], relation: PlaceRelation) -> bool:
    """Whether two of the (non-empty) place sets have no overlapping places.

    Each distinct set is compared once with each other one (a set always overlaps itself).
    """
    distinct = list(dict.fromkeys(place_sets))
    return any(
        not relation.any_overlap(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1 :]
    )


def _disagreement(
    name: str, reports: Sequence[Report], value: Callable[[Report], Any]
) -> dict[str, Any]:
    """One disagreement record: the field and what each report stating a value says."""
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
    by_type: dict[str, list[_Group]] = defaultdict(list)  # the same groups, by head's type
    for report in order:
        if report.places and report.date is not None:  # else it fits no group (``_fits``)
            candidates = by_type[report.event_type]
            found = next((g for g in candidates if g.fits(report, relation)), None)
            if found is not None:
                found.add(report)
                continue
        groups.append([report])
        by_type[report.event_type].append(_Group(groups[-1]))
    return groups


class _Group:
    """A group of ``merge_reports`` with its distinct place sets and dates.

    ``fits`` decides exactly as :func:`_fits` (the reports of a group share the head's event
    type) but compares each distinct place set and date once, not every report.
    """

    def __init__(self, members: list[Report]) -> None:
        self.members = members
        self.places: dict[tuple[str, ...], None] = {}
        self.dates: dict[Any, DateRange | None] = {}
        for report in members:
            self._note(report)

    def _note(self, report: Report) -> None:
        self.places[report.places] = None
        date = report.date
        self.dates[None if date is None else (date.start, date.end, date.precision)] = date

    def add(self, report: Report) -> None:
        """Append ``report`` to the group."""
        self.members.append(report)
        self._note(report)

    def fits(self, report: Report, relation: PlaceRelation) -> bool:
        """Whether ``report`` (of the group's event type, placed, dated) may join."""
        if not any(relation.any_overlap(report.places, p) for p in self.places):
            return False
        return all(_dates_compatible(report.date, d, report.published) for d in self.dates.values())


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
    found = find_events(text, skip_names=False)  # a curated name is a name of the event
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
    if report.date is None and (report.published is None or report.dated_elsewhere):
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


def _source_report(
    incident: Incident,
    article: Article,
    offset: int,
    note: str,
    sentences: Callable[[Article], Iterable[tuple[int, int]]] | None,
) -> Report | None:
    """Make a report from an explicit source's quote when its sentence has no trigger.

    "as Azerbaijan initiated the Second Nagorno-Karabakh War" names the war (no trigger: a
    name) but the analyst says it reports the incident: the quoted sentence becomes a report
    of the incident's type, undated and placed at the incident's places.
    """
    spans = list((sentences or default_sentences)(article))
    start, end = next(((s, e) for s, e in spans if s <= offset < e), (offset, offset))
    if end <= start:
        return None
    length = len(_normalised(note.strip())[0].strip('"').strip())
    return Report(
        article=article.id,
        sentence_start=start,
        sentence_end=end,
        text=article.text[start:end],
        event_type=incident.event_type,
        trigger=article.text[offset : min(end, offset + length)],
        trigger_start=offset,
        date=None,
        places=incident.places,
        geo_precision=incident.geo_precision,
        published=article.published,
        in_body=article.in_body(start, end),
        places_from="source",
    )


def _pinned(
    incident: Incident,
    reports: Sequence[Report],
    articles: Mapping[str, Article],
    sentences: Callable[[Article], Iterable[tuple[int, int]]] | None = None,
) -> tuple[list[Report], set[str]]:
    """Find the reports in the sentences explicit ``sources`` quote, and the articles named.

    A source's ``note`` that occurs in its article picks the sentence holding it (a report of
    the incident's type there, else any report there, else a report made from the quoted
    sentence itself, ``places_from="source"``); without a findable note the article is still
    named, and the automatic rules pick its reports.
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
        if not here and sentences is not None:
            made = _source_report(incident, article, offset, str(source.get("note")), sentences)
            here = [made] if made is not None else []
        pinned.extend(r for r in (same or here) if r not in pinned)
    return pinned, named


def link_reports(
    incident: Incident,
    reports: Sequence[Report],
    relation: PlaceRelation,
    places: Mapping[str, Place] | None = None,
    articles: Mapping[str, Article] | None = None,
    sentences: Callable[[Article], Iterable[tuple[int, int]]] | None = None,
) -> Incident:
    """Attach to a curated incident the reports that describe it.

    Explicit ``sources`` whose ``note`` quotes the article override the automatic rules: the
    quoted sentences are linked whatever their type, place or date say (a disagreement is
    then recorded). Every other report is matched automatically: same event type,
    overlapping places, compatible dates (an undated report needs a place below country
    level and a publication date within ``UNDATED_WINDOW_DAYS`` of the incident).
    """
    pinned, _ = _pinned(incident, reports, articles or {}, sentences)
    kind = incident.event_type  # checked inline first: most reports are of another type
    automatic = [
        r for r in reports if r.event_type == kind and _links(incident, r, relation, places or {})
    ]
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
    by_article = group_mentions(mentions)
    reports: list[Report] = []
    for article in articles.values():
        reports.extend(
            find_reports(
                article,
                by_article.get(article.id, ()),
                places,
                geometries,
                sentences=(sentences or report_sentences)(article),
                include_boilerplate=include_boilerplate,
            )
        )
    return incidents_from_reports(reports, articles, places, geometries, sentences=split)


def group_mentions(mentions: Iterable[Mention]) -> dict[str, list[Mention]]:
    """Mentions by article id, each article's in their order (one pass over the corpus).

    Examples
    --------
    >>> group_mentions([])
    {}
    """
    grouped: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        grouped[mention.article].append(mention)
    return dict(grouped)


def incidents_from_reports(
    reports: Sequence[Report],
    articles: Mapping[str, Article],
    places: Mapping[str, Place],
    geometries: Mapping[str, Any],
    *,
    sentences: Callable[[Article], Iterable[tuple[int, int]]] | None = None,
) -> tuple[Incident, ...]:
    """Link and merge reports into incidents: the corpus-level half of ``extract_incidents``.

    ``reports`` are every article's reports in article order (:func:`find_reports`, or
    :func:`grade_reports` of stored drafts); curated incidents link theirs, the others merge.

    Examples
    --------
    >>> incidents_from_reports([], {}, {}, {})
    ()
    """
    split = sentences or default_sentences
    relation = PlaceRelation(geometries)
    curated = [
        link_reports(
            curated_incident(p, geometries, places), reports, relation, places, articles, split
        )
        for p in places.values()
        if p.kind == "incident"
    ]
    curated = absorb_sentence_mates(curated, reports, relation)
    claimed = {id(r) for incident in curated for r in incident.reports}
    free = [r for r in reports if id(r) not in claimed and r.places]
    groups = merge_reports(free, relation)
    extracted = [build_incident(g, relation, places) for g in groups if _incident_date(g)]
    return tuple(curated) + tuple(_unique_ids(extracted, {i.id for i in curated}))


def absorb_sentence_mates(
    curated: Sequence[Incident], reports: Sequence[Report], relation: PlaceRelation
) -> list[Incident]:
    """Give each curated incident the other reports of the sentences it is linked to.

    A sentence that reports a curated incident describes that one event, whatever other
    triggers it holds: "three servicemen were killed after Azerbaijan launched 'retaliatory
    measures' in response to an alleged drone attack" is the killing, not a second attack,
    and "a war erupted, resulting in more than 6,000 deaths and the displacement of tens of
    thousands" is the war. A report joins when its date is compatible with the incident's
    (an undated one always joins); a report of another date (the "clashes in 2022" beside
    "the offensive in September 2023") stays free. Each report joins at most one incident,
    the first in ``curated`` of its own event type, else the first.
    """
    claimed = {id(r) for incident in curated for r in incident.reports}
    sentences: dict[tuple[str, int], list[int]] = defaultdict(list)
    for n, incident in enumerate(curated):
        for r in incident.reports:
            sentences[(r.article, r.sentence_start)].append(n)
    extra: dict[int, list[Report]] = defaultdict(list)
    for report in reports:
        owners = sentences.get((report.article, report.sentence_start), [])
        if id(report) in claimed or not owners:
            continue
        fitting = [
            n
            for n in owners
            if report.date is None
            or curated[n].date is None
            or _dates_compatible(report.date, curated[n].date, report.published)
        ]
        if fitting:
            same = [n for n in fitting if curated[n].event_type == report.event_type]
            extra[(same or fitting)[0]].append(report)
    out = list(curated)
    for n, joined in extra.items():
        linked = [*out[n].reports, *joined]
        out[n] = replace(
            out[n],
            reports=tuple(linked),
            disagreements=find_disagreements(linked, relation, out[n].date),
        )
    return out


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
