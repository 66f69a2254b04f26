"""Mention-role accuracy of refmap's matcher on GeoWebNews, held out from the seed annotations.

GeoWebNews (Gritta et al. 2019) labels every toponym with the Pragmatic Taxonomy of Toponyms.
This script runs ``geo.matching.find_mentions`` over the 200 articles (default gazetteer, plus
the offline GeoNames fallback unless ``--no-fallback``), keeps the predicted mentions whose span
equals a gold toponym span, maps the gold type to refmap's three roles and prints the accuracy
and confusion matrix, and a table of every gold type against the predicted role.

The data is read from ``../shared/eval-external/geowebnews.jsonl`` at run time only (never
copied into the repository).

Mapping of GWN types to refmap roles (tests/data/README.md, "Roles"):

- ``Literal`` -> locative: the land itself.
- ``Embedded_Literal`` -> locative: a toponym inside a larger name that still says where
  ("Louisiana Purchase"); refmap's guidelines make "First Nagorno-Karabakh War" locative.
- ``Literal_Modifier`` -> locative: a noun modifier that still means the place ("Paris
  pub", "Nagorno-Karabakh residents"); refmap's guidelines make "Nagorno-Karabakh residents" and
  "Nagorno-Karabakh autonomy" locative, so it is *not* attributive here.
- ``Metonymic`` -> metonymic: the state, government, team or people as an actor.
- ``Non_Literal_Modifier`` and ``Embedded_Non_Lit`` -> attributive: the name labels a person,
  office, organisation or product ("US president", "Bank of England").

Lenient figure: GWN's ``Non_Literal_Modifier`` covers every name that modifies a noun ("US
troops", "U.S. policy"), while refmap's guidelines make a state acting through its policy,
interests or aid ``metonymic`` ("U.S. security assistance", "review of U.S. policy"); the second
accuracy line also accepts ``metonymic`` for that type.

Scored: those six types. ``Mixed`` (both readings at once), ``Coercion`` (a non-place read as a
place), ``Demonym``, ``Homonym`` and ``Language`` are shown in the type table but left out of the
accuracy, because no single refmap role is right for them.

Usage::

    .venv/bin/python benchmarks/eval_roles.py [--limit N] [--no-fallback] [--errors N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import settings
from geo.matching import Matcher, build_matcher, find_mentions
from geo.models import Article

GWN = settings.PROJECT_ROOT.parent / "shared" / "eval-external" / "geowebnews.jsonl"
ROLES = ("locative", "metonymic", "attributive")
#: GWN Pragmatic Taxonomy type -> refmap role, for the scored types (see the module docstring).
GOLD_ROLE = {
    "Literal": "locative",
    "Embedded_Literal": "locative",
    "Literal_Modifier": "locative",
    "Metonymic": "metonymic",
    "Non_Literal_Modifier": "attributive",
    "Embedded_Non_Lit": "attributive",
}


def read_articles(limit: int | None) -> Iterator[dict]:
    """Yield the GWN records (text and toponyms with ``extra.type``)."""
    with GWN.open(encoding="utf-8") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                return
            yield json.loads(line)


def default_matcher() -> Matcher:
    """The default gazetteer's matcher (geometries are not needed for roles)."""
    from geo.gazetteer import load_gazetteer

    return build_matcher(load_gazetteer())


def collect(matcher: Matcher, fallback: object, limit: int | None) -> list[tuple]:
    """``(gwn type, predicted role, surface, context, reason)`` for every exactly matched span."""
    rows = []
    for record in read_articles(limit):
        text = record["text"]
        article = Article(record["id"], record["id"], text, body=((0, len(text)),))
        mentions = find_mentions(
            article, matcher, fallback, sentence_span=lambda a, offset: (offset, offset)
        )
        by_span = {(m.start, m.end): m for m in mentions}
        for toponym in record["toponyms"]:
            mention = by_span.get((toponym["start"], toponym["end"]))
            if mention is None:
                continue
            start, end = toponym["start"], toponym["end"]
            context = f"{text[max(0, start - 50) : start]}[{text[start:end]}]{text[end : end + 40]}"
            context = context.replace("\n", " ")
            rows.append((toponym["extra"].get("type"), mention.role, context, mention.reason))
    return rows


def report(rows: list[tuple], errors: int) -> None:
    """Print accuracy, the confusion matrix and the type table."""
    scored = [(GOLD_ROLE[t], role, ctx, why) for t, role, ctx, why in rows if t in GOLD_ROLE]
    right = sum(gold == role for gold, role, _, _ in scored)
    print(f"matched gold toponyms: {len(rows)}; scored (mapped types): {len(scored)}")
    if scored:
        print(f"role accuracy: {right / len(scored):.3f} ({right}/{len(scored)})")
        lenient = right + sum(
            t == "Non_Literal_Modifier" and role == "metonymic" for t, role, _, _ in rows
        )
        print(
            f"role accuracy, Non_Literal_Modifier predicted metonymic also right: "
            f"{lenient / len(scored):.3f} ({lenient}/{len(scored)})"
        )
    print("\nconfusion (rows gold, columns predicted):")
    print(f"{'':>12}" + "".join(f"{r:>12}" for r in ROLES))
    confusion = Counter((gold, role) for gold, role, _, _ in scored)
    for gold in ROLES:
        print(f"{gold:>12}" + "".join(f"{confusion[gold, r]:>12}" for r in ROLES))
    print("\nGWN type -> predicted role (all matched spans):")
    types = Counter((t, role) for t, role, _, _ in rows)
    for t in sorted({t for t, _ in types}, key=str):
        mapped = GOLD_ROLE.get(t, "(not scored)")
        counts = "  ".join(f"{r} {types[t, r]}" for r in ROLES)
        print(f"  {t!s:<22} -> {mapped:<13} {counts}")
    if errors:
        print("\nsome errors (gold -> predicted):")
        wrong = [row for row in scored if row[0] != row[1]]
        for gold, role, ctx, why in wrong[:errors]:
            print(f"  {gold} -> {role}: …{ctx}…\n      {why.split('; ')[-1]}")


def main(argv: list[str] | None = None) -> int:
    """Evaluate roles on GeoWebNews and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--no-fallback", action="store_true", help="gazetteer aliases only")
    parser.add_argument("--errors", type=int, default=0, help="print the first N wrong roles")
    args = parser.parse_args(argv)
    if not GWN.is_file():
        print(f"error: {GWN} not found — expected the shared evaluation set", file=sys.stderr)
        return 1
    fallback = None
    if not args.no_fallback:
        from geo.fallback import GeoNamesIndex

        fallback = GeoNamesIndex.open()
    report(collect(default_matcher(), fallback, args.limit), args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
