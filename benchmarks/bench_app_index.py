"""Benchmark the app on a big corpus read through the mention index: first map, filter changes.

Usage: ``.venv/bin/python benchmarks/bench_app_index.py [--size 10000] [--cache DIR]``

1. Builds (or reuses) the corpus of ``--size`` articles with ``benchmarks/build_corpus.py``
   (``benchmarks/corpora/<N>/``, gitignored).
2. Indexes it with ``python -m geo index`` into a cache folder (a temporary one unless
   ``--cache``; the offline GeoNames index of the user's cache is linked into it so it is not
   rebuilt), timed: wall clock and CPU of the command and its worker processes. The index
   holds every article's mentions and incident report drafts.
3. Loads the corpus from the index and takes its incidents (``geo.pipeline.corpus_incidents``),
   timed: the stored report drafts graded and merged, what every server start pays.
4. In a fresh process with ``REFMAP_SEEDS_DIR`` at the corpus and ``REFMAP_CACHE_DIR`` at the
   cache, runs ``app.py`` with ``streamlit.testing.v1.AppTest`` (as ``bench_app.py`` does):
   the first script run (index and incidents already built: nothing is matched), then a kind
   filter set to new values and back to the default (cached layers), median server time.

Targets (issue 6 §2, 10k articles): first map under 5 s, a filter change under 1 s.
Wall-clock figures are noisy on a shared machine; CPU seconds are printed beside them.
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

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KINDS = ["settlement", "region", "corridor", "border", "incident", "country"]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """Run a command; return wall seconds, CPU seconds (with its children), stdout, stderr."""
    cpu, start = cpu_of_children(), time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, cpu_of_children() - cpu, done.stdout, done.stderr


def corpus_folder(size: int) -> Path:
    """The corpus of ``size`` articles, built when missing (build_corpus.py skips a good one)."""
    subprocess.run(
        [PYTHON, str(ROOT / "benchmarks" / "build_corpus.py"), "--sizes", str(size)],
        cwd=ROOT,
        check=True,
    )
    return ROOT / "benchmarks" / "corpora" / str(size)


def prepare_cache(cache: Path) -> None:
    """Link the user's offline GeoNames index into ``cache`` (building it takes a minute)."""
    from geo import fallback

    cache.mkdir(parents=True, exist_ok=True)
    source = fallback.default_index_path()
    target = cache / source.name
    if source.exists() and not target.exists():
        target.symlink_to(source)


def measure_app(repeats: int) -> dict[str, float]:
    """In this process (fresh, env already set): AppTest first run and filter changes."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    cpu, start = time.process_time(), time.perf_counter()
    at.run()
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not at.exception, at.exception
    fresh, cached = [], []
    for i in range(repeats):
        start = time.perf_counter()
        at.sidebar.multiselect(key="f_kinds").set_value([KINDS[i % len(KINDS)]]).run()
        fresh.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.sidebar.multiselect(key="f_kinds").set_value([]).run()
        cached.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    caption = next((c.value for c in at.sidebar.caption), "")
    return {
        "first": first,
        "first_cpu": first_cpu,
        "fresh": statistics.median(fresh),
        "cached": statistics.median(cached),
        "caption": caption,
    }


def warm_incidents() -> dict[str, float]:
    """In this process: load the corpus from the index and extract (and store) its incidents."""
    from geo import pipeline

    cpu, start = time.process_time(), time.perf_counter()
    corpus = pipeline.load_indexed_corpus(include_boilerplate=True)
    load, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    cpu, start = time.process_time(), time.perf_counter()
    found = pipeline.corpus_incidents(corpus, include_boilerplate=False)
    merged, merged_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "load": load,
        "load_cpu": load_cpu,
        "incidents": merged,
        "incidents_cpu": merged_cpu,
        "count": len(found),
        "mentions": len(corpus.mentions),
    }


def in_fresh_process(step: str, env: dict[str, str], repeats: int) -> dict[str, float]:
    command = [PYTHON, __file__, "--step", step, "--repeats", str(repeats)]
    _, _, out, _ = run_timed(command, env)  # the JSON line is stdout's last (warnings: stderr)
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--cache", type=Path, help="cache folder to reuse (default: temporary)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--step", choices=["app", "incidents"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # a child process: the environment points at the corpus and the cache
        sys.path.insert(0, str(ROOT))
        result = measure_app(args.repeats) if args.step == "app" else warm_incidents()
        print(json.dumps(result))
        return 0

    corpus = corpus_folder(args.size)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="refmap-bench-index-"))
    prepare_cache(cache)
    env = {**os.environ, "REFMAP_SEEDS_DIR": str(corpus), "REFMAP_CACHE_DIR": str(cache)}
    wall, cpu, out, err = run_timed([PYTHON, "-m", "geo", "index", str(corpus), "-q"], env)
    out = out + err
    print(f"corpus                        : {corpus} ({args.size} articles), cache {cache}")
    print(f"python -m geo index           : {wall:7.1f} s wall, {cpu:7.1f} s CPU")
    print(f"                                {out.strip().splitlines()[-1]}")
    warm = in_fresh_process("incidents", env, args.repeats)
    print(
        f"corpus from the index         : {warm['load']:7.2f} s wall, {warm['load_cpu']:.2f} s "
        f"CPU ({warm['mentions']} mentions, boilerplate included)"
    )
    print(
        f"incidents from stored drafts  : {warm['incidents']:7.2f} s wall, "
        f"{warm['incidents_cpu']:.2f} s CPU ({warm['count']} incidents; target < 1 s)"
    )
    app = in_fresh_process("app", env, args.repeats)
    print(f"app                           : {app['caption']}")
    print(
        f"script run, first (AppTest)   : {app['first']:7.2f} s wall, {app['first_cpu']:.2f} s "
        "CPU (fresh process; target < 5 s)"
    )
    print(f"filter change, new values     : {app['fresh'] * 1000:7.0f} ms (median; target < 1 s)")
    print(f"filter change, cached values  : {app['cached'] * 1000:7.0f} ms (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
