"""Optional online geocoding with geopy's Nominatim: explicit opt-in, rate-limited, cached."""

from __future__ import annotations

import functools
import json
import logging
import math
import sqlite3
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import GeoError
from geo.fallback import Candidate

log = logging.getLogger(__name__)

#: The public OpenStreetMap Nominatim server; its usage policy asks for at most one request per
#: second, an identifying User-Agent, and caching of results.
DEFAULT_DOMAIN = "nominatim.openstreetmap.org"
CACHE_FILE = "nominatim-cache.sqlite"


def geocode_online(
    name: str,
    *,
    enabled: bool,
    domain: str = DEFAULT_DOMAIN,
    scheme: str = "https",
    user_agent: str = "refmap/0.1",
    cache_dir: Path | None = None,
    min_delay_seconds: float = 1.0,
    max_retries: int = 2,
    timeout: float = 10.0,
) -> Candidate | None:
    """Geocode one name with Nominatim, only when ``enabled`` is explicitly true.

    Results (including "nothing found") are cached on disk by query and endpoint, so a name is
    asked once per server. Calls to one endpoint are spaced by ``min_delay_seconds`` with geopy's
    ``RateLimiter``. Network and server errors are logged as warnings and give ``None``; they are
    not cached, so a later call tries again.

    Parameters
    ----------
    name
        The place name as written.
    enabled
        Must be ``True`` for any request to be made (refmap never geocodes online by default).
    domain, scheme
        The Nominatim server, e.g. ``"127.0.0.1:8080"`` with ``scheme="http"`` for a local one.
    user_agent
        Identifies refmap to the server (required by Nominatim's usage policy).
    cache_dir
        Folder of the cache file; default ``settings.cache_dir()``.
    min_delay_seconds, max_retries, timeout
        Rate limit between calls, retries after an error, and the per-request timeout.

    Returns
    -------
    Candidate or None
        The best match (``source="nominatim"``, ``geonameid=0``), or None.

    Examples
    --------
    >>> geocode_online("Goris", enabled=False) is None
    True
    """
    query = " ".join(name.split())
    if not enabled or not query:
        return None
    if min_delay_seconds < 0 or max_retries < 0:
        raise GeoError(
            f"min_delay_seconds={min_delay_seconds}, max_retries={max_retries} — expected "
            "values >= 0"
        )
    endpoint = f"{scheme}://{domain}"
    cache = _cache_path(cache_dir)
    hit, payload = read_cached(cache, endpoint, query)
    if not hit:
        geocode = _rate_limited_geocoder(
            domain, scheme, user_agent, float(min_delay_seconds), int(max_retries), float(timeout)
        )
        try:
            location = geocode(query, exactly_one=True, addressdetails=True)
        except Exception as exc:  # geopy errors, socket errors: never crash the caller
            log.warning("online geocoding of %r at %s failed: %s", query, endpoint, exc)
            return None
        if location is _FAILED:
            log.warning("online geocoding of %r at %s failed; see the geopy log", query, endpoint)
            return None
        payload = None if location is None else dict(location.raw)
        write_cached(cache, endpoint, query, payload)
    return None if payload is None else candidate_from_nominatim(payload)


_FAILED = object()  # RateLimiter's return value once it has swallowed an error


@functools.lru_cache(maxsize=16)
def _rate_limited_geocoder(
    domain: str,
    scheme: str,
    user_agent: str,
    min_delay_seconds: float,
    max_retries: int,
    timeout: float,
) -> Any:
    """One rate-limited Nominatim geocode function per endpoint, shared across calls."""
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    geocoder = Nominatim(domain=domain, scheme=scheme, user_agent=user_agent, timeout=timeout)
    return RateLimiter(
        geocoder.geocode,
        min_delay_seconds=min_delay_seconds,
        max_retries=max_retries,
        error_wait_seconds=max(min_delay_seconds, 1.0) if max_retries else min_delay_seconds,
        swallow_exceptions=True,
        return_value_on_exception=_FAILED,
    )


def candidate_from_nominatim(raw: dict[str, Any]) -> Candidate | None:
    """Turn one Nominatim JSON result into a :class:`Candidate` (None when it has no lon/lat).

    Examples
    --------
    >>> c = candidate_from_nominatim({"lat": "39.51", "lon": "46.34", "name": "Goris",
    ...     "display_name": "Goris, Syunik, Armenia", "addresstype": "town",
    ...     "osm_type": "relation", "osm_id": 1, "address": {"country_code": "am"}})
    >>> (c.name, c.kind, c.countrycode, c.lon, c.lat, c.source)
    ('Goris', 'city', 'AM', 46.34, 39.51, 'nominatim')
    """
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    display = str(raw.get("display_name") or "")
    address: dict[str, Any] = raw["address"] if isinstance(raw.get("address"), dict) else {}
    addresstype = str(raw.get("addresstype") or raw.get("type") or "")
    kind = {"country": "country", "state": "admin1", "province": "admin1", "region": "admin1"}
    return Candidate(
        geonameid=0,
        name=str(raw.get("name") or display.split(",")[0]).strip(),
        kind=kind.get(addresstype, "city"),  # type: ignore[arg-type]
        countrycode=str(address.get("country_code") or "").upper(),
        admin1code="",
        lon=lon,
        lat=lat,
        population=0,
        score=float(raw.get("importance") or 0.0),
        reason=(
            f"Nominatim result {raw.get('osm_type', '?')} {raw.get('osm_id', '?')}"
            f" ({addresstype or 'place'}): {display}"
        ),
        matched=display,
        source="nominatim",
    )


def _cache_path(cache_dir: Path | None) -> Path:
    """Locate the cache file inside ``cache_dir`` (created on demand)."""
    folder = Path(cache_dir) if cache_dir is not None else settings.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / CACHE_FILE


def _connect(path: Path) -> sqlite3.Connection:
    """Open (and create) the cache database."""
    con = sqlite3.connect(path, timeout=10)
    con.execute(
        "CREATE TABLE IF NOT EXISTS geocode (endpoint TEXT NOT NULL, query TEXT NOT NULL,"
        " result TEXT, PRIMARY KEY (endpoint, query))"
    )
    return con


def read_cached(path: Path, endpoint: str, query: str) -> tuple[bool, dict[str, Any] | None]:
    """``(hit, raw result or None)`` for a query at an endpoint; a broken cache is a miss."""
    try:
        con = _connect(path)
        try:
            row = con.execute(
                "SELECT result FROM geocode WHERE endpoint = ? AND query = ?", (endpoint, query)
            ).fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("%s: geocoding cache unreadable (%s); asking the server", path, exc)
        return False, None
    if row is None:
        return False, None
    return True, (None if row[0] is None else json.loads(row[0]))


def write_cached(path: Path, endpoint: str, query: str, raw: dict[str, Any] | None) -> None:
    """Store a raw result (None for "nothing found"); a cache that cannot be written is logged."""
    try:
        con = _connect(path)
        try:
            with con:
                con.execute(
                    "INSERT OR REPLACE INTO geocode VALUES (?, ?, ?)",
                    (endpoint, query, None if raw is None else json.dumps(raw, ensure_ascii=False)),
                )
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("%s: cannot write the geocoding cache (%s)", path, exc)
