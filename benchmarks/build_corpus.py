"""Build benchmark corpora of N articles recombined from real news text (never committed).

Run: ``.venv/bin/python benchmarks/build_corpus.py --sizes 1000 10000 100000``.

Sources, read at run time only: the seed articles (``seeds/*.txt``) and the GeoWebNews and LGL
texts in ``../shared/eval-external/*.jsonl``. Article ``i`` of every corpus is built from its own
random generator (seeded with ``--seed`` and ``i``), so the 1k corpus is the first thousand
articles of the 10k one and a rebuild gives identical bytes. Each article is a headline (the
title of its first source) followed by the sentences of one to three source texts, riffled
together (each source keeps its sentence order) and regrouped into paragraphs of one to five
sentences. Regrouping makes nearly every paragraph unique, as in real news, so refmap's
per-paragraph sentence cache cannot flatter the figures of a large corpus (whole source
paragraphs would repeat a hundred times in 100k articles). The first source is a seed with
probability ``--seed-share`` (a South Caucasus desk reads mostly regional news; the other
texts are US local and world news). The mean article is about 5 kB, a typical news story.

Corpora are written to ``benchmarks/corpora/<N>/<i>.txt`` (gitignored) with a ``MANIFEST.json``
(sizes, bytes, parameters); a corpus whose manifest matches is not rebuilt.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "benchmarks" / "corpora"
EXTERNAL = ROOT.parent / "shared" / "eval-external"
SEEDS = ROOT / "seeds"
#: Bump when the recombination changes, so old corpora are rebuilt.
RECIPE = 2
#: A rough sentence end for building only: . ! ? (and a closing quote) before a capital.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“A-Z])")


@dataclass(frozen=True)
class Source:
    """One real text: its headline and its sentences."""

    title: str
    sentences: tuple[str, ...]


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Non-empty lines of a text, stripped (refmap reads a .txt article line by line)."""
    return tuple(line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip())


def split_sentences(paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    """Sentences of paragraphs, split roughly at . ! ? before a capital (enough to recombine)."""
    return tuple(s.strip() for p in paragraphs for s in SENTENCE_END.split(p) if s.strip())


def load_sources(
    external: Path = EXTERNAL, seeds: Path = SEEDS
) -> tuple[list[Source], list[Source]]:
    """Return ``(seed sources, external sources)`` read from the seeds folder and the JSONL sets."""
    seed_sources = []
    for path in sorted(seeds.glob("*.txt")):
        lines = split_paragraphs(path.read_text(encoding="utf-8"))
        if lines:
            seed_sources.append(Source(lines[0], split_sentences(lines[1:])))
    external_sources = []
    for path in sorted(external.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                paragraphs = split_paragraphs(row["text"])
                title = (row.get("meta") or {}).get("title") or paragraphs[0][:80]
                if paragraphs:
                    external_sources.append(
                        Source(" ".join(title.split()), split_sentences(paragraphs))
                    )
    if not seed_sources or not external_sources:
        sys.exit(f"no sources found in {seeds} and {external}/*.jsonl")
    return seed_sources, external_sources


def compose_article(
    index: int, seed: int, seed_share: float, seeds: list[Source], others: list[Source]
) -> str:
    """Text of article ``index``: a headline and the riffled sentences of one to three sources."""
    rng = random.Random(f"{seed}:{index}")
    first = rng.choice(seeds) if rng.random() < seed_share else rng.choice(others)
    pool = seeds + others
    parts = [first, *(rng.choice(pool) for _ in range(rng.choice((0, 1, 1, 2))))]
    queues = [list(reversed(part.sentences)) for part in parts]
    sentences = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        sentences.append(queue.pop())
    paragraphs = []
    while sentences:
        count = rng.randint(1, 5)
        paragraphs.append(" ".join(sentences[:count]))
        del sentences[:count]
    return first.title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def build_corpus(size: int, *, seed: int = 6, seed_share: float = 0.2, out: Path = CORPORA) -> Path:
    """Write a corpus of ``size`` articles (unless an identical one exists); return its folder."""
    folder = out / str(size)
    params = {"recipe": RECIPE, "size": size, "seed": seed, "seed_share": seed_share}
    manifest = folder / "MANIFEST.json"
    if manifest.is_file():
        found = json.loads(manifest.read_text(encoding="utf-8"))
        if {k: found.get(k) for k in params} == params:
            return folder
        manifest.unlink()
    seeds, others = load_sources()
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(size):
        data = compose_article(index, seed, seed_share, seeds, others).encode("utf-8")
        (folder / f"{index:06d}.txt").write_bytes(data)
        total += len(data)
    for stale in folder.glob("*.txt"):
        if not stale.stem.isdigit() or int(stale.stem) >= size:
            stale.unlink()
    info = {**params, "articles": size, "bytes": total, "sources": len(seeds) + len(others)}
    manifest.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--seed-share", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=CORPORA)
    args = parser.parse_args(argv)
    for size in args.sizes:
        folder = build_corpus(size, seed=args.seed, seed_share=args.seed_share, out=args.out)
        info = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
        print(f"{folder}: {info['articles']} articles, {info['bytes'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
