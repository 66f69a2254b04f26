"""Benchmark refmap's mention stage against geotext, flashtext, spaCy and a bare Aho-Corasick scan.

Run: ``.venv/bin/python benchmarks/harness.py --sizes 1000 10000 100000`` (peers need the
``bench`` extra: ``pip install geotext flashtext spacy``).

For each corpus size (built by ``build_corpus.py``) every engine runs in its own subprocess,
so its peak RSS (``ru_maxrss``) is its own. The engines read the same files and, where they
take an alias list, the same one: every gazetteer alias plus every GeoNames spelling of the
offline fallback index (~200k names).

- ``refmap``: the full mention stage on one core, as ``python -m geo mentions`` does it:
  decode + parse the article (body vs boilerplate), match, sentences, roles, disambiguation
  and GeoNames resolution of names the gazetteer lacks.
- ``refmap-nosent`` / ``refmap-nofallback``: the same without sentence spans / without the
  GeoNames fallback, to show where the time goes (not refmap's output).
- ``refmap-index``: ``python -m geo index`` from scratch into a temporary index (2 worker
  processes, SQLite writes included): the figure for the "100k in 3 minutes" target.
- ``geotext``: GeoText per article (its own bundled city list: it takes no alias list).
- ``flashtext``: KeywordProcessor over the alias list, with spans.
- ``spacy``: PhraseMatcher (attr LOWER) on ``spacy.blank("en")``.
- ``bare``: pyahocorasick over the lower-cased text, every hit, no word boundaries, no
  sentence or role work: the practical upper bound.

Printed per size: articles/s and MB/s (of the matching run, files already read), run time,
CPU time of the run (process + workers: the figure to trust on a shared, busy machine), total
time (total = the whole subprocess: start-up, imports, building the automaton, reading),
peak RSS; then the ratios pair by pair and the time-vs-size slope of each engine (least
squares over the sizes run). Figures are also written to ``benchmarks/corpora/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

ENGINES = (
    "refmap",
    "refmap-nosent",
    "refmap-nofallback",
    "refmap-index",
    "geotext",
    "flashtext",
    "spacy",
    "bare",
)
#: Pairs whose ratio is printed: (refmap engine, peer).
PAIRS = (
    ("refmap", "geotext"),
    ("refmap", "bare"),
    ("refmap", "spacy"),
    ("refmap", "flashtext"),
    ("refmap-index", "geotext"),
    ("refmap-index", "bare"),
)


# ---------------------------------------------------------------------------------------------
# Child side: one engine over one corpus, one JSON line on stdout


def read_corpus(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.stem, p.read_bytes()) for p in sorted(folder.glob("*.txt"))]


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kB


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def start_clock() -> tuple[float, float]:
    """Wall-clock and CPU time now: the start of the timed part of a run."""
    return time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)


def stop_clock(clock: tuple[float, float]) -> tuple[float, float]:
    """Wall-clock and CPU seconds since ``start_clock``.

    Only the timed part counts, so building an automaton or loading the gazetteer is in neither
    the ``run s`` nor the ``cpu s`` column (both are in ``total``).
    """
    return time.perf_counter() - clock[0], cpu_seconds(resource.RUSAGE_SELF) - clock[1]


def run_refmap(files, aliases, variant: str) -> tuple[float, float, int]:
    from geo.articles import decode_article, parse_article
    from geo.matching import find_mentions
    from geo.pipeline import _load_stages

    stages = _load_stages(variant != "nofallback")
    options = {}
    if variant == "nosent":
        options["sentence_span"] = lambda article, offset: (offset, offset)
    clock, count = start_clock(), 0
    for name, data in files:
        text, _ = decode_article(data, name)
        article = parse_article(text, article_id=name, path=f"{name}.txt")
        count += len(find_mentions(article, stages.matcher, stages.fallback, **options))
    return (*stop_clock(clock), count)


def run_refmap_index(folder: Path) -> tuple[float, float, int]:
    from geo import pipeline

    with tempfile.TemporaryDirectory() as tmp:
        clock = start_clock()
        report = pipeline.update_mention_index(
            [folder], index_path=Path(tmp) / "i.sqlite", jobs=2, progress=False
        )
        return (*stop_clock(clock), report.mentions)


def run_geotext(files, aliases) -> tuple[float, float, int]:
    from geotext import GeoText

    texts = [data.decode("utf-8", "replace") for _, data in files]
    clock, count = start_clock(), 0
    for text in texts:
        found = GeoText(text)
        count += len(found.cities) + len(found.countries)
    return (*stop_clock(clock), count)


def run_flashtext(files, aliases) -> tuple[float, float, int]:
    from flashtext import KeywordProcessor

    processor = KeywordProcessor()
    processor.add_keywords_from_list(aliases)
    texts = [data.decode("utf-8", "replace") for _, data in files]
    clock, count = start_clock(), 0
    for text in texts:
        count += len(processor.extract_keywords(text, span_info=True))
    return (*stop_clock(clock), count)


def run_spacy(files, aliases) -> tuple[float, float, int]:
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("PLACE", list(nlp.tokenizer.pipe(aliases)))
    texts = [data.decode("utf-8", "replace") for _, data in files]
    clock, count = start_clock(), 0
    for doc in nlp.pipe(texts):
        count += len(matcher(doc))
    return (*stop_clock(clock), count)


def run_bare(files, aliases) -> tuple[float, float, int]:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for alias in aliases:
        automaton.add_word(alias.lower(), len(alias))
    automaton.make_automaton()
    texts = [data.decode("utf-8", "replace") for _, data in files]
    clock, count = start_clock(), 0
    for text in texts:
        for _ in automaton.iter(text.lower()):
            count += 1
    return (*stop_clock(clock), count)


def child(engine: str, folder: Path, alias_file: Path) -> None:
    begin = time.perf_counter()
    aliases = alias_file.read_text(encoding="utf-8").splitlines()
    if engine == "refmap-index":
        # The indexer reads the files itself; reading them here too would inflate the RSS of
        # this process and of the workers it forks.
        sizes = [p.stat().st_size for p in sorted(folder.glob("*.txt"))]
        workers_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        seconds, run_cpu, hits = run_refmap_index(folder)
    else:
        files = read_corpus(folder)
        runner = {
            "refmap": lambda f, a: run_refmap(f, a, "full"),
            "refmap-nosent": lambda f, a: run_refmap(f, a, "nosent"),
            "refmap-nofallback": lambda f, a: run_refmap(f, a, "nofallback"),
            "geotext": run_geotext,
            "flashtext": run_flashtext,
            "spacy": run_spacy,
            "bare": run_bare,
        }[engine]
        workers_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        seconds, run_cpu, hits = runner(files, aliases)
    if engine != "refmap-index":
        sizes = [len(data) for _, data in files]
    result = {
        "engine": engine,
        "articles": len(sizes),
        "bytes": sum(sizes),
        "run_s": seconds,
        "in_process_s": time.perf_counter() - begin,
        "hits": hits,
        "cpu_s": run_cpu,
        "workers_cpu_s": cpu_seconds(resource.RUSAGE_CHILDREN) - workers_before,
        "rss_mb": peak_rss_mb(resource.RUSAGE_SELF),
        "workers_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
    }
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Parent side


def write_aliases(path: Path) -> int:
    """Gazetteer aliases + the GeoNames place names of the fallback index, one a line.

    The primary name of every GeoNames place (~200k); its ~1M alternate spellings in every
    script would make spaCy's PhraseMatcher need 6 GB and are not what an English text names.
    """
    import sqlite3

    from geo.fallback import GeoNamesIndex
    from geo.gazetteer import load_gazetteer
    from geo.matching import _aliases_of

    names = {a.strip() for p in load_gazetteer().places.values() for a in _aliases_of(p)}
    index = GeoNamesIndex.open()
    index.close()
    with sqlite3.connect(f"{index.path.resolve().as_uri()}?mode=ro", uri=True) as con:
        names.update(
            s.strip()
            for (s,) in con.execute("SELECT DISTINCT spelling FROM names WHERE is_primary = 1")
        )
    names = sorted(n for n in names if n and "\n" not in n and any(c.isalnum() for c in n))
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return len(names)


def measure(engine: str, folder: Path, alias_file: Path) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(folder), str(alias_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    total = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"engine": engine, "error": " | ".join(tail) or f"exit {done.returncode}"}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["total_s"] = total
    return result


def cpu(result: dict) -> float:
    """CPU seconds of the run (the engine process and its workers): robust to a busy machine."""
    return result.get("cpu_s", float("nan")) + result.get("workers_cpu_s", 0.0)


def show(size: int, results: list[dict]) -> None:
    print(f"\n== {size} articles ==")
    print(
        f"{'engine':<18}{'articles/s':>11}{'MB/s':>8}{'run s':>9}{'cpu s':>9}{'total s':>9}"
        f"{'RSS MB':>8}{'workers':>9}{'hits':>10}"
    )
    for r in results:
        if "error" in r:
            print(f"{r['engine']:<18} failed: {r['error']}")
            continue
        mb = r["bytes"] / 1e6
        workers = f"{r['workers_rss_mb']:.0f}" if r["workers_rss_mb"] > 1 else "-"
        print(
            f"{r['engine']:<18}{r['articles'] / r['run_s']:>11.0f}{mb / r['run_s']:>8.2f}"
            f"{r['run_s']:>9.2f}{cpu(r):>9.2f}{r['total_s']:>9.2f}{r['rss_mb']:>8.0f}{workers:>9}"
            f"{r['hits']:>10}"
        )
    by = {r["engine"]: r for r in results if "error" not in r}
    for ours, peer in PAIRS:
        if ours in by and peer in by:
            ratio = by[ours]["run_s"] / by[peer]["run_s"]
            total = by[ours]["total_s"] / by[peer]["total_s"]
            cpus = cpu(by[ours]) / max(cpu(by[peer]), 1e-9)
            print(
                f"  {ours}/{peer}: time ×{ratio:.2f} (run), ×{cpus:.2f} (run CPU), "
                f"×{total:.2f} (total)"
            )


def show_slopes(all_results: dict[int, list[dict]]) -> None:
    if len(all_results) < 2:
        return
    print("\n== time vs size (least squares over sizes: seconds per 1000 articles) ==")
    for engine in ENGINES:
        points = [
            (size, r["run_s"])
            for size, results in all_results.items()
            for r in results
            if r["engine"] == engine and "error" not in r
        ]
        if len(points) < 2:
            continue
        sizes, seconds = zip(*points, strict=True)
        fit = statistics.linear_regression(sizes, seconds)
        per_k = [s / n * 1000 for n, s in points]
        print(
            f"  {engine:<18} slope {fit.slope * 1000:7.3f} s/1k articles, intercept "
            f"{fit.intercept:6.2f} s; per-size s/1k: {', '.join(f'{v:.3f}' for v in per_k)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CORPUS", "ALIASES"))
    parser.add_argument("--out", type=Path, default=HERE / "corpora" / "results.json")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    from build_corpus import build_corpus

    alias_file = HERE / "corpora" / "aliases.txt"
    alias_file.parent.mkdir(parents=True, exist_ok=True)
    print(f"alias list: {write_aliases(alias_file)} names ({alias_file})")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    all_results: dict[int, list[dict]] = {}
    for size in args.sizes:
        folder = build_corpus(size)
        results = all_results[size] = []
        for engine in args.engines:
            results.append(measure(engine, folder, alias_file))
            previous[str(size)] = results  # saved after each engine: a long run shows progress
            args.out.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
        show(size, results)
    merged = {int(k): v for k, v in previous.items()}
    show_slopes(merged)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
