"""Read article files: decoding, metadata, body vs page boilerplate, and lazy sentence spans."""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import ahocorasick
import syntok.segmenter
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from syntok._segmentation_states import State

from geo import settings
from geo.errors import ArticleError, PathError, Problem
from geo.models import Article

#: Largest article file read (bytes). A scraped news page is rarely above 1 MB; 50 MB leaves
#: room for long reports while refusing disk images, logs and other files given by mistake.
MAX_ARTICLE_BYTES = 50 * 1024 * 1024

#: File name suffixes read as articles when a folder is given.
ARTICLE_SUFFIXES = (".txt", ".md")

#: The metadata sidecar of a folder of articles (``seeds/index.yaml``).
SIDECAR_NAME = "index.yaml"

#: Keys allowed in a sidecar entry or in Markdown front matter.
METADATA_KEYS = (
    "title",
    "outlet",
    "url",
    "published",
    "published_how",
    "language",
    "confidence",
    "notes",
)

Span = tuple[int, int]
ParagraphClass = Literal["good", "near", "short", "bad"]

# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


def _line_of(data: bytes | str, index: int) -> int:
    """1-based line number of position ``index`` in ``data``."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, index) + 1  # type: ignore[arg-type]


def decode_article(data: bytes, path: str) -> tuple[str, str]:
    r"""Decode article bytes; return ``(text, encoding)`` or raise ``ArticleError``.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark are read as
    they are; other bytes are tried as Windows-1252, the usual encoding of text saved by older
    Windows tools (the caller reports that as a problem). Line endings are kept as they are,
    so offsets point into the text exactly as decoded.

    Examples
    --------
    >>> decode_article("Yerevan\r\n".encode(), "a.txt")
    ('Yerevan\r\n', 'utf-8')
    >>> decode_article("café".encode("cp1252"), "a.txt")
    ('café', 'cp1252')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _check_text(_decode_strict(data, "utf-16", path), path), "utf-16"
    if not data.strip():
        what = "the file is empty" if not data else "the file holds only whitespace"
        raise ArticleError([Problem(path, 1, what, "article text", "is this the right file?")])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ArticleError([_binary_problem(path, _line_of(data, nul), f"NUL byte at byte {nul}")])
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        text = _decode_strict(data, encoding, path)
    return _check_text(text, path), encoding


def _decode_strict(data: bytes, encoding: str, path: str) -> str:
    """Decode or raise an ``ArticleError`` naming the line of the first undecodable byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        byte = data[exc.start : exc.start + 1].hex()
        raise ArticleError(
            [
                Problem(
                    path,
                    line,
                    f"byte 0x{byte} at byte {exc.start} is neither UTF-8 nor {encoding}",
                    "a UTF-8 text file",
                    "re-save the article as UTF-8 (e.g. iconv -f ENCODING -t UTF-8)",
                )
            ]
        ) from None


def _binary_problem(path: str, line: int, detail: str) -> Problem:
    return Problem(
        path,
        line,
        f"binary data, not text ({detail})",
        "a plain-text article (.txt) or Markdown (.md)",
        "export the article as plain text (a PDF, Word file or image cannot be read)",
    )


def _check_text(text: str, path: str) -> str:
    """Reject decoded text that is blank or mostly control characters."""
    if not text.strip():
        raise ArticleError([Problem(path, 1, "the file holds only whitespace", "article text")])
    sample = text[:100_000]
    controls = _CONTROL.findall(sample)
    if len(controls) > max(8, len(sample) // 100):
        line = _line_of(sample, _CONTROL.search(sample).start())  # type: ignore[union-attr]
        raise ArticleError([_binary_problem(path, line, f"{len(controls)} control characters")])
    return text


#: Unicode category Cc (C0 and C1 controls) except the whitespace controls \t \n \v \f \r.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


# --------------------------------------------------------------------------------------------
# Paragraphs and boilerplate
# --------------------------------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]+")
_BLANK_LINE = re.compile(r"(?:\r\n|\r|\n)[ \t\f\v\xa0\u200b]*(?=\r\n|\r|\n|$)")


def strip_span(text: str, start: int, end: int) -> Span:
    r"""Shrink ``[start, end)`` so it neither starts nor ends with whitespace.

    Examples
    --------
    >>> strip_span("  Baku \xa0", 0, 8)
    (2, 6)
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def line_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    r"""Spans of the non-blank lines of ``text[start:end]``, whitespace stripped.

    Examples
    --------
    >>> line_spans("Title\r\n\r\n  Body.\n")
    [(0, 5), (11, 16)]
    """
    end = len(text) if end is None else end
    spans = (strip_span(text, m.start(), m.end()) for m in _LINE.finditer(text, start, end))
    return [(s, e) for s, e in spans if s < e]


def block_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    r"""Spans of blank-line separated blocks (Markdown paragraphs), whitespace stripped.

    Examples
    --------
    >>> block_spans("One\ntwo.\n\nThree.")
    [(0, 8), (10, 16)]
    """
    end = len(text) if end is None else end
    spans, cursor = [], start
    for m in _BLANK_LINE.finditer(text, start, end):
        spans.append(strip_span(text, cursor, m.start()))
        cursor = m.end()
    spans.append(strip_span(text, cursor, end))
    return [(s, e) for s, e in spans if s < e]


# Phrases of page chrome, matched on lower-cased text (a leading \b lets the regex engine skip
# quickly: 10x faster on long pages). A strong phrase marks a short paragraph as boilerplate on
# its own; weak phrases (site self-promotion, appeals) need two hits.
_STRONG = re.compile(
    r"\b(?:follow us|on social media|subscribe\b|newsletter|sign up\b|please enter your|"
    r"your email|email address|leave a (?:comment|reply)|keep reading|show (?:less|more)|"
    r"read more|source link|click here|all rights reserved|copyright|privacy policy|"
    r"cookie|terms of (?:use|service)|photo credit|log ?in\b|sign in\b|share this|"
    r"advertisement|you (?:may|might) also like|recommended for you)|©"
)
_WEAK = re.compile(
    r"\b(?:our readers|our (?:website|site|mission|journalists|coverage)\b|we aim to\b|"
    r"journalism|donat(?:e|ion)|tax-exempt|support (?:us|our)\b|contributions? to\b|"
    r"page views|supporters|partner content\b|sponsored)"
)
#: Literal pieces, one of which every match of a phrase pattern holds (lower-case): a paragraph
#: holding none of a pattern's pieces is not searched with it. One Aho-Corasick pass over a
#: paragraph finds them all, several times faster than the patterns' searches, which then run
#: on the few paragraphs that hold a piece (checked by a test against the patterns themselves).
_PHRASE_PIECES = {
    "strong": (
        "follow us", "on social media", "subscribe", "newsletter", "sign up", "please enter your",
        "your email", "email address", "leave a ", "keep reading", "show less", "show more",
        "read more", "source link", "click here", "all rights reserved", "copyright",
        "privacy policy", "cookie", "terms of ", "photo credit", "login", "log in", "sign in",
        "share this", "advertisement", " also like", "recommended for you", "©",
    ),
    "weak": (
        "our readers", "our website", "our site", "our mission", "our journalists",
        "our coverage", "we aim to", "journalism", "donate", "donation", "tax-exempt",
        "support us", "support our", "contribution", "page views", "supporters",
        "partner content", "sponsored",
    ),
    # _CAPTION's first branch; its second needs "(" and one of the "caption source" pieces
    "caption": ("photo", "image", "picture", "video", "shutterstock"),
    "caption source": ("shutterstock", "getty images", "ap photo", "afp", "reuters", "epa"),
}  # fmt: skip


@functools.lru_cache(maxsize=1)
def _phrase_automaton() -> Any:
    """Aho-Corasick automaton of ``_PHRASE_PIECES``: piece → the kinds that list it."""
    automaton = ahocorasick.Automaton()
    kinds: dict[str, tuple[str, ...]] = {}
    for kind, pieces in _PHRASE_PIECES.items():
        for piece in pieces:
            kinds[piece] = (*kinds.get(piece, ()), kind)
    for piece, of in kinds.items():
        automaton.add_word(piece, of)
    automaton.make_automaton()
    return automaton


def _phrase_kinds(low: str) -> set[str]:
    """Kinds of ``_PHRASE_PIECES`` found in a lower-cased paragraph."""
    found: set[str] = set()
    for _, kinds in _phrase_automaton().iter(low):
        found.update(kinds)
    return found


# Whole short lines that are section furniture ("Comments", "More articles", "Latest").
_FURNITURE = re.compile(
    r"(?:\d+\s+)?comments?|related(?: articles| stories| posts| news)?|"
    r"more (?:articles|stories|news)(?: from .*)?|latest(?: articles?| news| stories)?|"
    r"must read|trending(?: now)?|most (?:read|popular)|tags?:.*|categories|share|"
    r"advertisement|sponsored|newsletter|subscribe(?: now)?|print|email",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"\b(?:(?:photo|image|picture|video)(?: credit)?s?\s*:|photo by\b|via shutterstock)|"
    r"\((?:[^()]*/)?\s*(?:shutterstock|getty images|ap photo|afp|reuters|epa)\b[^()]*\)"
)
_WEATHER = re.compile(r"-?\d+(?:[.,]\d+)?\s*°?\s*[CF]", re.IGNORECASE)
_IMAGE_NAME = re.compile(r"\S*(?:\.(?:jpe?g|png|gif|webp|svg|avif)|[_-]scaled|\d{5,}\S*)")
_DATE_WORDS = re.compile(
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|"
    r"apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|"
    r"dec(?:ember)?|updated|published|posted|last|on|at|am|pm|a\.m\.|p\.m\.|gmt|utc|[ecmp][sd]t|"
    r"\d{1,4}(?:st|nd|rd|th)?|\d{1,2}:\d{2}(?::\d{2})?|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
    re.IGNORECASE,
)
_MONTH_OR_DAY = re.compile(
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
    r"dec|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
    re.IGNORECASE,
)
# A sentence end: . ! ? … possibly followed by closing quotes or brackets, then space or end.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?:\s|$)")


def is_date_line(line: str) -> bool:
    """Whether a line is only a date/time stamp ("Monday, July 15, 2024", "Updated: May 15").

    Examples
    --------
    >>> is_date_line("Updated: May 15 at 1:30 p.m.")
    True
    >>> is_date_line("May 15 was a quiet day in Yerevan.")
    False
    """
    if len(line) > 60:
        return False
    tokens = [t for t in re.split(r"[\s,|·•]+", line.strip()) if t]
    words = [t.rstrip(":;") for t in tokens]
    return (
        bool(words)
        and all(_DATE_WORDS.fullmatch(w) for w in words)
        and any(_MONTH_OR_DAY.match(w) for w in words)
    )


def is_page_chrome(line: str) -> bool:
    """Whether one line is page chrome: weather, a date stamp, an image file name, site furniture.

    Examples
    --------
    >>> [is_page_chrome(x) for x in ("30.1 C", "Follow us on social", "Shutterstock_4535-scaled")]
    [True, True, True]
    >>> is_page_chrome("Blinken warned lawmakers Azerbaijan may invade Armenia")
    False
    """
    return _page_chrome(line.strip())


def _page_chrome(
    line: str, *, strong_phrase: bool | None = None, caption: bool | None = None
) -> bool:
    """Return ``is_page_chrome`` of a stripped line.

    ``strong_phrase``: whether ``_STRONG`` is known to find a phrase in it (``None``: search);
    ``caption``: ``False`` when ``_CAPTION`` is known to find nothing (``None``: search).
    """
    low = line.lower()
    if strong_phrase is None:
        strong_phrase = bool(len(line) < 200 and _STRONG.search(low))
    return bool(
        _WEATHER.fullmatch(line)
        or is_date_line(line)
        or (" " not in line and _IMAGE_NAME.fullmatch(line))
        or _FURNITURE.fullmatch(line.rstrip(":!"))
        or (caption is not False and _CAPTION.search(low))
        or (len(line) < 200 and strong_phrase)
    )


def classify_paragraph(paragraph: str) -> ParagraphClass:
    """Class of one paragraph: ``good`` prose, ``near`` (short prose), ``short`` or ``bad``.

    ``bad`` is page chrome (see `is_page_chrome`) or an appeal/self-promotion paragraph (two
    or more boilerplate phrases); ``short`` is a line without sentence punctuation or of fewer
    than four words (labels, bylines, captions, teaser headlines).

    Examples
    --------
    >>> classify_paragraph("Comments")
    'bad'
    >>> classify_paragraph("Analysis | Europe")
    'short'
    >>> classify_paragraph("Baku has proposed a route to the Nakhichevan exclave.")
    'good'
    """
    text = paragraph.strip()
    low = text.lower()
    kinds = _phrase_kinds(low)
    strong = len(_STRONG.findall(low)) if "strong" in kinds else 0
    if strong or ("weak" in kinds and len(_WEAK.findall(low)) >= 2):
        return "bad"  # two hits or more (a strong phrase counts twice)
    caption = "caption" in kinds or ("caption source" in kinds and "(" in low)
    if _page_chrome(text, strong_phrase=False, caption=caption):
        return "bad"
    words = len(text.split())
    if words < 4 or not _SENTENCE_END.search(text + " "):
        return "short"
    return "good" if words >= 8 and len(text) >= 50 else "near"


# Lower-case words that read as the verb of a sentence: auxiliaries and frequent irregular
# verbs of news prose; regular forms are caught by their endings (see `reads_as_prose`).
# fmt: off
_VERB_WORDS = frozenset({
    "is", "are", "was", "were", "be", "been", "am", "has", "have", "had", "do", "did",
    "will", "would", "shall", "should", "can", "could", "may", "might", "must",
    "said", "say", "told", "made", "took", "got", "went", "came", "hit", "left", "met",
    "held", "saw", "gave", "fell", "kept", "set", "put", "shot", "struck", "ran", "began",
    "won", "lost", "sent", "fled", "spoke", "broke", "rose", "led", "fought", "knew",
    "thought", "found", "felt", "stood", "remain", "stay", "continue",
})
# fmt: on
_VERB_ENDING = re.compile(r"[a-z]{2,}(?:ed|ing)|[a-z]{2,}[^su]s")
_PROSE_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")


def reads_as_prose(paragraph: str) -> bool:
    """Whether a paragraph, however short, reads as a sentence of the story.

    It must end with sentence punctuation, start with a capital, digit or quote, hold at least
    three words of which one lower-case word looks like a verb (an auxiliary, a frequent
    irregular verb, or an ``-ed``/``-ing``/``-s`` form), and hold no boilerplate phrase and no
    page chrome. Used for short opening and closing paragraphs and for briefs.

    Examples
    --------
    >>> [reads_as_prose(x) for x in ("Kapan was also hit.", "Goris shelled overnight.")]
    [True, True]
    >>> [reads_as_prose(x) for x in ("Latest news.", "Subscribe to our newsletter.", "Home")]
    [False, False, False]
    """
    return _reads_as_prose(paragraph.strip(), vetted=False)


def _reads_as_prose(text: str, *, vetted: bool) -> bool:
    """Return ``reads_as_prose`` of a stripped paragraph.

    ``vetted``: ``classify_paragraph`` did not find it ``bad``, so it holds no strong
    boilerplate phrase and is no page chrome.
    """
    if text.rstrip("\"'”’)]")[-1:] not in ".!?…":
        return False
    first = text.lstrip("\"'“‘([")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    words = _PROSE_WORD.findall(text)
    low = text.lower()
    return (
        len(words) >= 3
        and any(w in _VERB_WORDS or _VERB_ENDING.fullmatch(w) for w in words if w.islower())
        and (vetted or not _STRONG.search(low))
        and not _WEAK.search(low)
        and (vetted or not _page_chrome(text))
    )


class _Prose:
    """Whether each paragraph reads as prose (``reads_as_prose`` of the ones not ``bad``).

    Computed when first asked: the body walk asks about a few paragraphs only.
    """

    def __init__(self, text: str, paragraphs: list[Span], classes: list[ParagraphClass]):
        self._text, self._paragraphs, self._classes = text, paragraphs, classes
        self._known: dict[int, bool] = {}

    def __getitem__(self, index: int) -> bool:
        if index not in self._known:
            start, end = self._paragraphs[index]
            self._known[index] = self._classes[index] != "bad" and _reads_as_prose(
                self._text[start:end].strip(), vetted=True
            )
        return self._known[index]


def _paragraph_index(paragraphs: list[Span], span: Span | None) -> int | None:
    """Index of the paragraph holding ``span`` (``None`` when no paragraph holds it)."""
    if span is None:
        return None
    for index, (start, end) in enumerate(paragraphs):
        if start <= span[0] and span[1] <= end:
            return index
    return None


def _extend_over_prose(
    chosen: set[int], block: list[int], prose: _Prose, stop: int | None
) -> set[int]:
    """Add the prose paragraphs of ``block`` adjacent to ``chosen`` on either side.

    Walks outward from the first and the last chosen paragraph while paragraphs read as prose;
    the walk back stops at the headline paragraph ``stop``.
    """
    if not chosen:
        return chosen
    out = set(chosen)
    position = {index: rank for rank, index in enumerate(block)}
    rank = position[min(chosen)] - 1
    while rank >= 0 and prose[block[rank]] and block[rank] != stop:
        out.add(block[rank])
        rank -= 1
    rank = position[max(chosen)] + 1
    while rank < len(block) and prose[block[rank]]:
        out.add(block[rank])
        rank += 1
    return out


def detect_body(
    text: str, paragraphs: list[Span], title_span: Span | None = None
) -> tuple[Span, ...]:
    r"""Spans of article content among ``paragraphs``, like jusText on plain text.

    Each paragraph is classified (`classify_paragraph`); ``bad`` paragraphs cut the page into
    blocks, and the block with the most ``good`` prose is the article. Its ``good``
    paragraphs, the ``near`` ones between them, and the short paragraphs that read as prose
    (`reads_as_prose`) next to them are the body; labels, captions and headlines of other
    stories (``short``) are left out. A page without ``good`` prose (a brief) keeps the prose
    paragraphs that follow its headline or, without a headline, its longest run of prose
    paragraphs. The title span is part of the body.

    Examples
    --------
    >>> page = "Follow us\nA long first paragraph of the story, told in words.\nComments"
    >>> [page[s:e] for s, e in detect_body(page, line_spans(page))]
    ['A long first paragraph of the story, told in words.']
    >>> brief = "Goris shelled\nTroops shelled Goris overnight.\nKapan was also hit."
    >>> [brief[s:e] for s, e in detect_body(brief, line_spans(brief), (0, 13))]
    ['Goris shelled', 'Troops shelled Goris overnight.', 'Kapan was also hit.']
    """
    classes = [classify_paragraph(text[s:e]) for s, e in paragraphs]
    prose = _Prose(text, paragraphs, classes)
    blocks: list[list[int]] = [[]]
    for index, cls in enumerate(classes):
        if cls == "bad":
            blocks.append([])
        else:
            blocks[-1].append(index)

    def good_chars(block: list[int]) -> int:
        return sum(paragraphs[i][1] - paragraphs[i][0] for i in block if classes[i] == "good")

    title = _paragraph_index(paragraphs, title_span)
    best = max(blocks, key=good_chars)
    good = [i for i in best if classes[i] == "good"]
    chosen = {
        i for i in best if good and good[0] <= i <= good[-1] and classes[i] in ("good", "near")
    }
    if not chosen:
        best, chosen = _brief_body(blocks, prose, paragraphs, title)
    chosen = _extend_over_prose(chosen, best, prose, title)
    body = [paragraphs[i] for i in sorted(chosen)]
    if title_span is not None and title_span not in body:
        body.append(title_span)
    return tuple(sorted(set(body)))


def _brief_body(
    blocks: list[list[int]], prose: _Prose, paragraphs: list[Span], title: int | None
) -> tuple[list[int], set[int]]:
    """Block and seed paragraphs of a page without ``good`` prose (a brief of short lines).

    The seed is the first paragraph after the headline when it reads as prose; without a
    headline, the first paragraph of the longest run of prose paragraphs.
    """
    block = next((b for b in blocks if title is not None and title in b), None)
    if block is not None and title is not None:
        after = block.index(title) + 1
        if after < len(block) and prose[block[after]]:
            return block, {block[after]}
        return block, set()
    runs = [
        list(group)
        for block in blocks
        for is_prose, group in itertools.groupby(block, key=lambda i: prose[i])
        if is_prose
    ]
    if not runs:
        return [], set()
    longest = max(runs, key=lambda run: sum(paragraphs[i][1] - paragraphs[i][0] for i in run))
    block = next(b for b in blocks if longest[0] in b)
    return block, {longest[0]}


# --------------------------------------------------------------------------------------------
# Headline and metadata
# --------------------------------------------------------------------------------------------


def looks_like_headline(line: str) -> bool:
    """Whether a line reads like a headline: 3-30 words, no sentence end, starts upper-case.

    Examples
    --------
    >>> looks_like_headline("Ending US military assistance to Azerbaijan immediately")
    True
    >>> looks_like_headline("By usawebstories")
    False
    """
    words = line.split()
    first = line.lstrip("\"'“‘")[:1]
    return (
        3 <= len(words) <= 30
        and not line.rstrip("\"'”’").endswith(".")
        and (first.isupper() or first.isdigit())
        and not is_page_chrome(line)
        and not re.match(r"(?:by|photo|image|credit)\b", line, re.IGNORECASE)
    )


def find_headline(text: str, lines: list[Span], limit: int = 15) -> Span | None:
    r"""Find the headline of a plain-text page: the first line unless it is page chrome.

    Skips chrome (weather, date stamps, image names, "Follow us...") and then takes the first
    of the next ``limit`` lines that looks like a headline (`looks_like_headline`).

    Examples
    --------
    >>> page = "30.1 C\nMonday, July 15, 2024\n\nAliyev Accuses U.S. of Bias\nText."
    >>> s, e = find_headline(page, line_spans(page)); page[s:e]
    'Aliyev Accuses U.S. of Bias'
    """
    for rank, (start, end) in enumerate(lines[:limit]):
        line = text[start:end]
        if is_page_chrome(line):
            continue
        if rank == 0 or looks_like_headline(line):
            return start, end
    return None


# YAML front matter: a "---" line first in the file (after blank lines or a byte-order mark),
# the metadata, and a closing "---" or "..." line (Jekyll, Hugo and Pandoc); it may be empty.
_FRONT_MATTER = re.compile(
    r"\A\ufeff?(?:[ \t]*\r?\n)*---[ \t]*\r?\n(?:(.*?)\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)",
    re.DOTALL,
)
# An opening "---" line followed by a "key:" line: front matter, even when never closed.
_FRONT_MATTER_OPEN = re.compile(r"\A\ufeff?(?:[ \t]*\r?\n)*---[ \t]*\r?\n[ \t]*[\w-]+[ \t]*:")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?")


class _DatesAsText(RoundTripConstructor):
    """Round-trip constructor that leaves timestamps as text.

    A bad date then becomes a located problem (see `parse_published`) rather than a crash
    inside the YAML library.
    """


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsText.construct_yaml_str)


def _yaml() -> YAML:
    """Make a round-trip YAML loader: plain data only (no Python objects), with line numbers."""
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _DatesAsText
    yaml.allow_duplicate_keys = False
    return yaml


class _AliasedYAML(YAMLError):
    """Metadata YAML used an alias (``*name``): refused, since expanding them can explode."""

    def __init__(self, line: int) -> None:
        super().__init__("YAML anchors and aliases (&name, *name) are not allowed in metadata")
        self.problem = str(self)
        self.problem_mark = type("Mark", (), {"line": line})()


def _load_metadata_yaml(text: str) -> Any:
    """Load untrusted metadata YAML as plain data, refusing aliases before anything expands.

    A few lines of nested aliases ("billion laughs") expand to gigabytes; article metadata
    never needs them, so the composed node graph is checked for a node reached twice.
    """
    yaml = _yaml()
    root = yaml.compose(text)
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise _AliasedYAML(node.start_mark.line)
        seen.add(id(node))
        value = node.value
        if isinstance(value, list):
            for item in value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return _yaml().load(text)


def _yaml_problem(exc: YAMLError, path: str, first_line: int) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = first_line + (mark.line if mark is not None else 0)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + first_line != line:
        what += f" ({context} started on line {first_line + context_mark.line})"
    return Problem(path, line, f"invalid YAML: {what}", "a YAML mapping of metadata keys")


def _key_line(mapping: Any, key: Any, base: int, fallback: int) -> int:
    """File line of ``key`` in a loaded YAML mapping (``fallback`` for plain dicts)."""
    try:
        return base + mapping.lc.key(key)[0]
    except (AttributeError, KeyError, TypeError):
        return fallback


def parse_published(value: Any) -> tuple[dt.date, str] | None:
    """Read a publication date: a date, ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    Returns ``(date, precision)`` with precision ``day``, ``month`` or ``year`` (the date is
    then the first day of that month or year), ``None`` for null; raises ``ValueError``.

    Examples
    --------
    >>> parse_published("2023-10")
    (datetime.date(2023, 10, 1), 'month')
    >>> parse_published(None) is None
    True
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    text = str(value).strip()
    partial = _PARTIAL_DATE.fullmatch(text)
    if partial and partial.group(2):
        return dt.date(int(partial.group(1)), int(partial.group(2)), 1), "month"
    if partial:
        return dt.date(int(partial.group(1)), 1, 1), "year"
    return dt.date.fromisoformat(text), "day"


def validate_metadata(
    entry: Any, path: str, line: int, *, base: int = 1, context: str = "metadata"
) -> tuple[dict[str, Any], list[Problem]]:
    """Check one metadata mapping (sidecar entry or front matter); return clean values + problems.

    ``line`` locates problems with the entry as a whole; keys are located by the YAML loader's
    line numbers, counted from ``base`` (the file line of the YAML text's first line).

    Examples
    --------
    >>> values, problems = validate_metadata({"titel": "x"}, "index.yaml", 3)
    >>> str(problems[0]).split(" — ")[0]
    "index.yaml:3: unknown metadata key 'titel'"
    """
    if entry is None:
        return {}, []
    if not isinstance(entry, Mapping):
        what = f"{context} is a {type(entry).__name__}"
        return {}, [Problem(path, line, what, f"a mapping with keys {', '.join(METADATA_KEYS)}")]
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in entry.items():
        problem = _check_metadata_value(str(key), value, values)
        if problem is not None:
            what, expected, hint = problem
            key_line = _key_line(entry, key, base, line)
            problems.append(Problem(path, key_line, what, expected, hint))
    return values, problems


def _check_metadata_value(
    key: str, value: Any, values: dict[str, Any]
) -> tuple[str, str, str] | None:
    """Store ``value`` under ``key`` in ``values`` or return ``(what, expected, hint)``."""
    if key not in METADATA_KEYS:
        close = difflib.get_close_matches(key, METADATA_KEYS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else ""
        return f"unknown metadata key '{key}'", "one of " + ", ".join(METADATA_KEYS), hint
    if key == "published":
        try:
            parsed = parse_published(value)
        except ValueError:
            return f"published date {value!r} is not a date", "YYYY-MM-DD, YYYY-MM or YYYY", ""
        if parsed is not None:
            values["published"], values["published_precision"] = parsed
        return None
    if value is not None and not isinstance(value, str):
        return f"{key} is a {type(value).__name__}: {value!r}", "a string or null", ""
    if key == "url" and value is not None and not re.match(r"https?://\S+\Z", value):
        return f"url {value!r} is not an http(s) URL", "https://...", "or null when unknown"
    if key == "language" and value is not None and not _LANGUAGE.fullmatch(value):
        return f"language {value!r} is not a language code", "an ISO 639 code such as 'en'", ""
    values[key] = value
    return None


def is_markdown(path: str) -> bool:
    """Whether an article path names a Markdown file (``.md`` or ``.markdown``, any case).

    Examples
    --------
    >>> [is_markdown(p) for p in ("a.md", "b.MD", "c.markdown", "d.txt")]
    [True, True, True, False]
    """
    return path.lower().endswith((".md", ".markdown"))


def front_matter_end(text: str) -> int:
    r"""Offset where the text after the YAML front matter starts (0 without front matter).

    Examples
    --------
    >>> front_matter_end("---\ntitle: Lachin\n...\nText")
    22
    >>> front_matter_end("---\n---\nText"), front_matter_end("Text\n---\n")
    (8, 0)
    """
    match = _FRONT_MATTER.match(text)
    return match.end() if match else 0


def parse_front_matter(text: str, path: str) -> tuple[dict[str, Any], int]:
    r"""Read the YAML front matter of a Markdown article; return ``(metadata, body_start)``.

    Raises ``ArticleError`` with file:line problems for invalid YAML, unknown keys, or front
    matter that is opened but never closed.

    Examples
    --------
    >>> parse_front_matter("---\ntitle: Lachin\n---\nText", "a.md")
    ({'title': 'Lachin'}, 22)
    >>> parse_front_matter("No front matter", "a.md")
    ({}, 0)
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        opened = _FRONT_MATTER_OPEN.match(text)
        if opened:
            line = _line_of(text, opened.end() - 1)
            raise ArticleError(
                [
                    Problem(
                        path,
                        line - 1,
                        "front matter opened with '---' is never closed",
                        "a '---' line after the last metadata key",
                        "add the closing '---' line, or remove the opening one",
                    )
                ]
            )
        return {}, 0
    if match.group(1) is None:
        return {}, match.end()
    first_line = _line_of(text, match.start(1))
    try:
        data = _load_metadata_yaml(match.group(1))
    except (MarkedYAMLError, YAMLError) as exc:
        raise ArticleError([_yaml_problem(exc, path, first_line)]) from None
    values, problems = validate_metadata(
        data, path, first_line, base=first_line, context="front matter"
    )
    if problems:
        raise ArticleError(problems)
    return values, match.end()


_MD_HEADING = re.compile(r"#{1,6}[ \t]+")


def _markdown_title(text: str, blocks: list[Span]) -> Span | None:
    """Span of the text of the first Markdown heading among the first blocks."""
    for start, end in blocks[:5]:
        heading = _MD_HEADING.match(text, start, end)
        if heading:
            line_end = text.find("\n", start, end)
            return strip_span(text, heading.end(), end if line_end < 0 else line_end)
    return None


def parse_article(
    text: str, *, article_id: str, path: str, metadata: Mapping[str, Any] | None = None
) -> Article:
    r"""Build an ``Article`` from decoded text (pure: reads no file).

    ``.md`` paths get their YAML front matter read; other paths are plain text whose first
    line is the headline unless it is page chrome. ``metadata`` (a sidecar entry, already
    validated) wins over front matter and over the detected headline.

    Examples
    --------
    >>> a = parse_article("Baku talks\nLeaders met in Baku on Monday to talk about peace.",
    ...                   article_id="a", path="a.txt")
    >>> a.title, [a.text[s:e] for s, e in a.body]
    ('Baku talks', ['Baku talks', 'Leaders met in Baku on Monday to talk about peace.'])
    """
    values: dict[str, Any] = {}
    if is_markdown(path):
        values, start = parse_front_matter(text, path)
        paragraphs = block_spans(text, start)
        title_span = _markdown_title(text, paragraphs)
    else:
        paragraphs = line_spans(text)
        title_span = find_headline(text, paragraphs)
    if metadata:
        values.update({k: v for k, v in metadata.items() if v is not None})
    if isinstance(values.get("published"), str):
        parsed = parse_published(values["published"])
        if parsed is not None:
            values["published"], values["published_precision"] = parsed
    title = values.get("title")
    if not title and title_span is not None:
        title = text[title_span[0] : title_span[1]]
    return Article(
        id=article_id,
        path=path,
        text=text,
        title=title,
        title_span=title_span,
        outlet=values.get("outlet"),
        url=values.get("url"),
        published=values.get("published"),
        published_how=values.get("published_how"),
        published_precision=values.get("published_precision"),
        language=values.get("language"),
        body=detect_body(text, paragraphs, title_span),
    )


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    """Show a path in messages and records: relative to the repository inside it, else absolute.

    The index reads an article back from this path, so it names the file from any working
    folder. The folder is resolved once for all its files (a corpus folder holds thousands;
    each listing starts afresh, see :func:`article_paths`), and the file name is kept as
    listed: a linked article shows where the user put it.
    """
    if path.name in ("", ".", ".."):
        where = path.resolve()
    else:
        where = _resolved_folder(path.parent.absolute()) / path.name
    try:
        return str(where.relative_to(settings.PROJECT_ROOT))
    except ValueError:
        return str(where)


@functools.lru_cache(maxsize=64)
def _resolved_folder(folder: Path) -> Path:
    return folder.resolve()


def read_article_bytes(path: Path) -> bytes:
    """Read an article file, refusing folders, missing files and files over the size limit."""
    shown = _display(path)
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(
                [
                    Problem(
                        shown,
                        1,
                        f"the file is {size / 1e6:.1f} MB",
                        f"at most {MAX_ARTICLE_BYTES // (1024 * 1024)} MB",
                        "split it or check that it is an article",
                    )
                ]
            )
        with path.open("rb") as handle:
            return handle.read(MAX_ARTICLE_BYTES + 1)
    except FileNotFoundError:
        what, hint = "no such file", "check the path (was the file moved or deleted?)"
    except IsADirectoryError:
        what, hint = "is a folder", "give the folder itself to load every article in it"
    except PermissionError:
        what, hint = "permission denied", "make the file readable (chmod a+r)"
    except OSError as exc:
        what, hint = f"cannot be read ({exc.strerror or exc})", ""
    raise ArticleError([Problem(shown, 1, what, "a readable article file", hint)])


def _load(path: Path, metadata: Mapping[str, Any] | None) -> tuple[Article, list[Problem]]:
    """Load one article and the non-fatal problems about it (an encoding guess)."""
    return article_from_bytes(
        read_article_bytes(path), article_id=path.stem, path=_display(path), metadata=metadata
    )


def article_from_bytes(
    data: bytes, *, article_id: str, path: str, metadata: Mapping[str, Any] | None = None
) -> tuple[Article, list[Problem]]:
    r"""Decode and parse an article's bytes; return it with non-fatal problems (encoding guess).

    The one way bytes become an ``Article``, shared by the loaders and the mention index.
    Raises ``ArticleError`` for bytes that are not an article (empty, binary, undecodable).

    Examples
    --------
    >>> article, notes = article_from_bytes(b"Talks\nLeaders met in Baku.", article_id="a",
    ...                                     path="a.txt")
    >>> article.title, notes
    ('Talks', [])
    """
    shown = path
    text, encoding = decode_article(data, shown)
    notes = []
    if encoding == "cp1252":
        notes.append(
            Problem(
                shown,
                _line_of(data, _first_non_utf8(data)),
                "not UTF-8; read as Windows-1252 (cp1252)",
                "UTF-8 text",
                "check accented letters, or re-save the article as UTF-8",
            )
        )
    article = parse_article(text, article_id=article_id, path=shown, metadata=metadata)
    if encoding != "utf-8":
        article = replace(article, encoding=encoding)
    return article, notes


def _first_non_utf8(data: bytes) -> int:
    """Byte index of the first byte that is not valid UTF-8 (0 when all of it is)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def load_article(path: Path, *, metadata: Mapping[str, Any] | None = None) -> Article:
    r"""Read and parse one article file; raise ``ArticleError`` naming the file when it can't.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("Talks in Baku\nLeaders met in Baku on Monday.")
    >>> load_article(folder / "a.txt").title
    'Talks in Baku'
    """
    return _load(Path(path), metadata)[0]


def article_paths(paths: Iterable[Path] | None = None) -> list[Path]:
    """Expand files and folders into article files; folders give their *.txt/*.md, sorted.

    The default is the bundled seeds folder (``settings.seeds_dir()``). Files named
    explicitly are kept whatever their suffix (and missing ones too, so the loader reports
    them).

    Examples
    --------
    >>> [p.name for p in article_paths()][:1]
    ['000_4a2e8bf07db3be1a.txt']
    """
    _resolved_folder.cache_clear()  # a folder may have been moved or re-linked since
    out: list[Path] = []
    for path in [settings.seeds_dir()] if paths is None else map(Path, paths):
        if path.is_dir():
            out.extend(
                sorted(p for p in path.iterdir() if p.suffix in ARTICLE_SUFFIXES and p.is_file())
            )
        else:
            out.append(path)
    return out


def load_sidecar(folder: Path) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Read ``folder/index.yaml``: metadata per article stem, with file:line problems.

    A missing sidecar is no problem (no metadata); an entry for a stem with no article file
    in the folder, an unknown key or a bad date is.
    """
    path = folder / SIDECAR_NAME
    shown = _display(path)
    if not path.is_file():
        return {}, []
    try:
        data = _load_metadata_yaml(path.read_text(encoding="utf-8"))
    except (MarkedYAMLError, YAMLError) as exc:
        return {}, [_yaml_problem(exc, shown, 1)]
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [Problem(shown, 1, f"cannot be read ({exc})", "a UTF-8 YAML file")]
    if data is None:
        return {}, []
    if not isinstance(data, Mapping):
        what = f"top level is a {type(data).__name__}"
        return {}, [Problem(shown, 1, what, "a mapping of article id → metadata")]
    stems = {p.stem for p in folder.iterdir() if p.suffix in ARTICLE_SUFFIXES}
    entries: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for stem, entry in data.items():
        line = _key_line(data, stem, 1, 1)
        if str(stem) not in stems:
            close = difflib.get_close_matches(str(stem), sorted(stems), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "remove the entry or add the file"
            problems.append(
                Problem(shown, line, f"no article '{stem}' in {folder.name}/", "a file stem", hint)
            )
            continue
        values, entry_problems = validate_metadata(entry, shown, line)
        problems.extend(entry_problems)
        entries[str(stem)] = values
    return entries, problems


def load_articles(paths: Iterable[Path] | None = None) -> tuple[list[Article], list[Problem]]:
    """Load every article; one bad file never stops the others.

    Returns the articles that loaded and every problem: files that could not be read (empty,
    binary, undecodable, too large, missing), invalid sidecars or front matter, duplicate ids,
    and notes about files that did load but not as UTF-8.

    Examples
    --------
    >>> articles, problems = load_articles()
    >>> len(articles), problems
    (5, [])
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    sidecars: dict[Path, dict[str, dict[str, Any]]] = {}
    seen: dict[str, str] = {}
    for path in article_paths(paths):
        folder = path.parent
        if folder not in sidecars:
            sidecars[folder], sidecar_problems = load_sidecar(folder)
            problems.extend(sidecar_problems)
        if path.stem in seen:
            problems.append(
                Problem(
                    _display(path),
                    1,
                    f"article id '{path.stem}' is already used by {seen[path.stem]}",
                    "one file per article id (file stem)",
                    "rename one of the files",
                )
            )
            continue
        try:
            article, notes = _load(path, sidecars[folder].get(path.stem))
        except ArticleError as exc:
            problems.extend(exc.problems)
            continue
        seen[path.stem] = article.path
        articles.append(article)
        problems.extend(notes)
    return articles, problems


_UNSAFE_ID = re.compile(r"[/\\\x00]|^\.|^$|^\s|\s$")


def safe_article_path(article_id: str, folder: Path) -> Path:
    """Return the file of article ``article_id`` inside ``folder``; never a path outside it.

    Only ids that are stems of existing ``.txt``/``.md`` files in ``folder`` are accepted;
    ids with path separators, ``..``, NUL, absolute paths, and symlinks that resolve outside
    the folder raise ``PathError``.

    Examples
    --------
    >>> safe_article_path("000_4a2e8bf07db3be1a", settings.seeds_dir()).name
    '000_4a2e8bf07db3be1a.txt'
    >>> safe_article_path("../README", settings.seeds_dir())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.PathError: article id '../README' contains a path separator, '..' or NUL — ...
    """
    if not isinstance(article_id, str) or _UNSAFE_ID.search(article_id) or ".." in article_id:
        raise PathError(
            f"article id {article_id!r} contains a path separator, '..' or NUL — expected a "
            "file stem such as '000_4a2e8bf07db3be1a'"
        )
    root = Path(folder).resolve()
    for suffix in ARTICLE_SUFFIXES:
        candidate = root / f"{article_id}{suffix}"
        if candidate.is_file():
            resolved = candidate.resolve()
            if not resolved.is_relative_to(root):
                raise PathError(
                    f"article {article_id!r} in {root} links outside that folder "
                    f"(to {resolved}) — expected a regular file inside it"
                )
            return resolved
    raise PathError(
        f"no article {article_id!r} in {root} — expected the stem of a .txt or .md file there"
    )


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------

#: Abbreviations that precede a name or a number and so never end a sentence (titles, ranks,
#: months before a day). syntok splits after some of them ("Reps.", "Lt.", "Gov.").
_NEVER_FINAL = re.compile(
    r"(?:^|[\s(\[“\"'])(?:Reps?|Sens?|Gov|Govs|Lt|Col|Gen|Maj|Capt|Cmdr|Adm|Sgt|Cpl|Pvt|"
    r"Brig|Mr|Mrs|Ms|Dr|Prof|Rev|Sen|Hon|Amb|Pres|Supt|Insp|Det|St|Mt|Ft|"
    r"Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|No|Nos|Vol|Art|Sec)\.$"
)
#: A country-style initialism ending a sentence when a typical sentence opener follows.
#: (``\b`` is written as a look-behind after the first capital, so that the search skips
#: straight to capitals.)
_INITIALISM_END = re.compile(
    r"[A-Z](?<!\w[A-Z])\.(?:[A-Z]\.)+(?=\s+(?:He|She|It|They|We|I|The|This|That|These|Those|But|And|"
    r"However|Yet|His|Her|Their|Its|Our|In|On|At|A|An)\b)"
)


#: Characters at which syntok's state machine makes a decision: its terminals and opening
#: brackets. A stretch of text without them is one sentence for syntok.
_SYNTOK_TERMINALS = "".join(sorted({c for t in State.terminals for c in t}))
_SYNTOK_DECISION = (
    "[" + re.escape(_SYNTOK_TERMINALS + "".join(sorted(State.opening_brackets))) + "]"
)
_STARTERS = "|".join(sorted(State.starters, key=len, reverse=True))
_NOT_STARTER = rf"(?!(?:{_STARTERS})(?![a-z0-9]))"
#: syntok's abbreviations written as one plain word ("Mr", "Gen", "approx").
_ABBREVIATIONS = sorted(a for a in State.abbreviations if re.fullmatch(r"[A-Z]?[a-z]+", a))
#: A token after spaces that syntok reads as a number of three digits or more.
#: Where a number read from the text ends as a token of its own ("133,", "20-year", "5’s").
_NUMBER_END = r"(?=\s|$|[^\w\s]+(?:\s|$)|['’´ʹʼ′][^\W\d_]|[-,;][^\W\d_])"
_LARGE_NUMBER = rf"\d{{3,}}{_NUMBER_END}"
#: Decision points where syntok never splits, so a piece holding only these is one sentence
#: (walking ``_move_and_maybe_extract_terminal``). ``_IN_WORD_DOT``: a dot inside a word, which
#: the tokenizer keeps in the word ("1.3", "U.S", "U.S.-Iran"; not between a lower- and an
#: upper-case letter, which it splits). ``_INERT_AFTER``: terminals followed by a lower-case
#: word, by "," or ":" (its first rule) or by a number of three digits or more.
#: ``_INERT_WORD`` (from the start of the word holding the terminal): a dotted initialism
#: ("U.S.", "p.m.") or one of syntok's abbreviations ("Mr.", "Gen.") before a capitalised
#: word that is not one of its sentence starters (or, for abbreviations, before a quote); a
#: month abbreviation or "No." before a number.
_IN_WORD_DOT = re.compile(
    r"(?<=[A-Z0-9])\.(?=[A-Za-z0-9])|(?<=[a-z])\.(?=[a-z0-9])|(?<=[A-Za-z0-9])\.(?=[-/]+[A-Za-z0-9])"
)
_INERT_AFTER = re.compile(rf"[.!?;]+[\"'’”]?(?=[ \xa0]+(?:[a-z]|{_LARGE_NUMBER})|[,:])")
_INERT_WORD = re.compile(
    r"[\"“‘]?(?:(?:(?:[A-Z]\.)*[A-Z]|(?:[a-z]\.)+[a-z]|[A-Z]\.[A-Z][a-z]+)\."
    rf"(?=[ \xa0]+(?:[\"“‘]|[-–—]+ |{_NOT_STARTER}[A-Z]))"
    rf"|(?:{'|'.join(_ABBREVIATIONS)})\.(?=[ \xa0]+(?:[\"“‘]|{_NOT_STARTER}[A-Z]))"
    rf"|(?:{'|'.join(sorted(State.months))}|No|no)\.(?=[ \xa0]+\d+{_NUMBER_END}))"
)
_DECISION_RE = re.compile(_SYNTOK_DECISION)


def _is_own_token(text: str, at: int) -> bool:
    """Whether syntok's tokenizer makes ``text[at]`` a token of its own.

    A symbol is one inside or around a word with letters or digits; a run of symbols between
    spaces (" )” ", " ?! ") is a single token, in which no bracket or terminal counts.
    """
    start = at
    while start > 0 and not (text[start - 1].isspace() or text[start - 1] == "\u200b"):
        start -= 1
    end = at + 1
    while end < len(text) and not (text[end].isspace() or text[end] == "\u200b"):
        end += 1
    return end - start == 1 or any(c.isalnum() for c in text[start:end])


def _word_start(text: str, end: int) -> int:
    """Start of the word (text between spaces or no-break spaces) that ends at ``end``."""
    near = max(0, end - 64)  # look near first: rfind over a whole paragraph adds up
    space = max(text.rfind(" ", near, end), text.rfind("\xa0", near, end))
    if space < 0 and near > 0:
        space = max(text.rfind(" ", 0, near), text.rfind("\xa0", 0, near))
    return space + 1


def _is_inert(chunk: str, at: int) -> bool:
    """Whether syntok's decision at ``chunk[at]`` (a terminal or bracket) never splits."""
    if _IN_WORD_DOT.match(chunk, at) or _INERT_AFTER.match(chunk, at):
        return True
    start = _word_start(chunk, at)
    word = _INERT_WORD.match(chunk, start)
    return word is not None and word.end() == at + 1


#: The terminal ending a piece, with what syntok's ``__move_to_next_relevant_word...`` keeps
#: with it (more terminals, closing brackets, one closing quote): with nothing after it, the
#: decision there cannot start another sentence.
_FINAL_TERMINAL = re.compile(r" ?[.!?;][.!?;)\]}]*[\"'’”´]?[.!?;)\]}]*$")
_OPENING = frozenset(State.opening_brackets)
_BRACKET_RE = re.compile(
    "[" + re.escape("".join(sorted(State.opening_brackets | State.closing_brackets))) + "]"
)
#: A short bracketed group with no bracket inside: syntok skips it whole (under 70 characters
#: and 50 tokens) when it comes after an ordinary word inside a sentence.
_BRACKET_GROUP = re.compile(
    r"[(\[{][^"
    + re.escape("".join(sorted(State.opening_brackets | State.closing_brackets)))
    + r"]{0,45}[)\]}]"
)
_FIRST_TWO_WORDS = re.compile(r"\s*\S+\s+\S+\s")


#: A boundary where syntok always splits: one terminal, an optional closing quote, spaces,
#: then the next token: a capitalised word, a quote, a dash or a number under 100 (not
#: lower-case, punctuation syntok keeps in the sentence, a bracket or a large number). The
#: token before the terminal (``_WORD_BEFORE``: what the tokenizer leaves last, after prefix
#: symbols, hyphenated and camel-case parts) decides, walking syntok's rules for this shape
#: (``_move_and_maybe_extract_terminal``): a plain word, an acronym or a number splits; an
#: abbreviation ("Gen.", "Ms.") or a dotted initialism only before one of syntok's sentence
#: starters; a month before no number; "No." before no token holding a digit; a single digit,
#: a closing quote or bracket only inside a sentence (syntok's single-letter rule); a roman
#: numeral never. Found from the terminal (fast), then the token before it is checked.
_TERMINAL_THEN_NEXT = re.compile(
    r"[.!?;][\"'’”]?(?=[ \xa0]+(?P<next>[\"“‘'”’–—-]|[A-Z]\w*|\d(?!\d\d)))"
)
_WORD_BEFORE = re.compile(
    r"[^\w\s]*(?:[A-Za-z0-9]+-)*(?:"
    r"(?:[A-Za-z0-9]*[a-z])?(?P<word>[A-Z][a-z]+|[A-Z]{2,})|(?P<lower>[a-z]{2,})"
    r"|(?P<number>\d{2,}|\d{1,3}(?:,\d{3})+|\d+(?:[-/]\d+)+|\d+[a-z]+)"
    r"|(?P<dotted>(?:[A-Z]\.)+[A-Z]|(?:[a-z]\.)+[a-z])"
    r"|(?P<single>\d))"
    r"|\S*[A-Za-z0-9](?P<quote>[\"”’)\]])"
)
_NO = frozenset({"no", "No", "NO"})
#: Where a token read from the text ends: a space, the end, symbols up to the end of the word
#: (the tokenizer's tail), an apostrophe before letters or a hyphen before a letter or digit.
_TOKEN_END = re.compile(r"\s|$|[^\w\s]+(?:\s|$)|['’´ʹʼ′][^\W\d_]|-[^\W_]")


def _is_sure_cut(paragraph: str, match: re.Match[str], previous: int) -> bool:
    """Whether a ``_TERMINAL_THEN_NEXT`` match is a split whatever the words around it."""
    end = match.start()
    if end and paragraph[end - 1] == " ":
        if match.end() - end > 1:
            return False  # " .”" is one token, no terminal
        end -= 1  # "in Baku . The": the terminal is a token of its own
    start = _word_start(paragraph, end)
    before = _WORD_BEFORE.fullmatch(paragraph, start, end)
    if before is None:
        return False
    raw = after = match.group("next")
    if raw[0].isalpha() and not _TOKEN_END.match(paragraph, match.end("next")):
        after = ""  # the next token goes on ("No.5", "And$3"): not the word read here
    word = before.group("word") or before.group("lower")
    if word is not None:
        if word in State.abbreviations:
            return after in State.starters
        if word in State.months:
            return not raw[0].isdigit()
        if word in _NO:
            return bool(after) and not any(c.isdigit() for c in after)
        return word not in State.roman_numerals
    if before.group("dotted") is not None:
        return after in State.starters
    if before.group("single") or before.group("quote"):
        # syntok's single-letter rule holds in a sentence's first tokens only
        words = _FIRST_TWO_WORDS.match(paragraph, previous, start)
        if words is None or not _keeps_going(paragraph, previous, end, words.end()):
            return False
    return not any(raw.startswith(month) for month in State.months)


def _sure_cuts(paragraph: str) -> list[int]:
    """Offsets just after the terminals where syntok splits whatever else the paragraph holds.

    A cut counts only if no bracket opened since the previous cut is still open (syntok skips
    bracketed text, terminals included); from a cut on, syntok's state is that of a fresh text.
    """
    # an opening bracket counted wrongly only costs cuts; a closing one must be a real token
    brackets = [
        (m.start(), m.group() in _OPENING)
        for m in _BRACKET_RE.finditer(paragraph)
        if m.group() in _OPENING or _is_own_token(paragraph, m.start())
    ]
    cuts: list[int] = []
    depth = seen = 0
    for match in _TERMINAL_THEN_NEXT.finditer(paragraph):
        while seen < len(brackets) and brackets[seen][0] < match.start():
            depth = depth + 1 if brackets[seen][1] else max(0, depth - 1)
            seen += 1
        if depth == 0 and _is_sure_cut(paragraph, match, cuts[-1] if cuts else 0):
            cuts.append(match.end())
    return cuts


def _keeps_going(text: str, start: int, end: int, plain: int) -> bool:
    """Whether syntok, starting a sentence at ``start``, cannot split it before ``end``.

    Every decision point in ``text[start:end]`` must be one where syntok never splits
    (``_is_inert``) or a short bracketed group after an ordinary word, which syntok skips
    whole once past a sentence's first tokens: ``text[start:plain]`` holds the first two
    words, free of decision points (so syntok has left its ``FirstToken`` state).
    """
    at = start
    while (found := _DECISION_RE.search(text, at, end)) is not None:
        at = found.start()
        if text[at] in _OPENING:
            group = _BRACKET_GROUP.match(text, at)
            before = text[start:at].rstrip()[-1:]
            if group is None or at < plain or not before:
                return False
            if not (_is_own_token(text, at) and _is_own_token(text, group.end() - 1)):
                return False
            if not (before.isalnum() or before in ",:'\"’”"):
                return False
            at = group.end()
        elif at >= plain and _is_inert(text, at):
            at += 1
        else:
            return False
    return True


def _is_one_sentence(chunk: str) -> bool:
    """Whether syntok can only read ``chunk`` (a piece between sure cuts) as one sentence."""
    body = len(chunk.rstrip())
    final = _FINAL_TERMINAL.search(chunk, max(0, body - 8), body)
    end = final.start() if final else body
    if not _DECISION_RE.search(chunk, 0, end):
        return True
    words = _FIRST_TWO_WORDS.match(chunk, 0, end)
    return words is not None and _keeps_going(chunk, 0, end, words.end())


def _syntok(text: str, base: int = 0) -> list[Span]:
    """Return syntok's sentence spans of ``text`` (token to token), shifted by ``base``."""
    spans = []
    for sentences in syntok.segmenter.analyze(text):
        for sentence in sentences:
            tail = sentence[-1]
            end = min(len(text), tail.offset + len(tail.value))
            spans.append((base + sentence[0].offset, base + end))
    return spans


def syntok_spans(paragraph: str) -> list[Span]:
    """Sentence spans syntok gives a one-line paragraph, running syntok only where it must.

    The paragraph is cut at the boundaries syntok always splits (``_SURE_BOUNDARY``); a piece
    whose decision points all keep the sentence going (``_INERT``) is one sentence, and only
    the other pieces go through syntok, whose state after a split is that of a new text. Same
    spans as syntok over the whole paragraph (checked on every paragraph of the benchmark
    corpora, ``benchmarks/bench_sentences.py --check``), several times faster.

    Examples
    --------
    >>> p = "Gen. Smith left. The rest stayed in Baku. We left at 3 p.m. on Monday."
    >>> [p[s:e] for s, e in syntok_spans(p)]
    ['Gen. Smith left.', 'The rest stayed in Baku.', 'We left at 3 p.m. on Monday.']
    >>> syntok_spans("")
    []
    """
    if "\n" in paragraph or "\r" in paragraph:
        return _syntok(paragraph)  # several lines: syntok's own paragraph rules apply
    spans: list[Span] = []
    start = 0
    for cut in [*_sure_cuts(paragraph), len(paragraph)]:
        chunk = paragraph[start:cut]
        if _is_one_sentence(chunk):
            first, last = strip_span(chunk, 0, len(chunk))
            if first < last:
                spans.append((start + first, start + last))
        else:
            spans.extend(_syntok(chunk, start))
        start = cut
    return spans


def segment_paragraph(paragraph: str) -> list[Span]:
    """Sentence spans of one paragraph (offsets into it, whitespace stripped).

    syntok segments; two news rules fix it: no split after a title or month abbreviation
    ("Reps. Nancy Pelosi", "Lt. Col. Anton", "Sept. 20"), and a split after an initialism
    followed by a sentence opener ("...and the U.S. He was doubtful").

    Examples
    --------
    >>> p = "Reps. Nancy Pelosi (D-Calif.) spoke. It ended at 1:30 p.m. on Friday."
    >>> [p[s:e] for s, e in segment_paragraph(p)]
    ['Reps. Nancy Pelosi (D-Calif.) spoke.', 'It ended at 1:30 p.m. on Friday.']
    """
    spans: list[Span] = []
    for span in syntok_spans(paragraph):
        # the abbreviation ends the sentence: its last ten characters hold any match
        if spans and _NEVER_FINAL.search(
            paragraph[max(spans[-1][0], spans[-1][1] - 10) : spans[-1][1]]
        ):
            spans[-1] = (spans[-1][0], span[1])
        else:
            spans.append(span)
    out: list[Span] = []
    for start, end in spans:
        cuts = [start, *(m.end() for m in _INITIALISM_END.finditer(paragraph, start, end)), end]
        out.extend(strip_span(paragraph, a, b) for a, b in itertools.pairwise(cuts))
    return [(s, e) for s, e in out if s < e]


@functools.lru_cache(maxsize=16)
def _markdown_blocks(text: str) -> list[Span]:
    """Blocks of a Markdown article after its front matter, computed once per text."""
    return block_spans(text, front_matter_end(text))


@functools.lru_cache(maxsize=8192)
def _segment_cached(paragraph: str) -> tuple[Span, ...]:
    """Segment a paragraph once; the cache is keyed by the paragraph's own text."""
    return tuple(segment_paragraph(paragraph))


def paragraph_span(article: Article, offset: int) -> Span:
    r"""Return the paragraph holding ``offset``: a line (a blank-line block for Markdown).

    Examples
    --------
    >>> paragraph_span(Article("a", "a.txt", "One.\r\nTwo. Three."), 8)
    (6, 17)
    """
    text = article.text
    if not 0 <= offset < len(text):
        raise ValueError(f"offset {offset} is outside article {article.id!r} (0..{len(text) - 1})")
    if is_markdown(article.path):
        blocks = _markdown_blocks(text)
        index = bisect.bisect_right(blocks, (offset, len(text) + 1)) - 1
        if index >= 0 and blocks[index][0] <= offset < blocks[index][1]:
            return blocks[index]
        return offset, offset
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    ends = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
    return strip_span(text, start, min(ends) if ends else len(text))


def sentence_span(article: Article, offset: int) -> Span:
    r"""Return the sentence of ``article`` holding character ``offset`` (a span into its text).

    Only the paragraph holding the offset is segmented (and cached), so text that nobody
    quotes is never segmented. An offset in whitespace between sentences gives the sentence
    before it; one in a blank line gives the empty span ``(offset, offset)``.

    Examples
    --------
    >>> a = Article("a", "a.txt", "Title\nIn a Sept. 20 statement, Blinken spoke. Baku said no.")
    >>> s, e = sentence_span(a, a.text.index("Baku")); a.text[s:e]
    'Baku said no.'
    >>> s, e = sentence_span(a, a.text.index("Blinken")); a.text[s:e]
    'In a Sept. 20 statement, Blinken spoke.'
    """
    start, end = paragraph_span(article, offset)
    if start >= end or not start <= offset < end:
        return offset, offset
    found = (start, end)
    for s, e in _segment_cached(article.text[start:end]):
        if start + s > offset:
            break
        found = (start + s, start + e)
    return found


def sentences(
    article: Article,
    start: int = 0,
    end: int | None = None,
    *,
    only: Callable[[str], object] | None = None,
) -> list[Span]:
    r"""Spans of the sentences overlapping ``[start, end)``, paragraph by paragraph.

    ``only``, when given, picks the paragraphs to segment by their text (the others are
    skipped unsegmented): ``only=re.compile("attack").search``.

    Examples
    --------
    >>> a = Article("a", "a.txt", "Hello there.\nIt was Oct. 3. We left.")
    >>> [a.text[s:e] for s, e in sentences(a)]
    ['Hello there.', 'It was Oct. 3.', 'We left.']
    """
    end = len(article.text) if end is None else end
    paragraphs = (
        _markdown_blocks(article.text) if is_markdown(article.path) else line_spans(article.text)
    )
    out = []
    for p_start, p_end in paragraphs:
        if p_end <= start or p_start >= end:
            continue
        if only is not None and not only(article.text[p_start:p_end]):
            continue
        for s, e in _segment_cached(article.text[p_start:p_end]):
            if p_start + e > start and p_start + s < end:
                out.append((p_start + s, p_start + e))
    return out
