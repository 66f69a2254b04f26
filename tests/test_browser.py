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
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOSTILE = ROOT / "tests" / "data" / "articles" / "hostile.txt"

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
    port = free_port()
    env = {**os.environ, "REFMAP_SEEDS_DIR": str(seeds_with_hostile)}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
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
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
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


def enter_map(driver: webdriver.Chrome, timeout: float = 60) -> None:
    """Switch into the st_folium iframe once Leaflet has drawn SVG paths in it."""
    wait = WebDriverWait(driver, timeout)
    frame = wait.until(
        lambda d: next(
            iter(d.find_elements(By.CSS_SELECTOR, 'iframe[src*="streamlit_folium"]')), None
        )
    )
    driver.switch_to.frame(frame)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane svg path"))


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
    data_layers = {k: v for k, v in overlays.items() if counted[k]}
    assert data_layers and all(data_layers.values()), overlays
    shown = sum(int(counted[k].group(1)) for k in data_layers)
    assert features == shown > 0
    assert not any(v for k, v in overlays.items() if "online" in k)
    assert tiles == 0
    # the offline basemap drew countries and subdivision labels
    assert basemap_paths > 50 and labels > 20
    # Leaflet came from the app's own static folder, nothing from elsewhere
    assert any(r.endswith("/app/static/vendor/leaflet/dist/leaflet.js") for r in resources)
    assert all(r.startswith("http://127.0.0.1:") for r in resources), resources


def test_popup_link_opens_the_article_at_the_sentence(
    app_url: str, browser: webdriver.Chrome
) -> None:
    browser.get(app_url)
    enter_map(browser)
    opened = browser.execute_script(
        """
        var best = null;
        window.map.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (p && p.rm_pop && p.rm_pop.indexOf('rm-open') >= 0 && l.getPopup
                && (!best || p.rm_pop.length > best.feature.properties.rm_pop.length)) {
                best = l;
            }
        });
        if (best) { best.openPopup(); return best.feature.properties.id; }
        return null;
        """
    )
    assert opened, "no feature with a quoting sentence on the map"
    link = WebDriverWait(browser, 10).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".leaflet-popup a.rm-open")), None)
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
    article = WebDriverWait(browser, 60).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".rm-article")), None)
    )
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".rm-article .rm-m")
    )
    time.sleep(1.0)  # give any injected handler (img onerror) the time to fire
    text = article.text
    assert no_alert(browser)
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert 'href="javascript:alert(1)"' in text
    body = browser.find_element(By.CSS_SELECTOR, ".rm-article")
    assert body.find_elements(By.TAG_NAME, "img") == []
    assert body.find_elements(By.TAG_NAME, "script") == []
    assert body.find_elements(By.TAG_NAME, "a") == body.find_elements(
        By.CSS_SELECTOR, "a.rm-anchor"
    )
    shot(browser, "04-hostile-article")
    enter_map(browser)
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
    popup = WebDriverWait(browser, 10).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")), None)
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
