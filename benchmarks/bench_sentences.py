"""Compare sentence segmenters (pysbd, syntok, blingfire, refmap's choice): speed and news cases.

Run: ``.venv/bin/python benchmarks/bench_sentences.py [--mb 5]``. Prints MB/s of each
segmenter over the seed text repeated to about ``--mb`` megabytes (segmented paragraph by
paragraph, as refmap does) and how many of the news-abbreviation cases each gets exactly right.
``--check benchmarks/corpora/10000 seeds`` compares refmap's fast path (``syntok_spans``: syntok
run only where a boundary is in doubt) with syntok on every distinct paragraph of those folders.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import blingfire
import pysbd
import syntok.segmenter
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo import articles

Spans = list[tuple[int, int]]
SEEDS = Path(__file__).resolve().parent.parent / "seeds"

CASES_FILE = SEEDS.parent / "tests" / "data" / "articles" / "sentence_cases.yaml"


def load_cases() -> list[tuple[str, list[str]]]:
    """The (paragraph, expected sentences) table shared with tests/test_articles.py."""
    rows = YAML(typ="safe").load(CASES_FILE.read_text(encoding="utf-8"))
    return [(row["text"], list(row["sentences"])) for row in rows]


def spans_pysbd() -> Callable[[str], Spans]:
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda text: [(s.start, s.end) for s in seg.segment(text)] if text.strip() else []


def spans_syntok(text: str) -> Spans:
    out = []
    for paragraph in syntok.segmenter.analyze(text):
        for sentence in paragraph:
            last = sentence[-1]
            out.append((sentence[0].offset, last.offset + len(last.value)))
    return out


def spans_blingfire(text: str) -> Spans:
    if not text.strip():
        return []
    return list(blingfire.text_to_sentences_and_offsets(text)[1])


def strip_spans(text: str, spans: Spans) -> list[str]:
    return [s for s in (text[a:b].strip() for a, b in spans) if s]


def segmenters() -> dict[str, Callable[[str], Spans]]:
    return {
        "pysbd": spans_pysbd(),
        "syntok": spans_syntok,
        "blingfire": spans_blingfire,
        "syntok, only where in doubt (refmap)": articles.syntok_spans,
        "refmap (syntok + news abbreviations)": articles.segment_paragraph,
    }


def check_against_syntok(folders: list[Path]) -> int:
    """Compare ``articles.syntok_spans`` with syntok on every paragraph of ``folders``.

    Prints the paragraphs where they differ (there should be none) and both speeds.
    """
    paragraphs = []
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            paragraphs.extend(text[s:e] for s, e in articles.line_spans(text))
    paragraphs = list(dict.fromkeys(paragraphs))
    mb = sum(len(p.encode()) for p in paragraphs) / 1e6
    started = time.process_time()
    expected = [spans_syntok(p) for p in paragraphs]
    slow = time.process_time() - started
    started = time.process_time()
    found = [articles.syntok_spans(p) for p in paragraphs]
    fast = time.process_time() - started
    wrong = [p for p, a, b in zip(paragraphs, expected, found, strict=True) if a != b]
    print(f"{len(paragraphs)} distinct paragraphs ({mb:.1f} MB)")
    print(f"syntok {mb / slow:.2f} MB/s, syntok only where in doubt {mb / fast:.2f} MB/s")
    print(f"paragraphs where they differ: {len(wrong)}")
    for paragraph in wrong[:20]:
        print(f"  {paragraph[:100]!r}")
    return 1 if wrong else 0


def seed_paragraphs(megabytes: float) -> list[str]:
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text().splitlines()]
    lines = [line for line in lines if line.strip()]
    size = sum(len(line.encode()) for line in lines)
    return lines * max(1, round(megabytes * 1e6 / size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=5.0, help="text size to time (MB)")
    parser.add_argument(
        "--check",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="compare syntok_spans with syntok on every paragraph of these folders' .txt files",
    )
    args = parser.parse_args()
    if args.check:
        raise SystemExit(check_against_syntok(args.check))
    cases = load_cases()
    paragraphs = seed_paragraphs(args.mb)
    mb = sum(len(p.encode()) for p in paragraphs) / 1e6
    print(f"{len(cases)} cases; speed on {mb:.1f} MB of seed text, paragraph by paragraph\n")
    print(f"{'segmenter':40} {'MB/s':>7} {'cases right':>12}")
    for name, segment in segmenters().items():
        right = sum(strip_spans(t, segment(t)) == want for t, want in cases)
        wrong = [t[:40] for t, want in cases if strip_spans(t, segment(t)) != want]
        started = time.perf_counter()
        for paragraph in paragraphs:
            segment(paragraph)
        speed = mb / (time.perf_counter() - started)
        print(f"{name:40} {speed:7.2f} {right:>5}/{len(cases)}")
        for text in wrong:
            print(f"{'':44}wrong: {text}…")
    text = "\n".join(paragraphs)
    started = time.perf_counter()
    articles.parse_article(text, article_id="bench", path="bench.txt")
    speed = mb / (time.perf_counter() - started)
    print(f"\nparse_article (headline + body detection): {speed:.2f} MB/s")


if __name__ == "__main__":
    main()
