"""Consistency of the hand-made gold annotations of the seeds (tests/data/seeds_gold.jsonl)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import settings
from geo.gazetteer import Gazetteer, load_gazetteer, normalize_alias

GOLD = Path(__file__).parent / "data" / "seeds_gold.jsonl"
SEEDS = settings.PROJECT_ROOT / "seeds"
KEYS = ("article", "start", "end", "surface", "place_id", "role")


# --------------------------------------------------------------------------- checkers


def read_text(article: str, seeds: Path = SEEDS) -> str:
    """The article text exactly as offsets count it: UTF-8, line endings kept."""
    with open(seeds / f"{article}.txt", encoding="utf-8", newline="") as handle:
        return handle.read()


def row_problems(row: Mapping[str, Any], text: str) -> list[str]:
    """What is wrong with one gold row against its article text (empty when nothing)."""
    problems = []
    if tuple(row) != KEYS:
        return [f"keys {list(row)}; expected {list(KEYS)} in that order"]
    start, end = row["start"], row["end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        return [f"span [{start}, {end}) is not inside the text (length {len(text)})"]
    if text[start:end] != row["surface"]:
        problems.append(f"text[{start}:{end}] is {text[start:end]!r}, not {row['surface']!r}")
    if row["role"] not in settings.ROLES:
        problems.append(f"role {row['role']!r} is not one of {settings.ROLES}")
    return problems


def overlaps(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Pairs of indexes of rows of the same article whose spans overlap."""
    ordered = sorted(enumerate(rows), key=lambda ir: (ir[1]["article"], ir[1]["start"]))
    found = []
    for (i, a), (j, b) in itertools.pairwise(ordered):
        if a["article"] == b["article"] and b["start"] < a["end"]:
            found.append((i, j))
    return found


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """The gold rows, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- the checkers

TEXT = "Baku has proposed a route to Nakhchivan."


def _row(start: int, end: int, surface: str, role: str = "locative") -> dict[str, Any]:
    return {
        "article": "a",
        "start": start,
        "end": end,
        "surface": surface,
        "place_id": "baku",
        "role": role,
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (_row(0, 4, "Baku", "metonymic"), []),
        (_row(29, 39, "Nakhchivan"), []),
        (_row(0, 5, "Baku"), ["text[0:5] is 'Baku ', not 'Baku'"]),
        (_row(0, 4, "Baku", "literal"), ["role 'literal' is not one of"]),
        (_row(4, 4, ""), ["span [4, 4) is not inside the text"]),
        (_row(30, 99, "x"), ["span [30, 99) is not inside the text"]),
        ({"article": "a", "start": 0}, ["keys ['article', 'start']; expected"]),
    ],
)
def test_row_problems_table(row: dict[str, Any], expected: list[str]) -> None:
    got = row_problems(row, TEXT)
    assert len(got) == len(expected)
    for message, start in zip(got, expected, strict=True):
        assert message.startswith(start)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], []),
        ([(0, 4)], []),
        ([(0, 4), (4, 8)], []),
        ([(0, 4), (3, 8)], [(0, 1)]),
        ([(10, 20), (0, 12)], [(1, 0)]),
    ],
)
def test_overlaps_table(spans: Sequence[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    rows = [{"article": "a", "start": s, "end": e} for s, e in spans]
    assert overlaps(rows) == expected


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10)), max_size=8))
def test_overlaps_agrees_with_pairwise_check(pairs: list[tuple[int, int]]) -> None:
    rows = [{"article": "a", "start": s, "end": s + n} for s, n in pairs]
    pairwise = any(
        a["start"] < b["end"] and b["start"] < a["end"]
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
    )
    assert bool(overlaps(rows)) == pairwise


# --------------------------------------------------------------------------- the gold file


@pytest.fixture(scope="module")
def gold() -> list[dict[str, Any]]:
    return load_gold()


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def test_gold_is_not_empty_and_covers_every_seed(gold: list[dict[str, Any]]) -> None:
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    assert seeds, "no seeds found"
    assert {r["article"] for r in gold} == seeds


def test_gold_rows_slice_to_their_surface(gold: list[dict[str, Any]]) -> None:
    texts = {a: read_text(a) for a in {r["article"] for r in gold}}
    problems = [
        f"line {i + 1}: {p}"
        for i, r in enumerate(gold)
        for p in row_problems(r, texts[r["article"]])
    ]
    assert problems == []


def test_gold_spans_do_not_overlap_and_are_sorted(gold: list[dict[str, Any]]) -> None:
    assert overlaps(gold) == []
    assert gold == sorted(gold, key=lambda r: (r["article"], r["start"]))


def test_gold_place_ids_exist_and_surfaces_are_aliases(
    gold: list[dict[str, Any]], gazetteer: Gazetteer
) -> None:
    missing = sorted({r["place_id"] for r in gold if r["place_id"] not in gazetteer})
    assert missing == []
    not_alias = [
        (r["surface"], r["place_id"])
        for r in gold
        if normalize_alias(r["surface"])
        not in {normalize_alias(a) for a in gazetteer[r["place_id"]].aliases}
    ]
    assert not_alias == []


def test_gold_has_all_three_roles(gold: list[dict[str, Any]]) -> None:
    assert {r["role"] for r in gold} == set(settings.ROLES)


def test_incident_sources_name_existing_seeds(gazetteer: Gazetteer) -> None:
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    incidents = gazetteer.of_kind("incident")
    assert len(incidents) >= 7
    cited = {s["article"] for p in incidents for s in p.sources if s.get("article")}
    assert cited and cited <= seeds
