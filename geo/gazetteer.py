"""Parse and validate the gazetteer YAML into ``Place`` records, with file:line problems."""

from __future__ import annotations

import datetime as dt
import difflib
import graphlib
import hashlib
import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

import shapely
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

try:  # libyaml's C parser (ruamel.yaml.clib, or clibz): ~10x faster than the pure scanner
    from ruamel.yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - the pure-Python composer stays correct, only slower
    _CParser = None

from geo import settings
from geo.errors import GazetteerError, Problem
from geo.models import Origin, Place, Precision

__all__ = [
    "BASE_KEYS",
    "KINDS",
    "Gazetteer",
    "GazetteerEntry",
    "GeometrySpec",
    "check_gazetteer",
    "collect_gazetteer",
    "display_path",
    "gazetteer_files",
    "gazetteer_fingerprint",
    "gazetteer_json_schema",
    "load_gazetteer",
    "normalize_alias",
    "parse_gazetteer",
    "spec_references",
    "surface_forms",
]

# --------------------------------------------------------------------------- vocabularies

Kind = Literal[
    "country", "region", "settlement", "corridor", "border", "incident", "water", "landmark"
]
Status = Literal["existing", "proposed", "claimed", "closed", "disputed", "former"]
DatePrecision = Literal["day", "week", "month", "year"]
KINDS: tuple[str, ...] = get_args(Kind)
STATUSES: tuple[str, ...] = get_args(Status)
DATE_PRECISIONS: tuple[str, ...] = get_args(DatePrecision)
#: Geometry base keys; a spec holds exactly one of them (plus the optional ``buffer_km``).
BASE_KEYS = (
    "point",
    "points",
    "line",
    "polygon",
    "wkt",
    "geonames",
    "admin0",
    "admin1",
    "special_area",
    "union",
    "line_through",
    "shared_border",
    "file",
)
#: Geometry keys whose values are (or may hold) ids of other places.
REFERENCE_KEYS = ("points", "union", "line_through", "shared_border")
#: Suffixes accepted by ``geometry: {file: ...}``.
FILE_SUFFIXES = (".geojson", ".json", ".gpkg")

SLUG_RE = r"^[a-z][a-z0-9_]*$"
ISO3_RE = r"^[A-Z]{3}$"
ISO3166_2_RE = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"
_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_MAX_NODES = 200_000  # guards against alias ("billion laughs") expansion
#: Deepest nesting accepted; a gazetteer needs about 8 (file, places, entry, geometry, polygon,
#: ring, coordinate). Deeper input is refused before composing (it would exhaust the stack).
_MAX_DEPTH = 64

# --------------------------------------------------------------------------- pydantic model


def _parse_iso_date(value: Any) -> Any:
    """Accept a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string, nothing else."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date without time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return dt.date.fromisoformat(value.strip())  # ValueError for 2022-13-45
    raise ValueError("an ISO date YYYY-MM-DD")


Slug = Annotated[str, Field(pattern=SLUG_RE)]
ISO3 = Annotated[str, Field(pattern=ISO3_RE)]
Text = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Coordinate = Annotated[
    list[Number],
    Field(min_length=2, max_length=2, description="[lon, lat] in degrees, longitude FIRST"),
]
IsoDate = Annotated[
    dt.date,
    BeforeValidator(_parse_iso_date),
    Field(json_schema_extra={"type": "string", "format": "date"}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AdminRef(_Model):
    """A first-level unit named by its country and name instead of its ISO 3166-2 code."""

    country: ISO3 = Field(description="ISO 3166-1 alpha-3 code of the country, e.g. ARM.")
    name: Text = Field(description="Name or alias of the unit in the bundled data, e.g. Syunik.")


class SourceRef(_Model):
    """Where the analyst took an entry from."""

    article: str | None = Field(None, description="Article id or file name in seeds/.")
    url: str | None = Field(None, description="Web address of the source.")
    note: str | None = Field(None, description="What the source says or why it is cited.")


_ONE_BASE_KEY: list[Any] = [{"required": [key]} for key in BASE_KEYS]


class GeometrySpec(_Model):
    """A geometry spec: exactly one base key, plus the optional ``buffer_km`` modifier."""

    model_config = ConfigDict(json_schema_extra={"oneOf": _ONE_BASE_KEY})

    point: Coordinate | None = Field(
        None, description="One position [lon, lat] (longitude first). Source: analyst, exact."
    )
    points: Annotated[list[Coordinate | Slug], Field(min_length=1)] | None = Field(
        None, description="Several positions: [lon, lat] pairs or ids of other places."
    )
    line: Annotated[list[Coordinate], Field(min_length=2)] | None = Field(
        None, description="A line through [[lon, lat], [lon, lat], ...] (at least 2 points)."
    )
    polygon: (
        Annotated[list[Annotated[list[Coordinate], Field(min_length=3)]], Field(min_length=1)]
        | None
    ) = Field(
        None,
        description="Rings of [lon, lat]: the exterior ring first, then holes. Rings close "
        "automatically.",
    )
    wkt: Text | None = Field(
        None, description="Well-known text in lon/lat, e.g. POINT (46.3 39.2)."
    )
    geonames: Annotated[int, Field(strict=True, gt=0)] | None = Field(
        None, description="GeoNames id of a populated place in the bundled data. Source: GeoNames."
    )
    admin0: ISO3 | None = Field(
        None, description="ISO 3166-1 alpha-3 code of a country in the bundled boundaries (ARM)."
    )
    admin1: Annotated[str, Field(pattern=ISO3166_2_RE)] | AdminRef | None = Field(
        None,
        description="First-level unit: ISO 3166-2 code (AM-SU) or {country: ARM, name: Syunik}.",
    )
    special_area: Slug | None = Field(
        None,
        description="Id of a special area in the bundled data (nakhchivan_ar, nagorno_karabakh).",
    )
    union: Annotated[list[Slug], Field(min_length=1)] | None = Field(
        None, description="Ids of places whose geometries are merged into one."
    )
    line_through: Annotated[list[Slug], Field(min_length=2)] | None = Field(
        None,
        description="Ids of waypoint places, in order; a schematic line through their "
        "representative points.",
    )
    shared_border: Annotated[list[Slug], Field(min_length=2, max_length=2)] | None = Field(
        None,
        description="Two ids of places with polygon geometry; the border is computed from them, "
        "never drawn.",
    )
    file: Text | None = Field(
        None,
        description="Path of a GeoJSON or GeoPackage file inside data/ (relative to data/, "
        "no '..').",
    )
    buffer_km: Annotated[float, Field(strict=True, gt=0, le=2000)] | None = Field(
        None, description="Grow the geometry by this many kilometres (geodesic), e.g. 5."
    )


class GazetteerEntry(_Model):
    """One place (or incident) as written in the gazetteer YAML."""

    id: Slug = Field(description="Unique id: lower-case letters, digits and _, e.g. meghri.")
    name: Text = Field(description="Display name shown on the map, e.g. Meghri.")
    kind: Kind = Field(description="What the place is: " + ", ".join(KINDS) + ".")
    aliases: list[Text] = Field(
        [], description="Every spelling, exonym and script that articles use for this place."
    )
    names: dict[str, Text] = Field(
        {}, description="Names by language or party, e.g. {hy: Մեղրի, az: Mehri}."
    )
    geometry: GeometrySpec | None = Field(None, description="Where the place is (a geometry spec).")
    status: Status | None = Field(None, description="Status: " + ", ".join(STATUSES) + ".")
    claimed_by: list[Annotated[str, Field(pattern=r"^(?:[A-Z]{3}|[a-z][a-z0-9_]*)$")]] = Field(
        [], description="Who claims or proposes it: ISO3 codes (AZE) or place ids."
    )
    valid_from: IsoDate | None = Field(None, description="First day the entry holds (YYYY-MM-DD).")
    valid_to: IsoDate | None = Field(None, description="Last day the entry holds (YYYY-MM-DD).")
    precision: Precision | None = Field(
        None, description="Override the resolved precision: exact, approximate or schematic."
    )
    geo_precision: Literal[1, 2, 3] | None = Field(
        None, description="ACLED-style level: 1 town, 2 area near a town, 3 region."
    )
    notes: str | None = Field(None, description="Free text for analysts; shown in popups.")
    sources: list[SourceRef] = Field([], description="Where this entry comes from.")
    country: ISO3 | None = Field(None, description="ISO3 code of the country it lies in.")
    context: list[Text] = Field(
        [], description="Cue words that favour this place when an alias is shared."
    )
    default_for: list[Text] = Field(
        [], description="Shared aliases this place wins when no context cue decides."
    )
    date: IsoDate | None = Field(None, description="Incidents: the day it happened (YYYY-MM-DD).")
    date_precision: DatePrecision | None = Field(
        None, description="Incidents: how precise the date is: day, week, month or year."
    )
    places: list[Slug] = Field([], description="Incidents: ids of the places involved.")
    description: str | None = Field(None, description="Incidents: what happened.")


#: Common words analysts use for a kind, mapped to the kind refmap uses.
_KIND_SYNONYMS = {
    **dict.fromkeys(("town", "city", "village", "capital", "place", "hamlet"), "settlement"),
    **dict.fromkeys(("province", "state", "district", "area", "rayon", "marz"), "region"),
    **dict.fromkeys(("river", "lake", "sea", "reservoir"), "water"),
    **dict.fromkeys(("route", "road", "railway", "pipeline"), "corridor"),
    **dict.fromkeys(("frontier", "boundary", "line"), "border"),
    **dict.fromkeys(("event", "attack", "clash"), "incident"),
    "nation": "country",
    **dict.fromkeys(("bridge", "checkpoint", "monastery", "mountain", "pass"), "landmark"),
}

_FILE_KEYS = {
    "region": "[min_lon, min_lat, max_lon, max_lat] or 'world': the box points must fall in",
    "places": "the list of entries",
}

# Short "expected" phrases per key, for messages.
_EXPECTED = {
    "id": "a slug of lower-case letters, digits and _ starting with a letter (e.g. meghri)",
    "name": "a non-empty display name",
    "kind": "one of " + ", ".join(KINDS),
    "aliases": "a list of strings, e.g. [Meghri, Mehri]",
    "names": "a mapping {language-or-party: name}",
    "geometry": "a mapping with exactly one of " + ", ".join(BASE_KEYS),
    "status": "one of " + ", ".join(STATUSES),
    "claimed_by": "a list of ISO3 codes (AZE) or place ids",
    "valid_from": "an ISO date YYYY-MM-DD",
    "valid_to": "an ISO date YYYY-MM-DD",
    "date": "an ISO date YYYY-MM-DD",
    "precision": "one of " + ", ".join(settings.PRECISIONS),
    "geo_precision": "1 (town), 2 (area near a town) or 3 (region)",
    "notes": "text",
    "description": "text",
    "sources": "a list of {article, url, note}",
    "country": "an ISO 3166-1 alpha-3 code in capitals, e.g. ARM",
    "context": "a list of cue words",
    "default_for": "a list of aliases of this place",
    "date_precision": "one of " + ", ".join(DATE_PRECISIONS),
    "places": "a list of place ids",
    "point": "[lon, lat]: two numbers, longitude first",
    "points": "a list of [lon, lat] pairs or place ids",
    "line": "a list of at least two [lon, lat] pairs",
    "polygon": "a list of rings, each a list of at least three [lon, lat] pairs",
    "wkt": "a WKT string such as 'POINT (46.25 38.9)'",
    "geonames": "a positive GeoNames id (a whole number)",
    "admin0": "an ISO 3166-1 alpha-3 code in capitals, e.g. ARM",
    "admin1": "an ISO 3166-2 code (AM-SU) or {country: ARM, name: Syunik}",
    "special_area": "the id of a special area, e.g. nakhchivan_ar",
    "union": "a list of place ids",
    "line_through": "a list of at least two place ids (waypoints, in order)",
    "shared_border": "exactly two place ids with polygon geometry",
    "file": "a path relative to data/ ending in " + ", ".join(FILE_SUFFIXES),
    "buffer_km": "a positive number of kilometres (at most 2000)",
    "admin1.name": "the unit's name or alias in the bundled data, e.g. Syunik",
    "admin1.country": "the ISO3 code of the unit's country, e.g. ARM",
    "article": "text",
    "url": "text",
    "note": "text",
}

# --------------------------------------------------------------------------- YAML reading


class _Refused:
    """Placeholder for a value whose YAML tag was refused (never constructed)."""

    def __repr__(self) -> str:
        return "<refused>"


@dataclass
class _Doc:
    """A YAML document converted to plain Python, with the 1-based line of every path."""

    path: str
    data: Any = None
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    refused: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def line(self, key_path: Sequence[Any]) -> int:
        """Return the line of ``key_path``, or of its nearest ancestor that has one."""
        key_path = tuple(key_path)
        while key_path not in self.lines and key_path:
            key_path = key_path[:-1]
        return self.lines.get(key_path, 1)

    def problem(
        self, key_path: Sequence[Any], what: str, expected: str = "", hint: str = ""
    ) -> None:
        """Record a problem located at ``key_path``."""
        self.problems.append(Problem(self.path, self.line(key_path), what, expected, hint))


def unfold(value: str) -> str:
    r"""Remove the fold markers ruamel's round-trip scanner leaves in a folded (``>``) scalar.

    In ``rt`` mode ruamel records each fold point of a ``>`` block scalar as a BEL character
    (``\a``) next to the space or line break the fold produced, so that it can re-fold the text
    when dumping. YAML forbids BEL in a document, so every one of them is a marker: removing
    them yields the folded text the YAML specification defines.

    Examples
    --------
    >>> unfold("advanced up to about\a 3.5 km")
    'advanced up to about 3.5 km'
    >>> unfold("")
    ''
    """
    return value.replace("\a", "")


def _tag(node: Node) -> str:
    return str(getattr(node.tag, "value", node.tag))


class _Converter:
    """Turns composed YAML nodes into plain values without ever constructing tagged objects."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.count = 0
        self.scalars = YAML(typ="safe", pure=True).constructor

    def convert(self, node: Node, key_path: tuple[Any, ...]) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooBig
        self.doc.lines.setdefault(key_path, node.start_mark.line + 1)
        tag = _tag(node)
        if tag not in _SAFE_TAGS:
            self.doc.refused.append(key_path)
            self.doc.problem(
                key_path,
                f"unsafe or unknown YAML tag '{tag.replace('tag:yaml.org,2002:', '!!')}'",
                "plain YAML: mappings, lists, strings, numbers and dates",
                "remove the tag; refmap never constructs objects from tags",
            )
            return _Refused()
        if isinstance(node, (MappingNode, SequenceNode)) and len(key_path) >= _MAX_DEPTH:
            raise _TooDeep(node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, key_path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*key_path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if node.style == ">" and isinstance(node.value, str):
            node.value = unfold(node.value)
        if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return str(node.value)
        return self.scalars.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, key_path: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if _tag(key_node) == "tag:yaml.org,2002:merge" or key_node.value == "<<":
                self.doc.problems.append(
                    Problem(
                        self.doc.path,
                        line,
                        "YAML merge key '<<' is not supported",
                        "plain keys",
                        "copy the keys into the entry",
                    )
                )
                continue
            if not isinstance(key_node, ScalarNode) or _tag(key_node) not in _SAFE_TAGS:
                self.doc.problems.append(
                    Problem(self.doc.path, line, "a key that is not plain text", "key: value")
                )
                continue
            key = str(key_node.value)
            if key in out:
                first = self.doc.lines[(*key_path, key)]
                self.doc.problems.append(
                    Problem(
                        self.doc.path,
                        line,
                        f"duplicate key '{key}' (first at line {first})",
                        "each key once per mapping",
                        "merge the two values into one",
                    )
                )
                continue
            self.doc.lines[(*key_path, key)] = line
            out[key] = self.convert(value_node, (*key_path, key))
        return out


class _TooBig(Exception):
    pass


def _syntax_hint(what: str) -> str:
    """Return the usual fix for a YAML syntax error message."""
    if "'\\t'" in what:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in what:
        return "put quotes around a value that contains ': '"
    if "quoted scalar" in what:
        return "close the quote"
    return "check indentation, colons, quotes and brackets"


class _CComposer(*((_CParser,) if _CParser else ()), VersionedResolver):  # type: ignore[misc]
    """libyaml's parser and composer with ruamel's YAML 1.2 resolver, the one ``rt`` mode uses.

    The nodes are ruamel's own (``ScalarNode``...) with the same tags, values and 1-based-able
    ``start_mark`` lines as the round-trip composer's, so ``_Converter`` treats both alike.
    Nothing is constructed here: tags are only resolved to names.
    """

    def __init__(self, text: str) -> None:
        _CParser.__init__(self, text)
        self._parser = self._composer = self
        VersionedResolver.__init__(self, version=None, loadumper=self)


_START_EVENTS = ("MappingStartEvent", "SequenceStartEvent")
_END_EVENTS = ("MappingEndEvent", "SequenceEndEvent")
#: A valid block scalar header: indicator, optional chomping / indentation, then a break or space.
_BLOCK_HEADER_RE = re.compile(r"[|>](?:[-+][1-9]?|[1-9][-+]?)?(?:[ \r\n]|\Z)")
#: Text libyaml reads differently from ruamel's scanner: directives (``%YAML 1.1`` changes how
#: scalars resolve), tabs (ruamel refuses some that libyaml takes as spaces) and the Unicode
#: line breaks NEL, LS, PS (which shift libyaml's line numbers), document end markers
#: (libyaml takes repeated ``...`` lines, ruamel sees another document) and a byte order mark
#: after the start (libyaml skips it). Such text takes the pure path.
_PURE_ONLY_RE = re.compile("^(?:%|\\.\\.\\.)|[\t\x85\u2028\u2029]|(?!\\A)\ufeff", re.MULTILINE)
#: A line of spaces only: before a block scalar's first text line, libyaml reads it as an
#: empty line where ruamel refuses it as more indented than the text.
_SPACES_LINE_RE = re.compile("^ +$", re.MULTILINE)


class _NeedsPure(Exception):
    """The text uses YAML that libyaml reads differently from ruamel's round-trip scanner."""


def _differs(event: Any, text: str, depth: int) -> bool:
    """Whether libyaml may compose ``event`` (``depth`` collections deep) differently from ruamel.

    Tags, anchors and aliases (character sets and empty tagged nodes differ), empty plain
    scalars (placed on another line), block scalar headers ruamel refuses (``>#``), block
    scalars at the root (libyaml ends them at a ``#`` in column 0, ruamel keeps it as text)
    and block scalars with a line of spaces only (see ``_SPACES_LINE_RE``).
    """
    if getattr(event, "anchor", None) is not None or getattr(event, "tag", None) is not None:
        return True
    style = getattr(event, "style", None)
    if style in ("|", ">"):
        start, end = event.start_mark.index, event.end_mark.index
        return (
            depth == 0
            or not _BLOCK_HEADER_RE.match(text, start)
            or _SPACES_LINE_RE.search(text, start, end) is not None
        )
    return type(event).__name__ == "ScalarEvent" and not style and event.value == ""


def _too_deep_line(text: str) -> int | None:
    """Return the 1-based line where ``text`` nests deeper than ``_MAX_DEPTH``, else ``None``.

    Walks libyaml's events (an iterative C parser, no recursion) so that neither composer ever
    recurses on hostile nesting.

    Raises
    ------
    _NeedsPure
        The text uses YAML the two composers read differently (see :func:`_differs`).
    YAMLError
        A syntax error.
    """
    parser = _CComposer(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            name = type(event).__name__
            if name in _START_EVENTS:
                depth += 1
                if depth > _MAX_DEPTH:
                    return int(event.start_mark.line) + 1
            elif name in _END_EVENTS:
                depth -= 1
            if _differs(event, text, depth):
                raise _NeedsPure
    finally:
        parser.dispose()
    return None


def _compose_fast(text: str) -> Node | None:
    """Compose with libyaml; raise when it cannot (the pure composer then has the last word)."""
    composer = _CComposer(text)
    try:
        return composer.get_single_node()
    finally:
        composer.dispose()


def _compose(text: str, pure: bool = False) -> Node | None:
    """Compose ``text`` into nodes: libyaml when it reads it as ruamel's round-trip composer does.

    libyaml composes clean, plain files (what gazetteers are). Text it may read differently
    (``_PURE_ONLY_RE``, :func:`_differs`), or any error, goes to ruamel's pure round-trip
    composer, so syntax errors keep the exact wording and line they always had. Both yield the
    same tags, values and lines for what libyaml composes (tests compare them).

    Raises
    ------
    YAMLError
        A syntax error (from the round-trip composer).
    _TooDeep
        Nesting deeper than ``_MAX_DEPTH``.
    """
    if _CParser is not None and not pure and not _PURE_ONLY_RE.search(text):
        try:
            line = _too_deep_line(text)
        except Exception:
            line = None
        else:
            if line is not None:
                raise _TooDeep(line)
            try:
                return _compose_fast(text)
            except Exception:
                pass
    try:
        return YAML(typ="rt").compose(text)
    except RecursionError as exc:
        raise _TooDeep(1) from exc


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _read_yaml(text: str, path: str, *, pure: bool = False) -> _Doc:
    """Compose ``text`` safely and convert it to plain values (problems recorded, never raised).

    ``pure`` forces ruamel's pure-Python composer (tests compare it with libyaml's).
    """
    doc = _Doc(path, data=[])
    try:
        node = _compose(text, pure)
    except _TooDeep as exc:
        doc.problems.append(_too_deep_problem(path, exc.line))
        return doc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.problem and exc.context:
            what += f" {exc.context}"
            if exc.context_mark is not None and exc.context_mark.line + 1 != line:
                what += f" that starts at line {exc.context_mark.line + 1}"
        doc.problems.append(Problem(path, line, what, "valid YAML", _syntax_hint(what)))
        return doc
    except YAMLError as exc:
        doc.problems.append(Problem(path, 1, f"YAML error: {exc}", "valid YAML"))
        return doc
    except Exception as exc:  # the parser itself gave up (e.g. ruamel on NEL in comments)
        doc.problems.append(
            Problem(
                path,
                1,
                f"the YAML parser could not read this file ({type(exc).__name__}: {exc})",
                "plain UTF-8 YAML",
                "look for unusual characters (NEL U+0085, line/paragraph separators) in "
                "comments and replace them with ordinary line breaks",
            )
        )
        return doc
    if node is None:
        doc.data = []
        return doc
    try:
        doc.data = _Converter(doc).convert(node, ())
    except _TooBig:
        doc.problems.append(
            Problem(
                path,
                1,
                f"more than {_MAX_NODES} YAML nodes",
                "a gazetteer file of reasonable size",
                "avoid expanding anchors (&a / *a) recursively",
            )
        )
        doc.data = []
    except _TooDeep as exc:
        doc.problems.append(_too_deep_problem(path, exc.line))
        doc.data = []
    return doc


def _too_deep_problem(path: str, line: int) -> Problem:
    return Problem(
        path,
        line,
        f"YAML nested more than {_MAX_DEPTH} levels deep",
        "a gazetteer file of entries with flat keys",
        "check the brackets [ ] and { } and the indentation",
    )


# --------------------------------------------------------------------------- pydantic errors


def _describe(value: Any) -> str:
    kinds = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }
    shown = repr(value) if not isinstance(value, (list, dict)) else json.dumps(value, default=str)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if isinstance(value, str):
        return shown
    return f"{shown} ({kinds.get(type(value), type(value).__name__)})"


def _suggest(word: str, choices: Iterable[str]) -> str:
    """Return a "did you mean" hint, or ``""``.

    Examples
    --------
    >>> _suggest("alias", ["aliases", "names"])
    "did you mean 'aliases'?"
    >>> _suggest("zzz", [])
    ''
    """
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[match[0]]}'?" if match else ""


def _data_path(loc: Sequence[Any], data: Any, missing: bool) -> tuple[Any, ...]:
    """Map a pydantic ``loc`` onto the data, dropping union-branch labels.

    With ``missing``, the last element (a required key absent from the data) is kept.
    """
    out: list[Any] = []
    current = data
    for i, element in enumerate(loc):
        in_dict = isinstance(current, dict) and element in current
        in_list = isinstance(current, list) and isinstance(element, int)
        if in_dict or (in_list and 0 <= element < len(current)):
            current = current[element]
            out.append(element)
        elif missing and i == len(loc) - 1:
            out.append(element)
    return tuple(out)


def _allowed_keys(rel: tuple[Any, ...]) -> tuple[str, ...]:
    parent = [p for p in rel[:-1] if isinstance(p, str)]
    if parent[-1:] == ["geometry"]:
        return tuple(GeometrySpec.model_fields)
    if parent[-1:] == ["admin1"]:
        return tuple(AdminRef.model_fields)
    if parent[-1:] == ["sources"]:
        return tuple(SourceRef.model_fields)
    return tuple(GazetteerEntry.model_fields)


def _key_name(rel: tuple[Any, ...]) -> str:
    """``('geometry', 'line', 2)`` -> ``geometry.line[2]``."""
    text = ""
    for part in rel:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "entry"


def _last_key(rel: tuple[Any, ...]) -> str:
    keys = [p for p in rel if isinstance(p, str)]
    return keys[-1] if keys else ""


def _error_problems(
    exc: ValidationError, entry: Any, prefix: tuple[Any, ...], doc: _Doc, label: str
) -> None:
    """Turn pydantic errors into located, teaching problems on ``doc``."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for details in exc.errors():
        err: dict[str, Any] = dict(details)
        rel = _data_path(err["loc"], entry, err["type"] == "missing")
        full = (*prefix, *rel)
        if any(full[: len(r)] == r for r in doc.refused):
            continue  # already reported as a refused tag
        groups[rel].append(err)
    precise = {rel for rel, errs in groups.items() if any(not _is_type(e) for e in errs)}
    for rel, errs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        specific = [e for e in errs if not _is_type(e)]
        if not specific and any(o[: len(rel)] == rel and o != rel for o in precise):
            continue  # a union branch failed on type while another branch has a precise error
        for err in specific or errs[:1]:
            _one_error_problem(err, rel, prefix, doc, label)


def _is_type(err: Mapping[str, Any]) -> bool:
    return str(err["type"]).endswith("_type")


def _one_error_problem(
    err: dict[str, Any],
    rel: tuple[Any, ...],
    prefix: tuple[Any, ...],
    doc: _Doc,
    label: str,
) -> None:
    kind, key = err["type"], _last_key(rel)
    where, at = _key_name(rel), (*prefix, *rel)
    expected = _EXPECTED.get(key, "")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(rel)
        doc.problem(
            at,
            f"unknown key '{rel[-1]}' in {label}",
            "one of " + ", ".join(allowed),
            _suggest(str(rel[-1]), allowed) or "remove it, or see data/gazetteer/README.md",
        )
    elif kind == "missing":
        owner = f"{_key_name(rel[:-1])} of {label}" if len(rel) > 1 else label
        expected = _EXPECTED.get(f"{_last_key(rel[:-1])}.{key}", expected)
        doc.problem(at, f"{owner} lacks the required key '{key}'", f"{key}: {expected}", "add it")
    elif kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']+)'", err.get("ctx", {}).get("expected", ""))
        synonym = _KIND_SYNONYMS.get(str(err["input"]).lower()) if key == "kind" else None
        doc.problem(
            at,
            f"{where} is {_describe(err['input'])} in {label}",
            expected,
            f"use '{synonym}'" if synonym else _suggest(str(err["input"]), choices),
        )
    elif kind == "string_pattern_mismatch":
        hint = ""
        if key in (
            "id",
            "special_area",
            "union",
            "line_through",
            "shared_border",
            "places",
            "points",
        ):
            slug = re.sub(r"[^a-z0-9]+", "_", _fold(str(err["input"])).lower()).strip("_")
            hint = f"write it as '{slug}'" if re.fullmatch(SLUG_RE, slug) else ""
        elif key in ("country", "admin0", "claimed_by"):
            hint = (
                f"write it as '{str(err['input']).upper()}'"
                if len(str(err["input"])) == 3
                else "use the three-letter code, e.g. ARM, AZE, IRN"
            )
        doc.problem(at, f"{where} is {_describe(err['input'])} in {label}", expected, hint)
    elif kind in ("too_short", "too_long"):
        n = err.get("ctx", {}).get("actual_length", len(err["input"]))
        doc.problem(
            at,
            f"{where} has {n} item(s) in {label}",
            expected,
            "a line needs two points; use point: for one" if key == "line" else "",
        )
    elif kind == "value_error" and key in ("valid_from", "valid_to", "date"):
        doc.problem(
            at,
            f"{where} is {_describe(err['input'])}, not a calendar date, in {label}",
            "an ISO date YYYY-MM-DD such as 2022-09-13",
            "check month and day; a year-only date is YYYY-01-01 with date_precision: year",
        )
    elif kind in ("greater_than", "less_than_equal", "finite_number"):
        doc.problem(
            at, f"{where} is {_describe(err['input'])} in {label}", expected, err["msg"].lower()
        )
    else:
        hint = ""
        if key in ("aliases", "context", "default_for", "claimed_by", "places") and isinstance(
            err["input"], str
        ):
            hint = f"write {key}: [{err['input']}]"
        doc.problem(
            at, f"{where} is {_describe(err['input'])} in {label}", expected or err["msg"], hint
        )


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# --------------------------------------------------------------------------- entry checks

Box = tuple[float, float, float, float]


def _region(doc: _Doc, value: Any) -> Box | None:
    """Return the file's region box (``None`` for ``world``); record problems on ``doc``."""
    if value is None:
        return settings.REGION_BBOX
    if value == "world":
        return None
    ok = (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and -180 <= value[0] < value[2] <= 180
        and -90 <= value[1] < value[3] <= 90
    )
    if not ok:
        doc.problem(
            ("region",),
            f"region is {_describe(value)}",
            "[min_lon, min_lat, max_lon, max_lat] with min < max, or 'world'",
            "longitude first, e.g. [42.0, 36.5, 52.0, 43.5]",
        )
        return settings.REGION_BBOX
    return (float(value[0]), float(value[1]), float(value[2]), float(value[3]))


def _inside(lon: float, lat: float, box: Box | None) -> bool:
    if box is None:
        return -180 <= lon <= 180 and -90 <= lat <= 90
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _check_coordinate(
    doc: _Doc, at: tuple[Any, ...], xy: list[float], box: Box | None, label: str, where: str
) -> bool:
    lon, lat = xy
    if _inside(lon, lat, box):
        return True
    region = (
        "the world (lon -180..180, lat -90..90)"
        if box is None
        else (f"the file's region [{box[0]:g}, {box[1]:g}, {box[2]:g}, {box[3]:g}]")
    )
    if _inside(lat, lon, box):
        hint = f"did you swap lon and lat? [{lat:g}, {lon:g}] would be inside"
    elif box is not None:
        hint = "set 'region: world' (or a wider box) at the top of the file if it lies elsewhere"
    else:
        hint = "longitude is -180..180, latitude -90..90"
    doc.problem(
        at,
        f"{where} [{lon:g}, {lat:g}] of {label} lies outside {region}",
        "[lon, lat] inside the region",
        hint,
    )
    return False


def _check_geometry(
    doc: _Doc, spec: GeometrySpec, at: tuple[Any, ...], box: Box | None, label: str
) -> None:
    """Check a spec statically: base keys, coordinates in the region, shapes, safe paths."""
    bases = [k for k in BASE_KEYS if getattr(spec, k) is not None]
    if len(bases) != 1:
        what = (
            f"geometry of {label} has no base key"
            if not bases
            else f"geometry of {label} has {len(bases)} base keys ({', '.join(bases)})"
        )
        hint = (
            "buffer_km alone has nothing to buffer"
            if spec.buffer_km is not None and not bases
            else "keep one; combine several places with union: [ids]"
        )
        doc.problem(at, what, "exactly one of " + ", ".join(BASE_KEYS), hint)
        return
    base = bases[0]
    value = getattr(spec, base)
    if base == "point":
        _check_coordinate(doc, (*at, "point"), value, box, label, "point")
    elif base == "points":
        for i, item in enumerate(value):
            if isinstance(item, list):
                _check_coordinate(doc, (*at, "points", i), item, box, label, f"points[{i}]")
    elif base in ("line", "polygon"):
        rings = value if base == "polygon" else [value]
        ok = all(
            _check_coordinate(
                doc,
                (*at, base, *([r] if base == "polygon" else []), i),
                xy,
                box,
                label,
                f"{base} vertex {i}",
            )
            for r, ring in enumerate(rings)
            for i, xy in enumerate(ring)
        )
        if ok:
            _check_shape(doc, (*at, base), _shape_from(base, value), label, base)
    elif base == "wkt":
        try:
            shape = shapely.from_wkt(value)
        except shapely.errors.ShapelyError as exc:
            doc.problem(
                (*at, "wkt"),
                f"wkt of {label} cannot be read: {exc}",
                _EXPECTED["wkt"],
                "coordinates are 'lon lat' pairs separated by commas",
            )
            return
        coords = shapely.get_coordinates(shape)
        if all(
            _check_coordinate(doc, (*at, "wkt"), [float(x), float(y)], box, label, "wkt vertex")
            for x, y in coords
        ):
            _check_shape(doc, (*at, "wkt"), shape, label, "wkt")
    elif base in ("shared_border", "line_through") and len(set(value)) != len(value):
        doc.problem(
            (*at, base),
            f"{base} of {label} repeats an id: {value}",
            _EXPECTED[base],
            "list each place once",
        )
    elif base == "file":
        reason = unsafe_data_path(value)
        if reason:
            doc.problem(
                (*at, "file"),
                f"file '{value}' of {label} {reason}",
                _EXPECTED["file"],
                "copy the file into data/ (e.g. data/analyst/) and give its path relative to data/",
            )


def _shape_from(base: str, value: Any) -> shapely.Geometry:
    if base == "line":
        return shapely.LineString(value)
    return shapely.Polygon(value[0], value[1:])


def _check_shape(
    doc: _Doc, at: tuple[Any, ...], shape: shapely.Geometry, label: str, key: str
) -> None:
    if shape.is_empty:
        doc.problem(
            at,
            f"{key} of {label} is an empty geometry",
            _EXPECTED.get(key, "a geometry"),
            "give coordinates",
        )
    elif isinstance(shape, (shapely.LineString, shapely.MultiLineString)) and shape.length == 0:
        doc.problem(
            at,
            f"{key} of {label} has all its points in one place",
            "a line through at least two distinct points",
            "use point: for one position",
        )
    elif not shape.is_valid:
        reason = shapely.is_valid_reason(shape)
        doc.problem(
            at,
            f"{key} of {label} is not a valid geometry: {reason}",
            "a simple ring that does not cross itself, holes inside the exterior",
            "reorder the vertices so the edges do not cross",
        )
    elif isinstance(shape, shapely.Polygon) and shape.area == 0:
        doc.problem(
            at, f"{key} of {label} has no area", "a ring around an area", "use line: for a line"
        )


def unsafe_data_path(value: str) -> str:
    """Why ``value`` may not name a file inside ``data/`` (``""`` when it may).

    Examples
    --------
    >>> unsafe_data_path("analyst/route.geojson")
    ''
    >>> unsafe_data_path("../secrets.geojson")
    "leaves data/ ('..')"
    >>> unsafe_data_path("")
    'is empty'
    """
    if not value.strip():
        return "is empty"
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or value.startswith("~"):
        return "is an absolute path"
    if ".." in posix.parts or ".." in windows.parts:
        return "leaves data/ ('..')"
    if posix.suffix.lower() not in FILE_SUFFIXES:
        return f"has suffix '{posix.suffix}'"
    return ""


def _check_partial(
    doc: _Doc,
    raw: dict[str, Any],
    exc: ValidationError,
    at: tuple[Any, ...],
    box: Box | None,
    label: str,
) -> None:
    """Run the cross-key checks on the parts of a failed entry that are valid on their own."""
    failed = {err["loc"][0] for err in exc.errors() if err["loc"]}
    if isinstance(raw.get("geometry"), dict) and "geometry" not in failed:
        spec = GeometrySpec.model_validate(raw["geometry"])
        _check_geometry(doc, spec, (*at, "geometry"), box, label)
    if not {"valid_from", "valid_to"} & failed and raw.get("valid_from") and raw.get("valid_to"):
        start, end = _parse_iso_date(raw["valid_from"]), _parse_iso_date(raw["valid_to"])
        if start > end:
            _report_period(doc, at, start, end, label)


def _report_period(
    doc: _Doc, at: tuple[Any, ...], start: dt.date, end: dt.date, label: str
) -> None:
    doc.problem(
        (*at, "valid_from"),
        f"valid_from {start} is after valid_to {end} in {label}",
        "valid_from on or before valid_to",
        "swap the two dates",
    )


def _check_entry(doc: _Doc, entry: GazetteerEntry, at: tuple[Any, ...], box: Box | None) -> None:
    """Check what the schema cannot express across the keys of one entry."""
    label = f"place '{entry.id}'"
    if entry.valid_from and entry.valid_to and entry.valid_from > entry.valid_to:
        _report_period(doc, at, entry.valid_from, entry.valid_to, label)
    forms = (entry.name, *entry.aliases, *entry.names.values())
    folded = {normalize_alias(a) for a in forms}
    for i, alias in enumerate(entry.default_for):
        if normalize_alias(alias) not in folded:
            doc.problem(
                (*at, "default_for", i),
                f"default_for '{alias}' of {label} is not one of its names or aliases",
                "its name, one of its aliases or one of its names",
                _suggest(alias, entry.aliases) or f"add '{alias}' to aliases too",
            )
    if entry.kind == "incident" and entry.date is None:
        doc.problem(
            at,
            f"incident '{entry.id}' has no date",
            "date: YYYY-MM-DD",
            "add the date, with date_precision if only the month or year is known",
        )
    if entry.geometry is not None:
        _check_geometry(doc, entry.geometry, (*at, "geometry"), box, label)


# --------------------------------------------------------------------------- parsing


def normalize_alias(text: str) -> str:
    """Fold an alias for comparison: NFKC, case-folded, single spaces.

    Examples
    --------
    >>> normalize_alias("  Zangezur   Corridor ")
    'zangezur corridor'
    >>> normalize_alias("")
    ''
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class _FileResult:
    places: list[Place]
    problems: list[Problem]
    #: Ids of entries that exist but failed their checks, with where they are ("path:line").
    failed_ids: dict[str, str]


#: An ``id:`` line, for salvaging the ids of a file whose YAML cannot be read at all.
_ID_LINE = re.compile(r"^\s*(?:-\s+)?id:\s*[\"']?([A-Za-z][\w-]*)[\"']?\s*(?:#.*)?$")


def declared_ids(text: str, path: str) -> dict[str, str]:
    r"""Ids written as ``id: x`` lines in ``text``, with their ``path:line`` (first wins).

    Used when a file's YAML is broken: its entries are lost, but references to them should
    point at the broken file rather than report unknown ids.

    Examples
    --------
    >>> declared_ids("- id: goris\n  name: Goris\n  - id: 'kapan'  # town\n", "f.yaml")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'goris': 'f.yaml:1, in a file that cannot be read',
     'kapan': 'f.yaml:3, in a file that cannot be read'}
    >>> declared_ids("", "f.yaml")
    {}
    """
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _ID_LINE.match(line)
        if match:
            found.setdefault(match.group(1), f"{path}:{number}, in a file that cannot be read")
    return found


def _entries(doc: _Doc) -> tuple[list[Any], tuple[Any, ...], Box | None]:
    """Return the entry list of a file, the path prefix of its entries and its region box."""
    data = doc.data
    if isinstance(data, list):
        return data, (), settings.REGION_BBOX
    if isinstance(data, dict):
        for key in data:
            if key not in _FILE_KEYS:
                doc.problem(
                    (key,),
                    f"unknown top-level key '{key}'",
                    "region and places",
                    _suggest(key, _FILE_KEYS) or "entries go under places:",
                )
        box = _region(doc, data.get("region"))
        places = data.get("places", [])
        if "places" not in data:
            doc.problem(
                (),
                "the file has no 'places' key",
                "places: [list of entries]",
                "put the entries under places:",
            )
        if not isinstance(places, list):
            doc.problem(
                ("places",),
                f"places is {_describe(places)}",
                "a list of entries",
                "start each entry with '- id: ...'",
            )
            places = []
        return places, ("places",), box
    if not isinstance(data, _Refused):
        doc.problem(
            (),
            f"the file holds {_describe(data)}",
            "a list of entries, or a mapping {region: ..., places: [...]}",
            "start each entry with '- id: ...'",
        )
    return [], (), settings.REGION_BBOX


def _to_place(entry: GazetteerEntry, raw: dict[str, Any], origin: Origin) -> Place:
    return Place(
        id=entry.id,
        name=entry.name,
        kind=entry.kind,
        aliases=tuple(entry.aliases),
        names=MappingProxyType(dict(entry.names)),
        geometry=MappingProxyType(dict(raw["geometry"])) if entry.geometry is not None else None,
        status=entry.status,
        claimed_by=tuple(entry.claimed_by),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        precision=entry.precision,
        geo_precision=entry.geo_precision,
        notes=entry.notes,
        sources=tuple(MappingProxyType(s.model_dump(exclude_none=True)) for s in entry.sources),
        context=tuple(entry.context),
        default_for=tuple(entry.default_for),
        country=entry.country,
        date=entry.date,
        date_precision=entry.date_precision,
        places=tuple(entry.places),
        description=entry.description,
        origin=origin,
    )


def _parse_file(text: str, path: str) -> _FileResult:
    doc = _read_yaml(text, path)
    entries, prefix, box = _entries(doc)
    places: list[Place] = []
    failed: dict[str, str] = {}
    if not entries and doc.problems:  # the file could not be read: salvage its ids
        failed = declared_ids(text, path)
    seen: dict[str, int] = {}
    for i, raw in enumerate(entries):
        at = (*prefix, i)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        label = f"place '{raw_id}'" if isinstance(raw_id, str) else f"entry #{i + 1}"
        if not isinstance(raw, dict):
            if not isinstance(raw, _Refused):
                doc.problem(
                    at,
                    f"entry #{i + 1} is {_describe(raw)}",
                    "a mapping of key: value",
                    "indent the keys of the entry under '- id: ...'",
                )
            continue
        before = len(doc.problems)
        entry = None
        try:
            entry = GazetteerEntry.model_validate(raw)
        except ValidationError as exc:
            _error_problems(exc, raw, at, doc, label)
            _check_partial(doc, raw, exc, at, box, label)
        if entry is not None:
            _check_entry(doc, entry, at, box)
        if isinstance(raw_id, str) and raw_id in seen:
            first = seen[raw_id]
            doc.problem(
                (*at, "id"),
                f"duplicate id '{raw_id}' (also at {path}:{first})",
                "each id once across all gazetteer files",
                "rename one of them, or merge the two entries",
            )
            doc.problems.append(
                Problem(
                    path,
                    first,
                    f"duplicate id '{raw_id}' (also at {path}:{doc.line((*at, 'id'))})",
                    "each id once across all gazetteer files",
                    "rename one of them, or merge the two entries",
                )
            )
            continue
        if isinstance(raw_id, str):
            seen[raw_id] = doc.line((*at, "id"))
        if (
            entry is None
            or len(doc.problems) > before
            or any(r[: len(at)] == at for r in doc.refused)
        ):
            if isinstance(raw_id, str):
                where = f"{path}:{doc.line((*at, 'id'))}"
                failed.setdefault(raw_id, where)
                # a malformed id ('Lachin_corridor') is what references to its slug mean
                failed.setdefault(re.sub(r"[^a-z0-9_]+", "_", raw_id.lower()).strip("_"), where)
            continue
        places.append(_to_place(entry, raw, Origin(path, doc.line((*at, "id")))))
    return _FileResult(places, sorted(set(doc.problems)), failed)


def parse_gazetteer(text: str, path: str) -> tuple[list[Place], list[Problem]]:
    """Parse one gazetteer file's text into valid places and every problem found (pure).

    Checks syntax, safe tags, the schema, dates, static geometry (coordinates inside the file's
    region, valid shapes, safe ``file:`` paths) and duplicate ids within the file. References
    between places are checked by :func:`check_gazetteer` once all files are merged.

    Parameters
    ----------
    text : str
        The YAML text.
    path : str
        The name shown in problems (``data/gazetteer/caucasus.yaml``).

    Returns
    -------
    tuple[list[Place], list[Problem]]
        The entries that passed every check, and the problems sorted by line.

    Examples
    --------
    >>> places, problems = parse_gazetteer("- {id: goris, name: Goris, kind: settlement}", "g.yaml")
    >>> [p.id for p in places], problems
    (['goris'], [])
    >>> parse_gazetteer("", "empty.yaml")
    ([], [])
    >>> parse_gazetteer("- {id: x, name: X, kind: setlement}", "g.yaml")[1][0].hint
    "did you mean 'settlement'?"
    """
    result = _parse_file(text, path)
    return result.places, result.problems


# --------------------------------------------------------------------------- cross-file checks


def spec_references(place: Place) -> list[str]:
    """Ids of places whose geometry ``place``'s geometry is built from (in order).

    An entry without geometry but with ``places`` (an incident) is drawn at those places.

    Examples
    --------
    >>> spec_references(Place("b", "B", "border", geometry={"shared_border": ["x", "y"]}))
    ['x', 'y']
    >>> spec_references(Place("p", "P", "settlement"))
    []
    """
    spec = place.geometry
    if spec is None:
        return list(place.places)
    refs: list[str] = []
    for key in REFERENCE_KEYS:
        refs.extend(v for v in spec.get(key) or () if isinstance(v, str))
    return refs


def _loc(place: Place) -> tuple[str, int]:
    origin = place.origin or Origin("<gazetteer>", 1)
    return origin.path, origin.line


def _check_references(
    places: Sequence[Place], known: set[str], failed: Mapping[str, str | None] | None = None
) -> tuple[list[Problem], set[str]]:
    """Unknown ids in geometry specs, ``places`` and ``claimed_by``; cycles.

    A reference to an id in ``failed`` (an entry that exists but has errors, by id with its
    ``path:line`` when known) says so and points there, instead of "unknown id".
    """
    failed = failed or {}
    problems: list[Problem] = []
    bad: set[str] = set()
    by_id = {p.id: p for p in places}
    for place in places:
        path, line = _loc(place)
        refs = [(r, "geometry") for r in spec_references(place)]
        if place.geometry is not None:
            refs += [(r, "places") for r in place.places]
        refs += [(r, "claimed_by") for r in place.claimed_by if not re.fullmatch(ISO3_RE, r)]
        for ref, key in refs:
            if key == "geometry":
                key = _reference_key(place, ref)
            if ref in failed and ref not in by_id:
                where = failed[ref]
                problems.append(
                    Problem(
                        path,
                        line,
                        f"{key} of place '{place.id}' refers to '{ref}', which has errors itself"
                        + (f" (see {where})" if where else ""),
                        f"'{ref}' to pass its own checks",
                        f"fix '{ref}' first; '{place.id}' is left out until then",
                    )
                )
                bad.add(place.id)
            elif ref not in known:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"{key} of place '{place.id}' refers to unknown id '{ref}'",
                        "the id of a place in the gazetteer"
                        + (" or an ISO3 code" if key == "claimed_by" else ""),
                        _suggest(ref, known | set(failed))
                        or "add an entry with that id, or fix the spelling",
                    )
                )
                bad.add(place.id)
            elif (
                ref in by_id
                and key in (*REFERENCE_KEYS, "places")
                and by_id[ref].geometry is None
                and not by_id[ref].places
            ):
                problems.append(
                    Problem(
                        path,
                        line,
                        f"place '{place.id}' is built from '{ref}', which has no geometry",
                        "references to places with a geometry",
                        f"give '{ref}' a geometry",
                    )
                )
                bad.add(place.id)
    graph = {p.id: [r for r in spec_references(p) if r in by_id] for p in places}
    for cycle in find_cycles(graph):
        path, line = _loc(by_id[cycle[0]])
        problems.append(
            Problem(
                path,
                line,
                "reference cycle " + " → ".join(cycle),
                "geometry references that never lead back to the same place",
                "build one of them from its own geometry (admin1, point, ...) instead",
            )
        )
        bad.update(cycle)
    return problems, bad


def _reference_key(place: Place, ref: str) -> str:
    """Return the geometry key of ``place`` that names ``ref`` (``places`` for incidents)."""
    spec = place.geometry or {}
    return next((k for k in REFERENCE_KEYS if ref in (spec.get(k) or ())), "places")


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Every reference cycle of ``graph`` (node -> nodes it depends on), each closed.

    Examples
    --------
    >>> find_cycles({"a": ["b"], "b": ["a"], "c": []})
    [['a', 'b', 'a']]
    >>> find_cycles({})
    []
    """
    remaining = {node: list(deps) for node, deps in graph.items()}
    cycles: list[list[str]] = []
    while True:
        try:
            tuple(graphlib.TopologicalSorter(remaining).static_order())
            return cycles
        except graphlib.CycleError as exc:
            cycle = list(exc.args[1])[::-1]  # graphlib lists dependents first
            start = cycle.index(min(cycle[:-1]))
            cycle = cycle[start:-1] + cycle[:start] + [cycle[start]]
            cycles.append(cycle)
            for node in cycle:
                remaining.pop(node, None)
            remaining = {n: [d for d in deps if d in remaining] for n, deps in remaining.items()}


def surface_forms(place: Place) -> tuple[str, ...]:
    """Every spelling that names ``place`` in text: its name, aliases and ``names`` values.

    Examples
    --------
    >>> surface_forms(Place("g", "Goris", "settlement", aliases=("Goris", "Горис")))
    ('Goris', 'Горис')
    """
    first: dict[str, str] = {}
    for form in (place.name, *place.aliases, *place.names.values()):
        first.setdefault(normalize_alias(form), form)
    return tuple(first.values())


def _check_aliases(places: Sequence[Place]) -> list[Problem]:
    claims: dict[str, list[Place]] = defaultdict(list)
    for place in places:
        for alias in dict.fromkeys(normalize_alias(a) for a in surface_forms(place)):
            claims[alias].append(place)
    problems = []
    for alias, claimants in claims.items():
        if len(claimants) < 2:
            continue
        defaults = [p for p in claimants if alias in {normalize_alias(d) for d in p.default_for}]
        if len(defaults) == 1:
            continue
        first = claimants[0]
        path, line = _loc(first)
        others = ", ".join(f"'{p.id}' ({':'.join(map(str, _loc(p)))})" for p in claimants[1:])
        spelled = next(a for a in surface_forms(first) if normalize_alias(a) == alias)
        if not defaults:
            what = f"alias '{spelled}' of '{first.id}' is also claimed by {others}"
            hint = (
                f"add '{spelled}' to default_for of the place that should win, and context "
                "words to the others"
            )
        else:
            what = f"alias '{spelled}' is in default_for of " + ", ".join(
                f"'{p.id}'" for p in defaults
            )
            hint = "keep it in default_for of one place only"
        problems.append(
            Problem(path, line, what, "exactly one claimant listing it in default_for", hint)
        )
    return problems


def _check_duplicates(places: Sequence[Place]) -> tuple[list[Place], list[Problem]]:
    first: dict[str, Place] = {}
    kept: list[Place] = []
    problems: list[Problem] = []
    for place in places:
        if place.id not in first:
            first[place.id] = place
            kept.append(place)
            continue
        a, b = first[place.id], place
        for here, there in ((a, b), (b, a)):
            path, line = _loc(here)
            problems.append(
                Problem(
                    path,
                    line,
                    f"duplicate id '{place.id}' (also at {':'.join(map(str, _loc(there)))})",
                    "each id once across all gazetteer files",
                    "rename one of them, or merge the two entries",
                )
            )
    return kept, problems


def check_gazetteer(
    places: Sequence[Place], *, failed_ids: Mapping[str, str | None] | Iterable[str] = ()
) -> tuple[list[Place], list[Problem]]:
    """Check merged places: duplicate ids, references, cycles and shared aliases.

    ``failed_ids`` are ids of entries that exist but failed their own checks (a mapping to
    their ``path:line``, or just the ids): a reference to one is reported as "refers to 'x',
    which has errors itself (see path:line)", never as an unknown id with a misleading
    did-you-mean. Returns the places that can be resolved (those with broken references, and
    everything built from them, are left out) and the problems.

    Examples
    --------
    >>> ok, problems = check_gazetteer([Place("u", "U", "region", geometry={"union": ["nope"]})])
    >>> ok, problems[0].what
    ([], "union of place 'u' refers to unknown id 'nope'")
    >>> check_gazetteer([])
    ([], [])
    """
    kept, problems = _check_duplicates(places)
    failed = (
        dict(failed_ids) if isinstance(failed_ids, Mapping) else dict.fromkeys(failed_ids, None)
    )
    known = {p.id for p in kept}
    ref_problems, bad = _check_references(kept, known, failed)
    problems += ref_problems + _check_aliases(kept)
    bad |= set(failed)
    changed = True
    while changed:
        changed = False
        for place in kept:
            if place.id not in bad and any(r in bad for r in spec_references(place)):
                bad.add(place.id)
                changed = True
    return [p for p in kept if p.id not in bad], sorted(problems)


# --------------------------------------------------------------------------- loading


def display_path(path: str | Path) -> str:
    """``path`` relative to the repository root when inside it, else as given.

    Examples
    --------
    >>> display_path(settings.PROJECT_ROOT / "data" / "gazetteer" / "x.yaml")
    'data/gazetteer/x.yaml'
    >>> display_path("/elsewhere/x.yaml")
    '/elsewhere/x.yaml'
    """
    try:
        return Path(path).resolve().relative_to(settings.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


#: What the loaders accept: ``None`` (the bundled folder), one file or folder, or several.
GazetteerPaths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def _expand(paths: GazetteerPaths) -> list[Path]:
    """Gazetteer files of ``paths``: a folder stands for its ``*.yaml`` and ``*.yml`` files.

    A single ``str`` or ``Path`` is one file or folder, never a sequence of characters.

    Examples
    --------
    >>> len(_expand(str(settings.gazetteer_dir()))) > 1
    True
    >>> _expand([])
    []
    """
    if paths is None:
        return sorted(settings.gazetteer_dir().glob("*.yaml"))
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]) if p.is_dir() else [p])
    return out


def gazetteer_files(paths: GazetteerPaths = None) -> list[Path]:
    """List the gazetteer files ``paths`` stands for (default: ``data/gazetteer/*.yaml``).

    Examples
    --------
    >>> [p.name for p in gazetteer_files([])]
    []
    """
    return _expand(paths)


@dataclass(frozen=True)
class Gazetteer:
    """The merged, validated gazetteer: places by id, the files read and their fingerprint."""

    places: Mapping[str, Place]
    files: tuple[str, ...] = ()
    fingerprint: str = ""

    def __len__(self) -> int:
        return len(self.places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self.places.values())

    def __contains__(self, place_id: object) -> bool:
        return place_id in self.places

    def __getitem__(self, place_id: str) -> Place:
        return self.places[place_id]

    def by_alias(self) -> dict[str, tuple[str, ...]]:
        """Map each normalised surface form (name, alias, ``names`` value) to the ids of its places.

        Examples
        --------
        >>> g = Gazetteer.from_places([Place("a", "Goris", "settlement", aliases=("Горис",))])
        >>> g.by_alias()
        {'goris': ('a',), 'горис': ('a',)}
        >>> Gazetteer.from_places([]).by_alias()
        {}
        """
        out: dict[str, list[str]] = defaultdict(list)
        for place in self:
            for alias in dict.fromkeys(normalize_alias(a) for a in surface_forms(place)):
                out[alias].append(place.id)
        return {alias: tuple(ids) for alias, ids in out.items()}

    def of_kind(self, *kinds: str) -> list[Place]:
        """Places whose kind is one of ``kinds``."""
        return [p for p in self if p.kind in kinds]

    @classmethod
    def from_places(
        cls, places: Iterable[Place], files: Sequence[str] = (), fingerprint: str = ""
    ) -> Gazetteer:
        """Wrap already-validated places (tests, other loaders)."""
        return cls(MappingProxyType({p.id: p for p in places}), tuple(files), fingerprint)


def gazetteer_fingerprint(paths: GazetteerPaths = None) -> str:
    """Return a digest of the files' names, sizes, mtimes and contents, for cache keys.

    Examples
    --------
    >>> len(gazetteer_fingerprint([]))
    64
    """
    digest = hashlib.sha256()
    for path in _expand(paths):
        digest.update(display_path(path).encode())
        try:
            stat = path.stat()
            digest.update(f"|{stat.st_size}|{stat.st_mtime_ns}|".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"|missing|")
    return digest.hexdigest()


def collect_gazetteer(paths: GazetteerPaths = None) -> tuple[Gazetteer, list[Problem]]:
    """Read and check every file; return the usable places and ALL problems (never raises).

    The returned :class:`Gazetteer` holds only places that passed every check, so geometry can
    still be resolved for them in the same run.
    """
    files = _expand(paths)
    problems: list[Problem] = []
    places: list[Place] = []
    failed: dict[str, str] = {}
    if not files:
        where = display_path(settings.gazetteer_dir()) if paths is None else "arguments"
        problems.append(
            Problem(
                where,
                1,
                "no gazetteer files",
                "one or more *.yaml files",
                "add data/gazetteer/<name>.yaml or give paths",
            )
        )
    for file in files:
        shown = display_path(file)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(
                Problem(shown, 1, "file not found", "an existing YAML file", "check the path")
            )
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(shown, 1, f"cannot read the file: {exc}", "a UTF-8 text file"))
            continue
        result = _parse_file(text, shown)
        places += result.places
        problems += result.problems
        for place_id, where in result.failed_ids.items():
            failed.setdefault(place_id, where)
    usable, cross = check_gazetteer(places, failed_ids=failed)
    problems += cross
    gazetteer = Gazetteer.from_places(
        usable, [display_path(f) for f in files], gazetteer_fingerprint(files)
    )
    return gazetteer, sorted(set(problems))


def load_gazetteer(paths: GazetteerPaths = None) -> Gazetteer:
    """Load and merge gazetteer files (default: every ``data/gazetteer/*.yaml``).

    ``paths`` is one file or folder (``"data/gazetteer"``), or a list of them; a folder means
    its ``*.yaml`` (and ``*.yml``) files.

    Raises
    ------
    GazetteerError
        With every problem of every file, when there is at least one.
    """
    gazetteer, problems = collect_gazetteer(paths)
    if problems:
        raise GazetteerError(problems, f"{len(problems)} problem(s) in the gazetteer")
    return gazetteer


# --------------------------------------------------------------------------- JSON Schema


def gazetteer_json_schema() -> dict[str, Any]:
    """Build the JSON Schema (draft-07) of a gazetteer file, for editors (VS Code YAML).

    Regenerate the committed copy with ``python -m geo.gazetteer > data/gazetteer/schema.json``.
    """
    entry = GazetteerEntry.model_json_schema(ref_template="#/definitions/{model}")
    definitions = entry.pop("$defs", {})
    definitions["GazetteerEntry"] = entry
    entries = {"type": "array", "items": {"$ref": "#/definitions/GazetteerEntry"}}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://refmap.invalid/schema/gazetteer.json",
        "title": "refmap gazetteer file",
        "description": "A list of entries, or {region, places}. See data/gazetteer/README.md.",
        "oneOf": [
            entries,
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["places"],
                "properties": {
                    "region": {
                        "description": "Box the file's points must fall in: [min_lon, min_lat, "
                        "max_lon, max_lat], or 'world' to check only lon/lat ranges. Default: "
                        "the bundled data's box.",
                        "oneOf": [
                            {"const": "world"},
                            {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 4,
                                "maxItems": 4,
                            },
                        ],
                    },
                    "places": {**entries, "description": "The entries of this file."},
                },
            },
        ],
        "definitions": definitions,
    }


def schema_text() -> str:
    """Return the committed text of ``data/gazetteer/schema.json``."""
    return json.dumps(gazetteer_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - maintainer tool
    print(schema_text(), end="")
