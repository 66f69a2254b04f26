"""Documented defaults (paths, region, CRS, cache), read at call time and overridable."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder holding ``data/``, ``seeds/`` and ``app.py``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Coordinate reference system of every geometry inside ``geo/``: WGS84 lon/lat.
CRS = "EPSG:4326"

#: Bounding box (min lon, min lat, max lon, max lat) of the bundled regional data. A gazetteer
#: point that falls outside the box of its file's region is reported (often swapped lon/lat).
REGION_BBOX: tuple[float, float, float, float] = (42.0, 36.5, 52.0, 43.5)

#: Geometry precision vocabulary, and the ACLED-style geo precision levels.
PRECISIONS = ("exact", "approximate", "schematic")
GEO_PRECISION_LEVELS = {1: "town", 2: "area near a town", 3: "region"}

#: Mention roles.
ROLES = ("locative", "metonymic", "attributive")


def data_dir() -> Path:
    """Folder with the bundled data (``$REFMAP_DATA_DIR`` or ``<repo>/data``)."""
    return Path(os.environ.get("REFMAP_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def boundaries_dir() -> Path:
    """Folder with the bundled boundary files (``<data>/boundaries``)."""
    return data_dir() / "boundaries"


def gazetteer_dir() -> Path:
    """Folder with the gazetteer YAML files (``<data>/gazetteer``)."""
    return data_dir() / "gazetteer"


def seeds_dir() -> Path:
    """Folder with the bundled articles (``$REFMAP_SEEDS_DIR`` or ``<repo>/seeds``)."""
    return Path(os.environ.get("REFMAP_SEEDS_DIR", PROJECT_ROOT / "seeds")).resolve()


def cache_dir() -> Path:
    """Folder for rebuildable caches (``$REFMAP_CACHE_DIR`` or ``~/.cache/refmap``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "refmap"
    return Path(os.environ.get("REFMAP_CACHE_DIR", default)).resolve()
