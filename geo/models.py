"""Frozen records that flow between stages: places, articles, sentences, mentions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["locative", "metonymic", "attributive"]
Precision = Literal["exact", "approximate", "schematic"]
MentionSource = Literal["gazetteer", "fallback"]


@dataclass(frozen=True)
class Origin:
    """Where a record was written: a file (relative to the repo if possible) and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Place:
    """One gazetteer entry, validated but with its geometry still a spec (see ``geo.geometry``).

    ``geometry`` is the spec mapping exactly as written in YAML (``{"admin1": {...}}``,
    ``{"line_through": [...]}``, ``{"point": [lon, lat], "buffer_km": 5}``...).
    Incidents (``kind == "incident"``) also use ``date``, ``date_precision``, ``places`` and
    ``description``.
    """

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    geometry: Mapping[str, Any] | None = None
    status: str | None = None
    claimed_by: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    precision: Precision | None = None
    geo_precision: int | None = None
    notes: str | None = None
    sources: tuple[Mapping[str, Any], ...] = ()
    context: tuple[str, ...] = ()
    default_for: tuple[str, ...] = ()
    country: str | None = None
    date: dt.date | None = None
    date_precision: str | None = None
    places: tuple[str, ...] = ()
    description: str | None = None
    origin: Origin | None = None


@dataclass(frozen=True)
class Article:
    """One article file: its full original text and what was established about it.

    Every offset anywhere in refmap points into ``text`` exactly as read (after decoding; line
    endings are kept as they are). ``body`` lists the ``(start, end)`` spans of article content;
    everything outside them is page boilerplate.
    """

    id: str
    path: str
    text: str
    title: str | None = None
    title_span: tuple[int, int] | None = None
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None
    published_how: str | None = None
    language: str | None = None
    body: tuple[tuple[int, int], ...] = ()
    #: How much of ``published`` is known: "day", "month" (``published`` is the 1st) or "year".
    published_precision: str | None = None
    #: How the file was decoded: "utf-8", "utf-8-sig", "utf-16" or "cp1252" (reported as a problem).
    encoding: str = "utf-8"

    def in_body(self, start: int, end: int) -> bool:
        """Whether the span ``[start, end)`` lies inside the article body.

        Examples
        --------
        >>> Article("a", "a.txt", "x y", body=((0, 1),)).in_body(0, 1)
        True
        >>> Article("a", "a.txt", "", body=()).in_body(0, 0)
        False
        """
        return any(s <= start and end <= e for s, e in self.body)


@dataclass(frozen=True)
class Mention:
    """A place name found in an article; ``article_text[start:end] == surface`` always holds.

    ``place_id`` is ``None`` for an unresolved name (then ``source`` is ``None`` too).
    """

    article: str
    start: int
    end: int
    surface: str
    place_id: str | None
    kind: str | None
    role: Role
    lon: float | None
    lat: float | None
    sentence_start: int
    sentence_end: int
    in_body: bool
    source: MentionSource | None
    reason: str

    def as_record(self) -> dict[str, Any]:
        """Return the flat record written by ``python -m geo mentions`` (JSONL/CSV)."""
        return {
            "article": self.article,
            "start": self.start,
            "end": self.end,
            "surface": self.surface,
            "place_id": self.place_id,
            "kind": self.kind,
            "role": self.role,
            "lon": self.lon,
            "lat": self.lat,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "in_body": self.in_body,
            "source": self.source,
            "reason": self.reason,
        }
