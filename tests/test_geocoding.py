"""Tests of optional online geocoding against a local fake Nominatim (never the internet)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from geo.errors import GeoError
from geo.geocoding import candidate_from_nominatim, geocode_online

GORIS = {
    "place_id": 123,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
    "osm_type": "relation",
    "osm_id": 6502925,
    "lat": "39.5074",
    "lon": "46.3384",
    "class": "boundary",
    "type": "administrative",
    "addresstype": "town",
    "name": "Goris",
    "display_name": "Goris, Syunik Province, 3201, Armenia",
    "importance": 0.48,
    "address": {"town": "Goris", "state": "Syunik Province", "country_code": "am"},
    "boundingbox": ["39.49", "39.53", "46.31", "46.37"],
}
SYUNIK = {**GORIS, "name": "Syunik Province", "addresstype": "state", "lat": "39.3", "lon": "46.2"}


@dataclass
class FakeNominatim:
    """What the fake server received; answers per query in Nominatim's JSON format."""

    port: int
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"


ANSWERS = {"Goris": [GORIS], "Syunik": [SYUNIK], "Nowhere": [], "Garbage": [{"lat": "x"}]}


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    state = FakeNominatim(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            state.requests.append(query)
            state.user_agents.append(self.headers.get("User-Agent", ""))
            q = query.get("q", [""])[0]
            if url.path != "/search" or q == "Boom":
                self.send_response(500)
                self.end_headers()
                return
            body = json.dumps(ANSWERS.get(q, [])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _ask(name: str, server: FakeNominatim, cache: Path, **kwargs):
    options = {"min_delay_seconds": 0.0, "max_retries": 0, "timeout": 5.0}
    options.update(kwargs)
    return geocode_online(
        name, enabled=True, domain=server.domain, scheme="http", cache_dir=cache, **options
    )


def test_result_is_parsed(nominatim: FakeNominatim, tmp_path: Path) -> None:
    found = _ask("Goris", nominatim, tmp_path)
    assert found is not None
    assert (found.name, found.kind, found.countrycode) == ("Goris", "city", "AM")
    assert (found.lon, found.lat) == (46.3384, 39.5074)
    assert found.source == "nominatim"
    assert found.reason == (
        "Nominatim result relation 6502925 (town): Goris, Syunik Province, 3201, Armenia"
    )
    (request,) = nominatim.requests
    assert request["q"] == ["Goris"]
    assert request["format"] == ["json"]
    assert nominatim.user_agents == ["refmap/0.1"]


def test_state_becomes_admin1(nominatim: FakeNominatim, tmp_path: Path) -> None:
    found = _ask("Syunik", nominatim, tmp_path)
    assert found is not None
    assert found.kind == "admin1"


def test_cache_hit_avoids_a_second_request(nominatim: FakeNominatim, tmp_path: Path) -> None:
    first = _ask("Goris", nominatim, tmp_path)
    second = _ask("  Goris ", nominatim, tmp_path)
    assert first == second
    assert len(nominatim.requests) == 1
    assert (tmp_path / "nominatim-cache.sqlite").exists()


def test_cache_is_keyed_by_endpoint(nominatim: FakeNominatim, tmp_path: Path) -> None:
    _ask("Goris", nominatim, tmp_path)
    other = geocode_online(
        "Goris",
        enabled=True,
        domain=f"localhost:{nominatim.port}",
        scheme="http",
        cache_dir=tmp_path,
        min_delay_seconds=0.0,
        max_retries=0,
    )
    assert other is not None
    assert len(nominatim.requests) == 2


def test_nothing_found_is_none_and_cached(nominatim: FakeNominatim, tmp_path: Path) -> None:
    assert _ask("Nowhere", nominatim, tmp_path) is None
    assert _ask("Nowhere", nominatim, tmp_path) is None
    assert len(nominatim.requests) == 1


def test_unusable_result_is_none(nominatim: FakeNominatim, tmp_path: Path) -> None:
    assert _ask("Garbage", nominatim, tmp_path) is None


@pytest.mark.parametrize("name", ["Goris", "", "   "])
def test_disabled_or_blank_makes_no_request(
    nominatim: FakeNominatim, tmp_path: Path, name: str
) -> None:
    found = geocode_online(
        name, enabled=name.strip() == "", domain=nominatim.domain, scheme="http", cache_dir=tmp_path
    )
    assert found is None
    assert nominatim.requests == []
    assert list(tmp_path.iterdir()) == []


def test_server_error_is_none_with_warning_and_not_cached(
    nominatim: FakeNominatim, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert _ask("Boom", nominatim, tmp_path) is None
        assert _ask("Boom", nominatim, tmp_path) is None
    assert len(nominatim.requests) == 2
    assert "online geocoding of 'Boom' at http://127.0.0.1:" in caplog.text


def test_unreachable_server_is_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING):
        found = geocode_online(
            "Goris",
            enabled=True,
            domain=f"127.0.0.1:{port}",
            scheme="http",
            cache_dir=tmp_path,
            min_delay_seconds=0.0,
            max_retries=0,
            timeout=2.0,
        )
    assert found is None
    assert "online geocoding of 'Goris'" in caplog.text


def test_negative_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GeoError, match=r"min_delay_seconds=-1, max_retries=2 — expected values"):
        geocode_online("Goris", enabled=True, cache_dir=tmp_path, min_delay_seconds=-1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"lat": "40", "lon": "45", "display_name": "Sotk, Armenia"}, ("Sotk", 45.0, 40.0)),
        ({"lat": "40", "lon": "45", "name": "X", "addresstype": "country"}, ("X", 45.0, 40.0)),
        ({"lat": "91", "lon": "45"}, None),
        ({"lat": "nan", "lon": "45"}, None),
        ({"lon": "45"}, None),
        ({}, None),
    ],
)
def test_candidate_from_nominatim(raw: dict, expected: tuple | None) -> None:
    found = candidate_from_nominatim(raw)
    assert (None if found is None else (found.name, found.lon, found.lat)) == expected


def test_requests_go_through_geopy_rate_limiter() -> None:
    from geopy.extra.rate_limiter import RateLimiter

    from geo.geocoding import _rate_limited_geocoder

    limiter = _rate_limited_geocoder("127.0.0.1:9", "http", "refmap/0.1", 1.5, 2, 5.0)
    assert isinstance(limiter, RateLimiter)
    assert limiter.min_delay_seconds == 1.5
    assert _rate_limited_geocoder("127.0.0.1:9", "http", "refmap/0.1", 1.5, 2, 5.0) is limiter


ANSWERS["Xyzzyville"] = [{**GORIS, "name": "Xyzzyville", "lat": "39.6", "lon": "46.1"}]


def _suggest(tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    from geo import cli

    article = tmp_path / "brief.txt"
    article.write_text(
        "Shelling reported\n\nShelling was reported in Xyzzyville on Tuesday, officials said.\n",
        encoding="utf-8",
    )
    status = cli.main(["suggest", str(article), *options])
    out = capsys.readouterr().out
    assert status == 0, out
    return out


@pytest.mark.slow
def test_suggest_geocodes_online_only_when_asked(
    nominatim: FakeNominatim, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    from geo.fallback import default_index_path

    # a fresh cache folder for the geocoding answers, sharing the offline index (built once)
    index = default_index_path()
    cache = tmp_path / "cache"
    cache.mkdir()
    if index.exists():
        (cache / index.name).symlink_to(index)
    monkeypatch.setenv("REFMAP_CACHE_DIR", str(cache))
    offline = _suggest(tmp_path, capsys)
    assert "name: Xyzzyville" in offline
    assert "46.1" not in offline
    assert nominatim.requests == []

    online = _suggest(
        tmp_path, capsys, "--geocode-online", "--nominatim", f"http://{nominatim.domain}"
    )
    assert [r["q"] for r in nominatim.requests] == [["Xyzzyville"]]
    assert "point: [46.1, 39.6]" in online
    assert "Nominatim result" in online


def test_suggest_refuses_a_nominatim_address_that_is_not_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo import cli

    article = tmp_path / "brief.txt"
    article.write_text("Headline\n\nShelling was reported in Xyzzyville today.\n", encoding="utf-8")
    assert cli.main(["suggest", str(article), "--geocode-online", "--nominatim", "localhost"]) == 1
    assert "expected a server URL" in capsys.readouterr().err
