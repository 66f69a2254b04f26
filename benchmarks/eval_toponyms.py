"""Toponym recognition P/R/F1 and accuracy@161 km of refmap's matcher on GeoWebNews and LGL.

Reads ``../shared/eval-external/{geowebnews,lgl}.jsonl`` at run time (never copied into the
repository). Names are recognised by the default gazetteer's alias automaton plus the
capitalised-name rule, and resolved through the offline GeoNames index (``geo.fallback``) when
the gazetteer lacks them: exactly what ``python -m geo mentions`` does.

Usage::

    .venv/bin/python benchmarks/eval_toponyms.py [--limit N] [--dataset geowebnews|lgl]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from geo import settings
from geo.matching import Matcher, build_matcher, find_mentions
from geo.models import Article, Mention

EVAL_DIR = settings.PROJECT_ROOT.parent / "shared" / "eval-external"

#: End-to-end figures quoted in issue 3 for comparison (as given there; see the report).
PUBLISHED = {
    "geowebnews": "CLAVIN 0.937, Edinburgh 0.921 (as quoted in issue 3)",
    "lgl": "Edinburgh 0.819 acc@161km (as quoted in issue 3)",
}


#: Kinds whose representative point is comparable with a gold point (towns, not countries).
TOWN_KINDS = ("settlement", "city")


@dataclass
class Tally:
    """Counts for one dataset."""

    gold: int = 0
    predicted: int = 0
    exact: int = 0
    overlap: int = 0
    geo_gold: int = 0
    geo_found: int = 0
    within_161: int = 0
    town_found: int = 0
    town_within_161: int = 0
    seconds: float = 0.0

    def line(self, name: str) -> str:
        """Format the figures of one dataset as a report paragraph."""
        p = self.exact / self.predicted if self.predicted else 0.0
        r = self.exact / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        po = self.overlap / self.predicted if self.predicted else 0.0
        ro = self.overlap / self.gold if self.gold else 0.0
        fo = 2 * po * ro / (po + ro) if po + ro else 0.0
        acc = self.within_161 / self.geo_found if self.geo_found else 0.0
        e2e = self.within_161 / self.geo_gold if self.geo_gold else 0.0
        town = self.town_within_161 / self.town_found if self.town_found else 0.0
        return (
            f"{name}: gold toponyms {self.gold}, predicted {self.predicted}\n"
            f"  recognition exact span   P {p:.3f}  R {r:.3f}  F1 {f:.3f}\n"
            f"  recognition overlap      P {po:.3f}  R {ro:.3f}  F1 {fo:.3f}\n"
            f"  accuracy@161km on recognised toponyms with coordinates: {acc:.3f} "
            f"({self.within_161}/{self.geo_found})\n"
            f"  accuracy@161km end to end (missed = wrong): {e2e:.3f} "
            f"({self.within_161}/{self.geo_gold})\n"
            f"  accuracy@161km on recognised towns only (countries and regions have no "
            f"comparable point): {town:.3f} ({self.town_within_161}/{self.town_found})\n"
            f"  published: {PUBLISHED[name]}\n"
            f"  time {self.seconds:.1f} s"
        )


def read_records(name: str, limit: int | None) -> Iterator[dict]:
    """Yield the JSON records of one evaluation set."""
    path = EVAL_DIR / f"{name}.jsonl"
    with path.open(encoding="utf-8") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                return
            yield json.loads(line)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(h)))


def score_record(record: dict, mentions: list[Mention], tally: Tally) -> None:
    """Add one article's gold toponyms and predicted mentions to the tally."""
    gold = record["toponyms"]
    predicted = [m for m in mentions]
    tally.gold += len(gold)
    tally.predicted += len(predicted)
    by_span = {(m.start, m.end): m for m in predicted}
    for toponym in gold:
        span = (toponym["start"], toponym["end"])
        exact = by_span.get(span)
        overlapping = exact or next(
            (m for m in predicted if m.start < span[1] and span[0] < m.end), None
        )
        tally.exact += exact is not None
        tally.overlap += overlapping is not None
        if toponym.get("lat") is None or toponym.get("lon") is None:
            continue
        tally.geo_gold += 1
        if overlapping is None:
            continue
        tally.geo_found += 1
        if overlapping.lon is not None and overlapping.lat is not None:
            km = haversine_km(overlapping.lon, overlapping.lat, toponym["lon"], toponym["lat"])
            tally.within_161 += km <= 161.0
            if overlapping.kind in TOWN_KINDS:
                tally.town_found += 1
                tally.town_within_161 += km <= 161.0


def default_matcher() -> Matcher:
    """The default gazetteer's matcher, or an empty one if the gazetteer cannot be loaded."""
    try:
        from geo.boundaries import load_boundaries
        from geo.gazetteer import load_gazetteer
        from geo.geometry import resolve_geometries

        gazetteer = load_gazetteer()
        return build_matcher(gazetteer, resolve_geometries(gazetteer, load_boundaries()))
    except Exception as exc:  # report and go on with GeoNames only
        print(f"warning: default gazetteer not loaded ({exc}); GeoNames only", file=sys.stderr)
        return build_matcher([])


def evaluate(name: str, matcher: Matcher, fallback: object, limit: int | None) -> Tally:
    """Run the matcher over one evaluation set and tally the figures."""
    tally = Tally()
    started = time.perf_counter()
    for record in read_records(name, limit):
        text = record["text"]
        article = Article(record["id"], record["id"], text, body=((0, len(text)),))
        mentions = find_mentions(
            article, matcher, fallback, sentence_span=lambda a, offset: (offset, offset)
        )
        score_record(record, mentions, tally)
    tally.seconds = time.perf_counter() - started
    return tally


def main(argv: list[str] | None = None) -> int:
    """Evaluate on the chosen datasets and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("geowebnews", "lgl"), action="append")
    parser.add_argument("--limit", type=int, help="only the first N articles of each set")
    parser.add_argument("--no-fallback", action="store_true", help="gazetteer aliases only")
    args = parser.parse_args(argv)
    if not EVAL_DIR.is_dir():
        print(f"error: {EVAL_DIR} not found — expected the shared evaluation sets", file=sys.stderr)
        return 1
    from geo.fallback import GeoNamesIndex

    matcher = default_matcher()
    fallback = None if args.no_fallback else GeoNamesIndex.open()
    for name in args.dataset or ["geowebnews", "lgl"]:
        print(evaluate(name, matcher, fallback, args.limit).line(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Path", "evaluate", "main", "score_record"]
