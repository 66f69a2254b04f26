"""The bundled boundary data (countries, world, admin-1, special areas, places) and its lookups."""

# Two layers hold the six regional countries (ARM, AZE, GEO, IRN, TUR, RUS): ``countries`` in
# detail, clipped to ``settings.REGION_BBOX`` (what lookups answer), and ``world_regional`` whole
# at world resolution (context beyond the box for the basemap only; never used by lookups).

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.errors import BoundaryError

#: Columns of each layer, in order (see docs/design.md "Boundaries").
LAYERS: dict[str, tuple[str, ...]] = {
    "countries": ("iso_a3", "iso_a2", "name"),
    "world": ("iso_a3", "iso_a2", "name"),
    "world_regional": ("iso_a3", "iso_a2", "name"),
    "admin1": ("iso_3166_2", "adm0_a3", "name", "name_en", "aliases", "geonameid", "type"),
    "special_areas": ("id", "name", "precision", "note", "source"),
    "places": ("geonameid", "name", "countrycode", "admin1code", "population", "alternatenames"),
}
REBUILD_HINT = "rebuild it with `make data` (or restore it with `git checkout data/boundaries`)"
#: Tolerance (degrees, about 20 m) within which a boundary counts as shared with a neighbour.
BORDER_TOLERANCE = 2e-4

_GEOD = Geod(ellps="WGS84")
_CACHE: dict[tuple, Boundaries] = {}


# --------------------------------------------------------------------------- measurement


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat (multi)polygon on the WGS84 ellipsoid, in km².

    Examples
    --------
    >>> round(area_km2(shapely.box(0, 0, 1, 1)))
    12309
    """
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def length_km(geom: BaseGeometry) -> float:
    """Geodesic length of lon/lat lines on the WGS84 ellipsoid, in km.

    Examples
    --------
    >>> round(length_km(shapely.LineString([(0, 0), (1, 0)])), 1)
    111.3
    """
    if geom.is_empty:
        return 0.0
    return _GEOD.geometry_length(geom) / 1000


def border_km(a: BaseGeometry, b: BaseGeometry, tolerance: float = BORDER_TOLERANCE) -> float:
    """Length in km of the part of ``a``'s boundary that lies within ``tolerance``° of ``b``.

    Examples
    --------
    >>> round(border_km(shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)), 1)
    110.6

    The tolerance adds up to about ``2 * tolerance`` degrees of the other edges at each end
    of a border (here 110.57 km of shared edge measure 110.62 km).
    >>> border_km(shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6))
    0.0
    """
    shared = shapely.intersection(a.boundary, shapely.buffer(b, tolerance))
    return length_km(shared)


# --------------------------------------------------------------------------- loading


def fold(text: str) -> str:
    """Case- and diacritic-insensitive key for names (``"Şuşa"`` and ``"susa"`` match).

    Examples
    --------
    >>> fold("Laçın") == fold("LACIN")
    True
    """
    text = unicodedata.normalize("NFKD", str(text).casefold()).replace("ı", "i")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).strip()


def _file_key(directory: Path) -> tuple:
    """Cache key: the directory plus every layer file's mtime and size (None when absent)."""
    stamps: list[tuple[str, int | None, int | None]] = []
    for layer in LAYERS:
        path = directory / f"{layer}.geojson"
        try:
            stat = path.stat()
            stamps.append((layer, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((layer, None, None))
    return (str(directory), tuple(stamps))


def _read_layer(directory: Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer file, checking that it exists, parses and has the expected columns."""
    path = directory / f"{layer}.geojson"
    if not path.is_file():
        raise BoundaryError(f"{path}: boundary file is missing; {REBUILD_HINT}")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise BoundaryError(
            f"{path}: cannot read the boundary file ({exc}); {REBUILD_HINT}"
        ) from exc
    missing = [c for c in LAYERS[layer] if c not in frame.columns]
    if missing or frame.geometry.isna().any():
        what = f"columns {missing} missing" if missing else "features without geometry"
        raise BoundaryError(
            f"{path}: {what} — expected columns {', '.join(LAYERS[layer])}; {REBUILD_HINT}"
        )
    frame = frame[[*LAYERS[layer], "geometry"]]
    if frame.crs is None:
        frame = frame.set_crs(settings.CRS)
    return _normalise_types(frame, layer)


def _normalise_types(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Give id columns stable dtypes (nullable integers, empty strings for missing text)."""
    frame = frame.copy()
    for column in ("geonameid", "population"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    text_columns = [c for c in LAYERS[layer] if c not in ("geonameid", "population")]
    for column in text_columns:
        frame[column] = frame[column].fillna("").astype(str)
    return frame


def load_boundaries(directory: Path | None = None) -> Boundaries:
    """Load the bundled boundary layers (cached until a file changes).

    Parameters
    ----------
    directory
        Folder holding ``countries``, ``world``, ``world_regional``, ``admin1``,
        ``special_areas`` and ``places`` ``.geojson`` files; by default
        ``settings.boundaries_dir()``.

    Raises
    ------
    BoundaryError
        A file is missing or unreadable (the message names it and says how to rebuild).
    """
    directory = Path(directory or settings.boundaries_dir()).resolve()
    key = _file_key(directory)
    if key not in _CACHE:
        layers = {layer: _read_layer(directory, layer) for layer in LAYERS}
        _CACHE.clear()
        _CACHE[key] = Boundaries(directory=directory, **layers)
    return _CACHE[key]


# --------------------------------------------------------------------------- lookups


def _first_by(
    frames: list[gpd.GeoDataFrame], column: str, key: Callable[[Any], Any] | None = None
) -> dict[Any, BaseGeometry]:
    """Map each value of ``column`` (through ``key``) to the geometry of its first row.

    Rows with a missing value are left out. Replaces a boolean mask per lookup (about 1 ms
    each) with one pass per layer.

    Examples
    --------
    >>> points = [shapely.Point(i, 0) for i in range(3)]
    >>> frame = gpd.GeoDataFrame({"c": ["a", "b", "a"]}, geometry=points)
    >>> {k: g.x for k, g in _first_by([frame], "c").items()}
    {'a': 0.0, 'b': 1.0}
    """
    index: dict[Any, BaseGeometry] = {}
    for frame in frames:
        for value, geom in zip(frame[column], frame.geometry, strict=True):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                continue
            index.setdefault(key(value) if key else value, geom)
    return index


def _did_you_mean(wanted: str, choices: list[str]) -> str:
    """' — did you mean X, Y?' for close names, or a short list of what exists."""
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(fold(choice), choice)
    key = fold(wanted)
    scores = {k: difflib.SequenceMatcher(None, key, k).ratio() for k in by_key}
    order = {k: i for i, k in enumerate(by_key)}  # ties keep the order of ``choices``
    close = sorted((k for k in by_key if scores[k] >= 0.6), key=lambda k: (-scores[k], order[k]))
    close = close[:4]
    if close:
        return "did you mean " + ", ".join(repr(by_key[c]) for c in close) + "?"
    sample = ", ".join(sorted(set(choices))[:8])
    return f"known values include {sample}"


@dataclass(frozen=True, eq=False, repr=False)
class Boundaries:
    """The bundled boundary layers (GeoDataFrames in EPSG:4326) and lookups into them.

    ``countries`` holds the six regional countries in detail, clipped to the region box;
    ``world`` every other country, coarse; ``world_regional`` the six regional countries whole
    but coarse (world resolution), for drawing land beyond the box. Lookups never read
    ``world_regional``: ``country("TUR")`` is the detailed, clipped outline.
    """

    directory: Path
    countries: gpd.GeoDataFrame
    world: gpd.GeoDataFrame
    world_regional: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame
    special_areas: gpd.GeoDataFrame
    places: gpd.GeoDataFrame

    def __repr__(self) -> str:
        sizes = ", ".join(f"{layer}={len(getattr(self, layer))}" for layer in LAYERS)
        return f"Boundaries({self.directory}: {sizes})"

    @cached_property
    def regional_codes(self) -> frozenset[str]:
        """ISO3 codes of the countries outlined in detail (the ``countries`` layer)."""
        return frozenset(self.countries["iso_a3"])

    @cached_property
    def _by_country(self) -> dict[str, BaseGeometry]:
        """Outline by ISO3 code: the first row of ``countries``, else of ``world``."""
        return _first_by([self.countries, self.world], "iso_a3")

    @cached_property
    def _by_admin1_code(self) -> dict[str, BaseGeometry]:
        """First-level unit by upper-case ISO 3166-2 code (first row wins)."""
        return _first_by([self.admin1], "iso_3166_2", str.upper)

    @cached_property
    def _by_special_area(self) -> dict[str, BaseGeometry]:
        return _first_by([self.special_areas], "id")

    @cached_property
    def _by_geonameid(self) -> dict[int, BaseGeometry]:
        return _first_by([self.places], "geonameid", int)

    def country(self, iso3: str) -> BaseGeometry:
        """Outline of a country by ISO 3166-1 alpha-3 code: regional detail first, then world.

        A regional country is always its detailed outline from ``countries`` (clipped to the
        region box), never the coarse whole one from ``world_regional``.

        Raises
        ------
        BoundaryError
            The code is in neither layer (the message suggests close codes and names).
        """
        code = str(iso3).strip().upper()
        if code in self._by_country:
            return self._by_country[code]
        both = pd.concat([self.countries, self.world])
        by_name = {fold(n): c for n, c in zip(both["name"], both["iso_a3"], strict=True)}
        if fold(iso3) in by_name:
            hint = f"{iso3!r} is a name; use its code {by_name[fold(iso3)]!r}"
        else:  # regional codes first: they are what the region's analysts mostly mean
            hint = _did_you_mean(code, [*self.countries["iso_a3"], *self.world["iso_a3"]])
        raise BoundaryError(
            f"unknown country {iso3!r} — expected an ISO 3166-1 alpha-3 code such as 'ARM'; {hint}"
        )

    def admin1_unit(
        self, code: str | None = None, *, country: str | None = None, name: str | None = None
    ) -> BaseGeometry:
        """First-level unit by ISO 3166-2 code, or by name (any spelling) within a country.

        Names match ``name``, ``name_en`` and every alias, ignoring case and diacritics.

        Raises
        ------
        BoundaryError
            Neither or both of ``code`` and ``name`` given, nothing matches (with close names),
            or a name matches several units (with their codes).
        """
        if (code is None) == (name is None):
            raise BoundaryError(
                "admin-1 reference needs exactly one of a code ('AM-SU') or a name "
                "({country: ARM, name: Syunik})"
            )
        frame = self.admin1
        if code is not None:
            hit = self._by_admin1_code.get(str(code).strip().upper())
            if hit is not None:
                return hit
            raise BoundaryError(
                f"unknown admin-1 code {code!r} — expected an ISO 3166-2 code in the bundled "
                f"data; {_did_you_mean(str(code), list(frame['iso_3166_2']))}"
            )
        scope = frame
        if country is not None:
            scope = frame.loc[frame["adm0_a3"] == str(country).strip().upper()]
            if scope.empty:
                raise BoundaryError(
                    f"no admin-1 units for country {country!r} — expected one of "
                    f"{', '.join(sorted(set(frame['adm0_a3'])))}"
                )
        return self._admin1_by_name(scope, str(name), country)

    def _admin1_by_name(self, scope: gpd.GeoDataFrame, name: str, country: str | None):
        """Match a name against the names, English names and aliases of ``scope``."""
        key = fold(name)
        primary = scope.loc[(scope["name"].map(fold) == key) | (scope["name_en"].map(fold) == key)]
        hits = primary
        if hits.empty:
            aliased = scope["aliases"].map(lambda text: key in {fold(a) for a in text.split("|")})
            hits = scope.loc[aliased]
        where = f" in {country}" if country else ""
        if len(hits) == 1:
            return hits["geometry"].iloc[0]
        if len(hits) > 1:
            listing = ", ".join(f"{r.iso_3166_2} ({r.name}, {r.type})" for r in hits.itertuples())
            raise BoundaryError(
                f"admin-1 name {name!r} matches {len(hits)} units{where}: {listing} — expected "
                "one; use the ISO 3166-2 code instead"
            )
        choices = [*scope["name"], *scope["name_en"]]
        choices += [a for text in scope["aliases"] for a in text.split("|") if a]
        raise BoundaryError(
            f"unknown admin-1 unit {name!r}{where} — expected a name, English name or alias; "
            f"{_did_you_mean(name, choices)}"
        )

    def special_area(self, area_id: str) -> BaseGeometry:
        """Geometry of a special area (``nakhchivan_ar``, ``nagorno_karabakh``)."""
        frame = self.special_areas
        if area_id in self._by_special_area:
            return self._by_special_area[area_id]
        raise BoundaryError(
            f"unknown special area {area_id!r} — expected one of "
            f"{', '.join(frame['id'])}; {_did_you_mean(str(area_id), list(frame['id']))}"
        )

    def place(self, geonameid: int) -> BaseGeometry:
        """Point of a GeoNames populated place in the bundled ``places`` layer."""
        try:
            wanted = int(geonameid)
        except (TypeError, ValueError):
            wanted = None
        if wanted is not None and wanted in self._by_geonameid:
            return self._by_geonameid[wanted]
        raise BoundaryError(
            f"unknown GeoNames id {geonameid!r} — expected the id of a place in "
            f"{self.directory / 'places.geojson'}; find it with `python -m geo suggest` or add "
            "the place as a point"
        )
