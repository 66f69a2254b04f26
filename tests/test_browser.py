"""The app in a real headless Chromium with every outside host unresolvable (proves offline)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOSTILE = ROOT / "tests" / "data" / "articles" / "hostile.txt"
FINDER = '[data-testid="stSidebar"] input[aria-label="Find a place"]'

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if os.environ.get("REFMAP_SKIP_BROWSER") == "1":
    pytest.skip("REFMAP_SKIP_BROWSER=1 is set", allow_module_level=True)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.fail(
        f"{CHROMIUM} or {CHROMEDRIVER} is missing — install Debian's browser with "
        "`apt-get install -y chromium chromium-driver` (`make test` does this), "
        "or set REFMAP_SKIP_BROWSER=1 to skip the browser tests",
        pytrace=False,
    )

#: Chromium flags for this machine, plus a resolver that fails every host but 127.0.0.1:
#: a CDN or tile request would fail, so a rendered map proves the page needs no network.
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1500,1000",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_app(env: dict[str, str] | None = None, output=subprocess.DEVNULL):
    """Start ``streamlit run app.py`` headless on a free port of 127.0.0.1; return (process, url).

    Shared by these tests and ``benchmarks/bench_app.py``.
    """
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}/"


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer {url}_stcore/health within {timeout} s")


@pytest.fixture(scope="module")
def seeds_with_hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeds")
    for path in (ROOT / "seeds").iterdir():
        if path.is_file():
            shutil.copy2(path, folder / path.name)
    shutil.copy2(HOSTILE, folder / "hostile.txt")
    return folder


@pytest.fixture(scope="module")
def app_url(seeds_with_hostile: Path) -> Iterator[str]:
    vendor = ROOT / "static" / "vendor" / "leaflet" / "dist" / "leaflet.js"
    if not vendor.exists():
        pytest.fail(
            "static/vendor is not installed — run `python scripts/install_assets.py` "
            "(`make test` and `make app` do it)"
        )
    env = {**os.environ, "REFMAP_SEEDS_DIR": str(seeds_with_hostile)}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process, url = launch_app(env=env, output=log)
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "streamlit-server.log").write_bytes(log.read())
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="refmap-chromium-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def no_alert(driver: webdriver.Chrome) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def enter_map(driver: webdriver.Chrome, timeout: float = 60, poll: float = 0.5) -> None:
    """Switch into the st_folium iframe once Leaflet has drawn SVG paths in it.

    ``poll`` is how often to look (seconds); a benchmark timing the map looks more often.
    """
    wait = WebDriverWait(driver, timeout, poll_frequency=poll)
    frame = wait.until(
        lambda d: next(
            iter(d.find_elements(By.CSS_SELECTOR, 'iframe[src*="streamlit_folium"]')), None
        )
    )
    driver.switch_to.frame(frame)
    wait.until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-pane svg path.leaflet-interactive")
    )


def test_map_renders_offline_with_every_layer(app_url: str, browser: webdriver.Chrome) -> None:
    browser.get(app_url)
    enter_map(browser)
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    overlays = browser.execute_script(
        "var out = {}; document.querySelectorAll('.leaflet-control-layers-overlays label')"
        ".forEach(function (l) { out[l.innerText.trim()] = l.querySelector('input').checked; });"
        "return out;"
    )
    features = browser.execute_script(
        "var n = 0; window.map.eachLayer(function (l) { if (l.feature && l.feature.properties"
        " && l.feature.properties.rm_pop) { n++; } }); return n;"
    )
    basemap_paths = len(browser.find_elements(By.CSS_SELECTOR, ".leaflet-rm-basemap-pane path"))
    labels = len(browser.find_elements(By.CSS_SELECTOR, ".rm-label"))
    tiles = len(browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile"))
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    browser.switch_to.default_content()
    shot(browser, "01-map-offline")
    # data layers are listed with their counts and shown; online tiles are offered but off
    counted = {k: re.search(r"\((\d+)\)$", k) for k in overlays}
    context = {k: v for k, v in overlays.items() if k.startswith("Large regions (context)")}
    data_layers = {k: v for k, v in overlays.items() if counted[k] and k not in context}
    assert data_layers and all(data_layers.values()), overlays
    assert not any(context.values()), context  # continents are context: off by default
    shown = sum(int(counted[k].group(1)) for k in data_layers)
    assert features == shown > 0
    assert not any(v for k, v in overlays.items() if "online" in k)
    assert tiles == 0
    # the offline basemap drew countries and subdivision labels
    assert basemap_paths > 50 and labels > 20
    # Leaflet came from the app's own static folder, nothing from elsewhere
    assert any(r.endswith("/app/static/vendor/leaflet/dist/leaflet.js") for r in resources)
    assert all(r.startswith("http://127.0.0.1:") for r in resources), resources


def wait_until_the_map_is_still(browser: webdriver.Chrome, timeout: float = 10.0) -> None:
    """Wait until the map stops moving (fit-to-data animation), so pixel positions hold."""
    view = "var m = window.map; return [m.getCenter().lat, m.getCenter().lng, m.getZoom()];"
    last, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = browser.execute_script(view)
        if now == last:
            return
        last = now
        time.sleep(0.3)
    raise AssertionError(f"the map kept moving for {timeout} s: {last}")


def test_popup_link_opens_the_article_at_the_sentence(
    app_url: str, browser: webdriver.Chrome
) -> None:
    browser.get(app_url)
    enter_map(browser)
    wait_until_the_map_is_still(browser)
    # the town with the most quotes whose disc is the topmost element at
    # its centre and that lies inside a drawn area: a click there must open the point's popup,
    # not the region's under it
    target = browser.execute_script(
        """
        var map = window.map, box = map.getContainer().getBoundingClientRect();
        var areas = [], best = null;
        map.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (p && p.rm_pop && l.getBounds && !l.getLatLng) { areas.push(l); }
        });
        map.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (!(p && p.rm_pop && l.getLatLng && l._path)) { return; }
            if (p.rm_pop.indexOf('rm-open') < 0) { return; }
            // a place, not an incident: its quote links land on a place mention
            if (p.rm_tip.indexOf('rm-tip">incident') >= 0) { return; }
            var xy = map.latLngToContainerPoint(l.getLatLng());
            var x = box.left + xy.x, y = box.top + xy.y;
            if (x < box.left + 60 || y < box.top + 60 || x > box.right - 60
                || y > box.bottom - 60) { return; }
            if (document.elementFromPoint(x, y) !== l._path) { return; }
            var inside = areas.some(function (a) { return a.getBounds().contains(l.getLatLng()); });
            if (inside && (!best || p.rm_pop.length > best.l.feature.properties.rm_pop.length)) {
                best = {l: l, dx: xy.x - box.width / 2, dy: xy.y - box.height / 2};
            }
        });
        if (!best) { return null; }
        window.rmClicked = best.l;
        return {id: best.l.feature.properties.id, dx: best.dx, dy: best.dy};
        """
    )
    assert target, "no clickable point with a quoting sentence inside an area on the map"
    container = browser.find_element(By.CSS_SELECTOR, ".leaflet-container")
    ActionChains(browser).move_to_element_with_offset(
        container, round(target["dx"]), round(target["dy"])
    ).click().perform()
    link = WebDriverWait(browser, 10).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".leaflet-popup a.rm-open")), None)
    )
    assert browser.execute_script("return window.rmClicked.isPopupOpen();"), target
    # Selenium reads no text while the popup is still fading in (opacity 0)
    heading = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".leaflet-popup .rm-pop-h").text
    )
    assert heading and heading in browser.execute_script(
        "return window.rmClicked.feature.properties.rm_pop;"
    )
    item = link.find_element(By.XPATH, "./ancestor::li")
    surface = item.find_element(By.TAG_NAME, "mark").get_attribute("textContent")
    href = link.get_attribute("href")
    assert "?article=" in href and "&at=" in href
    browser.switch_to.default_content()
    time.sleep(0.5)  # let the popup's fade-in finish before the screenshot
    shot(browser, "02-popup")
    handles = set(browser.window_handles)
    browser.switch_to.frame(
        browser.find_element(By.CSS_SELECTOR, 'iframe[src*="streamlit_folium"]')
    )
    link.click()
    browser.switch_to.default_content()
    new = WebDriverWait(browser, 20).until(lambda d: set(d.window_handles) - handles)
    browser.switch_to.window(new.pop())
    target = WebDriverWait(browser, 60).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".rm-article .rm-target")), None)
    )
    hit = browser.find_element(By.CSS_SELECTOR, ".rm-article .rm-hit")
    assert hit.get_attribute("textContent") == surface
    assert surface in " ".join(
        e.get_attribute("textContent")
        for e in browser.find_elements(By.CSS_SELECTOR, ".rm-article .rm-target")
    )
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "var r = arguments[0].getBoundingClientRect();"
            "return r.top >= 0 && r.bottom <= window.innerHeight;",
            target,
        )
    )
    shot(browser, "03-reader-at-sentence")
    browser.close()
    browser.switch_to.window(next(iter(handles)))


def test_hostile_article_shows_as_text_and_runs_nothing(
    app_url: str, browser: webdriver.Chrome
) -> None:
    browser.get(f"{app_url}?article=hostile")
    # the reader's text (the colour key beside it is also an .rm-article block): the one with
    # sentence anchors and highlighted mentions
    article = WebDriverWait(browser, 60).until(
        lambda d: next(
            (
                e
                for e in d.find_elements(By.CSS_SELECTOR, ".rm-article")
                if e.find_elements(By.CSS_SELECTOR, "a.rm-anchor")
                and e.find_elements(By.CSS_SELECTOR, ".rm-m")
            ),
            None,
        )
    )
    time.sleep(1.0)  # give any injected handler (img onerror) the time to fire
    text = article.text
    assert no_alert(browser)
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert 'href="javascript:alert(1)"' in text
    body = article
    assert body.find_elements(By.TAG_NAME, "img") == []
    assert body.find_elements(By.TAG_NAME, "script") == []
    assert body.find_elements(By.TAG_NAME, "a") == body.find_elements(
        By.CSS_SELECTOR, "a.rm-anchor"
    )
    shot(browser, "04-hostile-article")
    enter_map(browser)
    wait_until_the_map_is_still(browser)
    opened = browser.execute_script(
        """
        var found = null;
        window.map.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (!found && p && p.rm_pop && p.rm_pop.indexOf('&lt;script&gt;') >= 0) { found = l; }
        });
        if (found) { found.openPopup(); return true; }
        return false;
        """
    )
    assert opened, "the hostile article's places are not on its map"
    # the popup's element can exist a moment before its content is laid out: wait for text
    popup = WebDriverWait(browser, 10).until(
        lambda d: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content") if e.text),
            None,
        )
    )
    assert "<script>alert(1)</script>" in popup.text
    assert popup.find_elements(By.TAG_NAME, "script") == []
    browser.switch_to.default_content()
    assert no_alert(browser)
    shot(browser, "05-hostile-popup")


def test_unsafe_article_id_gets_a_clear_message(app_url: str, browser: webdriver.Chrome) -> None:
    browser.get(f"{app_url}?article=..%2F..%2Fetc%2Fpasswd")
    error = WebDriverWait(browser, 60).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlert"]')), None)
    )
    assert "is not a valid article id" in error.text
    assert "root:" not in browser.page_source
    shot(browser, "06-unsafe-id")


def test_search_zooms_to_and_marks_the_place(app_url: str, browser: webdriver.Chrome) -> None:
    browser.get(app_url)
    enter_map(browser)
    browser.switch_to.default_content()
    finder = WebDriverWait(browser, 30).until(
        lambda d: next(
            iter(d.find_elements(By.CSS_SELECTOR, FINDER)),
            None,
        )
    )
    finder.click()
    finder.send_keys("Syunik")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'))
    finder.send_keys(Keys.ENTER)

    # the map is rebuilt with the searched place marked by an orange outline and its name
    def marked(d: webdriver.Chrome) -> str | None:
        d.switch_to.default_content()
        frames = d.find_elements(By.CSS_SELECTOR, 'iframe[src*="streamlit_folium"]')
        if not frames:
            return None
        d.switch_to.frame(frames[0])
        found = d.find_elements(By.CSS_SELECTOR, ".rm-label-found")
        return found[0].get_attribute("textContent") if found else None

    label = WebDriverWait(browser, 60).until(marked)
    assert label.startswith("Syunik"), label
    outline = browser.find_elements(By.CSS_SELECTOR, ".leaflet-rm-focus-pane path")
    assert outline and outline[0].get_attribute("stroke") == "#f08c00"
    browser.switch_to.default_content()
    time.sleep(0.5)
    shot(browser, "07-search-marked")


def test_charts_and_downloads_screenshots(app_url: str, browser: webdriver.Chrome) -> None:
    browser.get(app_url)
    enter_map(browser)
    browser.switch_to.default_content()
    buttons = [
        b.text
        for b in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stDownloadButton"] button')
    ]
    assert "All layers · GeoJSON" in buttons and "All layers · GeoPackage" in buttons
    assert not any(b.endswith("…") for b in buttons), buttons
    browser.execute_script(
        "arguments[0].scrollIntoView()",
        browser.find_element(By.CSS_SELECTOR, '[data-testid="stDownloadButton"]'),
    )
    shot(browser, "08-downloads")
    browser.find_element(By.XPATH, "//button[normalize-space()='Charts']").click()
    WebDriverWait(browser, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')) >= 4
    )
    time.sleep(1.5)
    shot(browser, "09-charts")
    charts = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
    browser.execute_script("arguments[0].scrollIntoView()", charts[2])
    time.sleep(0.5)
    shot(browser, "10-charts-per-place")
    browser.execute_script("arguments[0].scrollIntoView()", charts[3])
    time.sleep(0.5)
    shot(browser, "11-charts-heat-map")


def fetch(url: str, encoding: str | None) -> tuple[bytes, str | None]:
    """GET ``url`` (asking for ``encoding`` when given); return the raw body and its encoding."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding or "identity"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers.get("Content-Encoding")


@pytest.mark.parametrize(
    "asset",
    [
        "",  # the page
        "app/static/vendor/leaflet/dist/leaflet.js",  # the map's front end
        "SCRIPT",  # Streamlit's own front end, which Streamlit alone sends uncompressed
    ],
)
def test_server_compresses_the_page_and_its_scripts(app_url: str, asset: str) -> None:
    import gzip

    if asset == "SCRIPT":
        page, _ = fetch(app_url, None)
        found = re.search(rb'src="\./(static/js/[^"]+\.js)"', page)
        assert found, "the page names no script"
        asset = found.group(1).decode()
    plain, plain_encoding = fetch(app_url + asset, None)
    packed, packed_encoding = fetch(app_url + asset, "gzip")
    assert plain_encoding is None
    assert packed_encoding == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
