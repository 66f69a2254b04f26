"""Export layers as RFC 7946 GeoJSON, GeoPackage (one table per layer) or CSV, atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geo.errors import ExportError

#: Export formats and their file suffix.
FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv"}

#: Decimal places kept in coordinates (6 decimals is about 0.1 m).
COORDINATE_DECIMALS = 6


def to_json_value(value: Any) -> Any:
    """Return a JSON-ready copy of a property value (dates as ISO strings, NaN as ``None``).

    Examples
    --------
    >>> to_json_value({"d": dt.date(2023, 9, 19), "n": float("nan"), "l": (1, np.int64(2))})
    {'d': '2023-09-19', 'n': None, 'l': [1, 2]}
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [to_json_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def rfc7946_geometry(geometry: shapely.Geometry | None) -> dict[str, Any] | None:
    """GeoJSON geometry: counter-clockwise exterior rings, coordinates rounded to 6 decimals.

    Examples
    --------
    >>> g = rfc7946_geometry(shapely.Polygon([(0, 0), (0, 1), (1.1234567, 0)]))
    >>> g["coordinates"][0][:3]
    [[0.0, 0.0], [1.123457, 0.0], [0.0, 1.0]]
    >>> rfc7946_geometry(None) is None
    True
    """
    if geometry is None or geometry.is_empty:
        return None
    oriented = shapely.orient_polygons(geometry, exterior_cw=False)
    rounded = shapely.transform(oriented, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return json.loads(json.dumps(mapping(rounded)))


def to_feature_collection(layer: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return the RFC 7946 FeatureCollection of a layer (no ``crs``; ``id`` on each feature).

    Examples
    --------
    >>> to_feature_collection(gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326"))
    {'type': 'FeatureCollection', 'features': []}
    """
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs("EPSG:4326")
    columns = [c for c in layer.columns if c != layer.geometry.name]
    features = []
    for row, geometry in zip(layer[columns].itertuples(index=False), layer.geometry, strict=True):
        properties = {c: to_json_value(v) for c, v in zip(columns, row, strict=True)}
        features.append(
            {
                "type": "Feature",
                "id": properties.get("id"),
                "geometry": rfc7946_geometry(geometry),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def select_layers(
    layers: Mapping[str, gpd.GeoDataFrame], layer: str = "all"
) -> dict[str, gpd.GeoDataFrame]:
    """Select the layers to write: all, or one by name (``ExportError`` if unknown).

    Examples
    --------
    >>> select_layers({"regions": None}, "roads")
    Traceback (most recent call last):
    ...
    geo.errors.ExportError: unknown layer 'roads' — expected one of: all, regions
    """
    if layer == "all":
        return dict(layers)
    if layer not in layers:
        raise ExportError(
            f"unknown layer '{layer}' — expected one of: {', '.join(['all', *layers])}"
        )
    return {layer: layers[layer]}


def _flat(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy a layer with list and dict columns as JSON strings and every value JSON-plain."""
    flat = layer.copy()
    for column in flat.columns:
        if column == flat.geometry.name:
            continue
        values = [to_json_value(v) for v in flat[column]]
        if any(isinstance(v, (list, dict)) for v in values):
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        flat[column] = pd.Series(values, index=flat.index, dtype=object)
    return flat


def _file_type(path: Path) -> str:
    """Describe what kind of file system object ``path`` is (for error messages)."""
    mode = path.stat().st_mode
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def regular_target(path: Path | str) -> Path:
    """Return the file an export to ``path`` replaces, refusing anything but a regular file.

    - A symlink is followed: the export replaces the file it points to (the link stays, and
      still points to the new file); a link to a missing file creates that file.
    - A path that exists but is not a regular file (``/dev/full``, a named pipe, a socket) is
      refused: the atomic rename would replace the device or pipe itself with a plain file.

    Examples
    --------
    >>> regular_target("/dev/null")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.ExportError: cannot write /dev/null: it is a character device — expected a ...
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.exists() and not target.is_file():
        shown = str(path) if target == path else f"{path} (a link to {target})"
        raise ExportError(
            f"cannot write {shown}: it is {_file_type(target)} — expected a regular file or "
            "a new path"
        )
    return target


def check_target(path: Path | str, fmt: str = "geojson") -> Path:
    """Check, before any work, that ``path`` can receive an export of format ``fmt``.

    Returns the path to write: ``path`` itself, the file a symlink points to (see
    ``regular_target``), or an existing folder (one file per layer).

    Examples
    --------
    >>> check_target("/nonexistent-folder/out.geojson")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.ExportError: cannot write /nonexistent-folder/out.geojson: folder ... does not...
    """
    path = Path(path)
    if fmt not in _WRITERS:
        raise ExportError(f"unknown format '{fmt}' — expected one of: {', '.join(_WRITERS)}")
    if not path.is_dir():
        path = regular_target(path)
    if path.is_dir():
        if fmt == "gpkg":
            raise ExportError(f"cannot write {path}: it is a folder — expected a .gpkg file path")
        folder = path
    else:
        folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist — create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: folder {folder} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` when the block succeeds.

    Any failure removes the temporary file and leaves an existing ``path`` untouched. A path
    that is not a regular file is refused and a symlink is followed (``regular_target``).
    """
    path = regular_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist — create it first")
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=folder
        )
    except OSError as exc:
        raise ExportError(
            f"cannot write {path}: {exc.strerror or exc} — choose a writable folder"
        ) from None
    os.close(handle)
    temp = Path(name)
    temp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _write_geojson(layers: Mapping[str, gpd.GeoDataFrame], target: Path) -> None:
    """One FeatureCollection holding every given layer's features."""
    features = []
    for frame in layers.values():
        features.extend(to_feature_collection(frame)["features"])
    collection = {"type": "FeatureCollection", "features": features}
    target.write_text(json.dumps(collection, ensure_ascii=False, allow_nan=False), encoding="utf-8")


def _write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], target: Path) -> None:
    """Write one GeoPackage table per layer (empty layers become empty tables).

    GDAL promotes a table with both single and multi geometries to the multi type.
    """
    import pyogrio

    for name, frame in layers.items():
        flat = _flat(frame)
        if len(flat):
            flat = flat.set_geometry(
                [shapely.orient_polygons(g, exterior_cw=False) for g in flat.geometry],
                crs=frame.crs,
            )
        pyogrio.write_dataframe(flat, target, layer=name, driver="GPKG", append=target.exists())


def _write_csv(layers: Mapping[str, gpd.GeoDataFrame], target: Path) -> None:
    """One CSV: WKT ``geometry`` column, list/dict columns as JSON strings."""
    frames = []
    for frame in layers.values():
        flat = pd.DataFrame(_flat(frame).drop(columns=frame.geometry.name))
        flat["geometry"] = (
            shapely.to_wkt(
                np.asarray(frame.geometry.values, dtype=object),
                rounding_precision=COORDINATE_DECIMALS,
                trim=True,
            )
            if len(frame)
            else pd.Series([], dtype=object)
        )
        frames.append(flat)
    columns: list[str] = []
    for flat in frames:
        columns.extend(c for c in flat.columns if c not in columns)
    columns = [c for c in columns if c != "geometry"] + ["geometry"]
    table = (
        pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
        if frames
        else pd.DataFrame(columns=columns)
    )
    table.to_csv(target, index=False, encoding="utf-8")


_WRITERS: dict[str, Callable[[Mapping[str, gpd.GeoDataFrame], Path], None]] = {
    "geojson": _write_geojson,
    "gpkg": _write_gpkg,
    "csv": _write_csv,
}


def _size_text(size: int) -> str:
    """Human-readable file size.

    Examples
    --------
    >>> [_size_text(n) for n in (0, 1536, 2_200_000)]
    ['0 B', '1.5 kB', '2.1 MB']
    """
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} MB"  # pragma: no cover


def written_summary(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """One line about a written file: features, layers, path and size.

    Examples
    --------
    >>> frame = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    >>> written_summary(Path("/nonexistent/x.geojson"), {"regions": frame})
    'wrote 0 features to /nonexistent/x.geojson'
    """
    count = sum(len(frame) for frame in layers.values())
    filled = sum(1 for frame in layers.values() if len(frame))
    text = f"wrote {count} feature{'s' if count != 1 else ''}"
    if filled:
        text += f" in {filled} layer{'s' if filled != 1 else ''}"
    text += f" to {path}"
    with contextlib.suppress(OSError):
        text += f" ({_size_text(path.stat().st_size)})"
    return text


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path | str,
    *,
    fmt: str = "geojson",
    layer: str = "all",
    report: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write layers to ``path``; return the files written.

    - ``geojson``: one FeatureCollection; with ``layer="all"`` it holds every layer's features
      (each carries its ``layer`` property). When ``path`` is an existing folder, one
      ``<layer>.geojson`` per layer is written inside it instead.
    - ``gpkg``: one GeoPackage with one table per layer.
    - ``csv``: one table (``layer`` column, WKT ``geometry``, JSON strings for lists); an
      existing folder gets one ``<layer>.csv`` per layer.

    Every file is written to a temporary file in the same folder and renamed into place, so
    a failure never leaves a partial file. An empty selection writes valid empty files. A path
    that exists but is not a regular file (a device, a pipe) is refused; a symlink is followed
    and the file it points to is replaced (see ``regular_target``). ``report`` receives one
    line per written file (``written_summary``).

    Raises
    ------
    ExportError
        Unknown format or layer, or a path that cannot be written.
    """
    path = check_target(path, fmt)
    selected = select_layers(layers, layer)
    if path.is_dir():
        targets = {
            path / f"{name}{FORMATS[fmt]}": {name: frame} for name, frame in selected.items()
        }
    else:
        targets = {path: selected}
    for target, chosen in targets.items():
        with atomic_path(target) as temp:
            try:
                _WRITERS[fmt](chosen, temp)
            except ExportError:
                raise
            except (OSError, ValueError, RuntimeError) as exc:
                raise ExportError(f"cannot write {target}: {exc}") from exc
        if report is not None:
            report(written_summary(regular_target(target), chosen))
    return list(targets)
