"""Benchmark the map app: time to first map, server time of a filter change, page payload.

Starts `streamlit run app.py --server.headless true` on a free port, opens it in headless
Chromium (outside hosts unresolvable, as in tests/test_browser.py), and prints:

- first map: from navigation start until Leaflet has drawn SVG paths in the map iframe
  (the server is already up and its caches are cold: first visit after start), then warm;
- filter change: server time of a script rerun after toggling a filter, measured in-process
  with streamlit.testing.v1.AppTest (median of several toggles, new filter values and cached);
- payload: bytes transferred over the network for the page and every resource it loaded
  (Performance API transferSize: compressed, headers included, 0 when served from the
  browser cache); the uncompressed size (decodedBodySize) is printed beside it. Websocket
  messages are not counted.

- visits: for three visits in a row of the same fresh browser, when the sidebar's first
  widget and the drawn map appeared (looking every 20 ms), to tell the server's part of a
  first visit from the browser's.

The filter-change runs use one ScriptCache for every AppTest run, as the server does (AppTest
makes a new one per run, which would add compiling app.py to every rerun).

Usage: python benchmarks/bench_app.py [--seeds DIR] [--cache DIR]
(``--seeds benchmarks/corpora/10000 --cache DIR`` measures a 10k corpus read from its index.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import (  # noqa: E402
    CHROME_FLAGS,
    CHROMEDRIVER,
    CHROMIUM,
    By,
    Service,
    WebDriverWait,
    enter_map,
    launch_app,
    wait_healthy,
    webdriver,
)


def start_server(env: dict[str, str] | None = None) -> tuple[object, str, float]:
    """Start the app; return it, its address and the seconds until it answered (warm-up)."""
    started = time.perf_counter()
    process, url = launch_app(env=env)
    wait_healthy(url, process, timeout=900)
    return process, url, time.perf_counter() - started


def open_browser() -> webdriver.Chrome:
    import tempfile

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROME_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='refmap-bench-')}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


#: [transferred, decoded] bytes of the document and every resource of the current frame.
SIZES_JS = (
    "return performance.getEntriesByType('navigation')"
    ".concat(performance.getEntriesByType('resource'))"
    ".map(function (e) { return [e.transferSize || 0, e.decodedBodySize || 0]; });"
)


def time_first_map(driver: webdriver.Chrome, url: str) -> tuple[float, int, int, int]:
    """Seconds from navigation to a drawn map; bytes transferred, decoded; resource count."""
    start = time.perf_counter()
    driver.get(url)
    enter_map(driver, timeout=120, poll=0.02)  # WebDriverWait looks every 0.5 s by default
    elapsed_wall = time.perf_counter() - start
    # wait for the basemap labels too, so the payload includes the fetched basemap
    basemap_drawn = WebDriverWait(driver, 120, poll_frequency=0.02)
    basemap_drawn.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rm-label"))
    inner = driver.execute_script(SIZES_JS)
    driver.switch_to.default_content()
    outer = driver.execute_script(SIZES_JS)
    entries = inner + outer
    sent = sum(e[0] for e in entries)
    decoded = sum(e[1] for e in entries)
    return elapsed_wall, sent, decoded, len(entries)


def time_visits(driver: webdriver.Chrome, url: str, visits: int = 3) -> list[tuple[float, float]]:
    """Seconds from navigation until the sidebar's article picker, then the map, appeared."""
    sidebar = '[data-testid="stSidebarUserContent"] [data-testid="stMultiSelect"]'
    found = []
    for _ in range(visits):
        driver.switch_to.default_content()
        start = time.perf_counter()
        driver.get(url)
        seen = None
        while True:
            if seen is None and driver.find_elements(By.CSS_SELECTOR, sidebar):
                seen = time.perf_counter() - start
            frames = driver.find_elements(By.CSS_SELECTOR, 'iframe[src*="streamlit_folium"]')
            if frames:
                driver.switch_to.frame(frames[0])
                drawn = driver.find_elements(By.CSS_SELECTOR, ".leaflet-pane svg path")
                driver.switch_to.default_content()
                if drawn:
                    done = time.perf_counter() - start
                    found.append((done if seen is None else seen, done))
                    break
            if time.perf_counter() - start > 120:
                raise TimeoutError("no map drawn in 120 s")
            time.sleep(0.02)
    return found


def time_filter_changes(repeats: int = 5) -> tuple[float, float, float]:
    """Median seconds of a rerun: first run, new filter values, and cached filter values."""
    from streamlit.runtime.scriptrunner import script_cache
    from streamlit.testing.v1 import AppTest, app_test

    shared = script_cache.ScriptCache()
    app_test.ScriptCache = lambda: shared  # one compiled app.py for every run, as the server
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    fresh, cached = [], []
    kinds = ["settlement", "region", "corridor", "border", "incident", "country"]
    for i in range(repeats):
        toggle = at.sidebar.multiselect(key="f_kinds")
        start = time.perf_counter()
        toggle.set_value([kinds[i % len(kinds)]]).run()
        fresh.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.sidebar.multiselect(key="f_kinds").set_value([]).run()
        cached.append(time.perf_counter() - start)
    assert not at.exception, at.exception
    return first, statistics.median(fresh), statistics.median(cached)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seeds", type=Path, help="article folder (default: the bundled seeds)")
    parser.add_argument("--cache", type=Path, help="cache folder (REFMAP_CACHE_DIR)")
    args = parser.parse_args()
    for name, value in (("REFMAP_SEEDS_DIR", args.seeds), ("REFMAP_CACHE_DIR", args.cache)):
        if value is not None:
            os.environ[name] = str(value.resolve())
    process, url, up = start_server(dict(os.environ))
    try:
        driver = open_browser()
        try:
            cold, payload, decoded, count = time_first_map(driver, url)
            warm, warm_payload, _, _ = time_first_map(driver, url)
        finally:
            driver.quit()
        driver = open_browser()  # a fresh profile again: the first of these visits is cold
        try:
            visits = time_visits(driver, url)
        finally:
            driver.quit()
    finally:
        process.terminate()
        process.wait(timeout=10)
    first_run, fresh, cached = time_filter_changes()
    print(f"server up (start + warm-up)   : {up:6.2f} s")
    print(f"first map, first visit        : {cold:6.2f} s (navigation → SVG paths drawn)")
    print(f"first map, second visit       : {warm:6.2f} s")
    print(
        f"page payload (first visit)    : {payload / 1e6:6.2f} MB transferred "
        f"({decoded / 1e6:.2f} MB uncompressed) in {count} resources"
    )
    print(f"page payload (second visit)   : {warm_payload / 1e6:6.2f} MB transferred")
    for number, (sidebar, drawn) in enumerate(visits, 1):
        print(f"visit {number}: sidebar, map       : {sidebar:6.2f} s, {drawn:.2f} s")
    print(f"script run, first (AppTest)   : {first_run * 1000:6.0f} ms (loads the corpus)")
    print(f"filter change, new values     : {fresh * 1000:6.0f} ms server time (median)")
    print(f"filter change, cached values  : {cached * 1000:6.0f} ms server time (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
