"""Tests of geo.roles: end-anchored patterns searched from where a match can start."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import roles
from geo.roles import _EndPattern

try:  # the parser behind ``re`` (private; only used to check the declared bounds)
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants
    import sre_parse

END_PATTERNS = {
    name: value for name, value in vars(roles).items() if isinstance(value, _EndPattern)
}
_SPACE_CATEGORIES = {
    sre_constants.CATEGORY_SPACE,
    sre_constants.CATEGORY_UNI_SPACE,
    sre_constants.CATEGORY_NOT_WORD,
    sre_constants.CATEGORY_UNI_NOT_WORD,
    sre_constants.CATEGORY_NOT_DIGIT,
    sre_constants.CATEGORY_UNI_NOT_DIGIT,
}
_ONLY_SPACE_CATEGORIES = {sre_constants.CATEGORY_SPACE, sre_constants.CATEGORY_UNI_SPACE}


def _class_takes_space(items) -> bool:
    """Whether a character class ``[...]`` (parsed) can match a whitespace character."""
    for op, av in items:
        if op is sre_constants.NEGATE:
            return True  # conservative
        if op is sre_constants.LITERAL and chr(av).isspace():
            return True
        if op is sre_constants.RANGE and any(chr(c).isspace() for c in range(av[0], av[1] + 1)):
            return True
        if op is sre_constants.CATEGORY and av in _SPACE_CATEGORIES:
            return True
    return False


def _only_space(parsed) -> bool:
    """Whether every character the parsed pattern can match is whitespace."""
    for op, av in parsed:
        if op is sre_constants.LITERAL:
            if not chr(av).isspace():
                return False
        elif op is sre_constants.IN:
            if not all(
                (o is sre_constants.CATEGORY and a in _ONLY_SPACE_CATEGORIES)
                or (o is sre_constants.LITERAL and chr(a).isspace())
                for o, a in av
            ):
                return False
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            if not _only_space(av[2]):
                return False
        elif op is sre_constants.SUBPATTERN:
            if not _only_space(av[-1]):
                return False
        elif op not in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            return False
    return True


def whitespace_runs_bound(parsed) -> float:
    """Upper bound on the whitespace runs in any match of a parsed pattern (``inf``: none)."""
    total = 0.0
    for op, av in parsed:
        if op is sre_constants.LITERAL:
            total += chr(av).isspace()
        elif op in (sre_constants.NOT_LITERAL, sre_constants.ANY):
            total += 1
        elif op is sre_constants.IN:
            total += _class_takes_space(av)
        elif op is sre_constants.BRANCH:
            total += max(whitespace_runs_bound(branch) for branch in av[1])
        elif op is sre_constants.SUBPATTERN:
            total += whitespace_runs_bound(av[-1])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            _, most, body = av
            inner = whitespace_runs_bound(body)
            if inner and _only_space(body):
                total += 1  # \s+, \s*, (?:\s)+: one run however long
            elif inner:
                total += math.inf if most == sre_constants.MAXREPEAT else most * inner
        elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue  # zero width: looks, consumes nothing
        else:
            return math.inf  # anything else: no bound claimed
    return total


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bin\s+$", 1),
        (r"\b(?:all over|in)\s+(?:the\s+)?$", 3),
        (r"(?:[a-z-]+\s+){0,3}$", 3),
        (r"[^()]{0,30}$", 30),
        (r"(?:\w+\s+)*$", math.inf),
        (r"\s*$", 1),
        (r"abc$", 0),
        (r"", 0),
    ],
)
def test_whitespace_runs_bound(pattern, expected):
    assert whitespace_runs_bound(sre_parse.parse(pattern)) == expected


def test_end_patterns_exist():
    assert len(END_PATTERNS) >= 15


@pytest.mark.parametrize("name", sorted(END_PATTERNS))
def test_declared_runs_cover_every_match(name):
    pattern = END_PATTERNS[name]
    assert pattern.pattern.pattern.endswith("$")
    assert whitespace_runs_bound(sre_parse.parse(pattern.pattern.pattern)) <= pattern.runs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("troops moved in the ", "in the "),
        ("in ", "in "),
        ("begin ", None),  # \b sees the letters before the search start
        ("x" * 50 + " in", None),  # not end-anchored space
        ("", None),
        ("   ", None),
        ("fought in\n\u00a0the ", "in\n\u00a0the "),  # mixed whitespace is one run
        ("in the the the ", None),
    ],
)
def test_end_pattern_search_table(text, expected):
    pattern = _EndPattern(r"\b(?:in|near)\s+(?:the\s+)?$", runs=2)
    match = pattern.search(text)
    assert (match.group(0) if match else None) == expected


_WORDS = st.sampled_from(
    [
        "in", "the", "of", "from", "to", "and", "by", "at", "all", "over", "en", "route",
        "ambassador", "aid", "moved", "south", "border", "with", "self-proclaimed", "attack",
        "on", "HSBC", "Air", "(", "D", "-", "R", "Reps.", "Ms", ",", "s", "x", "Hero", "FSB",
        "National", "Artist", "People's", "president", "like", "countries", "such", "as",
    ]
)  # fmt: skip
_SPACES = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "", " \n "])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_WORDS, _SPACES), max_size=14), st.sampled_from(sorted(END_PATTERNS)))
def test_end_pattern_equals_full_search(pieces, name):
    text = "".join(word + space for word, space in pieces)
    pattern = END_PATTERNS[name]
    fast, full = pattern.search(text), pattern.pattern.search(text)
    assert (fast and fast.span()) == (full and full.span())


def test_end_pattern_keeps_groups():
    match = roles._LOCATIVE_PREPOSITION_RE.search("fighting en route to the ")
    assert match.group(1) == "en route to"
    assert isinstance(match, re.Match)
