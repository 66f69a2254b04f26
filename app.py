"""refmap's Streamlit app: the map of what the articles say, the article reader, the gazetteer."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from geo import maps, reader, settings
from geo.errors import GeoError, ProblemsError
from geo.layers import KINDS, LAYER_NAMES, Filters

VIEWS = ("Map", "Charts", "Gazetteer", "Articles")
ROLE_HELP = {
    "locative": "the place as a place (“shelling near Goris”)",
    "attributive": "a place describing someone (“Reps. … of California”)",
    "metonymic": "the place standing for its government (“Baku has proposed”)",
}
MAP_HEIGHT = 640
PAGE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
[data-testid="stSidebarHeader"] { height: 1rem; min-height: 1rem; }
[data-testid="stSidebarUserContent"] { padding-top: 0; }
"""


# ---------------------------------------------------------------------------------------------
# Loading (cached by file fingerprints; the last valid corpus survives a broken gazetteer edit)


def server_wide(func: Any) -> Any:
    """Key a cached function by this file, whichever way the file runs (apply under st.cache_*).

    Streamlit keys its caches by the function's module: ``__main__`` when this file runs as
    the page, ``app`` when the server imports it to warm up. One name for both lets the
    first visitor's page find what the warm-up loaded.
    """
    func.__module__ = "refmap.app"
    return func


@dataclass
class Loaded:
    """A loaded corpus plus the derived values the app caches alongside it."""

    corpus: Any
    fingerprint: str
    loaded_at: dt.datetime
    incidents: dict[bool, tuple[Any, ...]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def incidents_for(self, include_boilerplate: bool) -> tuple[Any, ...]:
        """Incidents of the corpus (computed once per boilerplate setting)."""
        from geo.pipeline import corpus_incidents

        with self.lock:
            if include_boilerplate not in self.incidents:
                self.incidents[include_boilerplate] = tuple(
                    corpus_incidents(self.corpus, include_boilerplate=include_boilerplate)
                )
            return self.incidents[include_boilerplate]


#: The files the corpus is built from, by folder: gazetteer YAML, articles (+ sidecar), boundaries.
INPUT_PATTERNS = (
    (settings.gazetteer_dir, ("*.yaml", "*.yml")),
    (settings.seeds_dir, ("*.txt", "*.md", "*.yaml")),
    (settings.boundaries_dir, ("*",)),
)


def input_stats() -> list[tuple[str, int, int]]:
    """``(path, size, mtime_ns)`` of every input file, sorted: one directory scan per folder.

    Runs on every rerun, so it stays cheap for a folder of 10,000 articles (``os.scandir``
    returns names and types in one call; only the matching files are stat'ed).
    """
    found: list[tuple[str, int, int]] = []
    for folder_of, patterns in INPUT_PATTERNS:
        try:
            entries = list(os.scandir(folder_of()))
        except OSError:
            continue
        for entry in entries:
            if not any(fnmatch.fnmatchcase(entry.name, p) for p in patterns):
                continue
            try:
                if entry.is_file():
                    stat = entry.stat()
                    found.append((entry.path, stat.st_size, stat.st_mtime_ns))
            except OSError:  # removed while scanning: the next rerun sees it gone
                continue
    return sorted(set(found))


def input_fingerprint() -> str:
    """Fingerprint of the inputs from file names, sizes and modification times (no reads)."""
    digest = hashlib.sha256()
    for path, size, mtime in input_stats():
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()[:16]


@st.cache_resource(max_entries=4, show_spinner="Reading the articles and the gazetteer…")
@server_wide
def load_inputs(fingerprint: str) -> Loaded:
    """Load the corpus (boilerplate mentions included; the filters decide what shows).

    Through the mention index under the cache folder (``python -m geo index`` builds the same
    file): only articles not indexed yet are matched; the others, and the incidents of an
    unchanged corpus, are read back from it.
    """
    from geo.pipeline import load_indexed_corpus

    corpus = load_indexed_corpus(include_boilerplate=True)
    return Loaded(corpus, fingerprint, dt.datetime.now())


@st.cache_resource
def last_valid() -> dict[str, Loaded]:
    """Process-wide holder of the last corpus that loaded cleanly (new sessions fall back on it)."""
    return {}


#: Where the generated basemap JSON is served from (gitignored, like the npm files).
BASEMAP_FOLDER = Path(__file__).resolve().parent / "static" / "vendor" / "basemap"


@st.cache_resource(max_entries=2, show_spinner="Preparing the offline basemap…")
@server_wide
def load_basemap(fingerprint: str) -> str | None:
    """URL of the offline basemap file (cached per boundaries fingerprint)."""
    return write_basemap(fingerprint)


def write_basemap(fingerprint: str) -> str | None:
    """Write the offline basemap file once per boundaries fingerprint; return its URL.

    The basemap is served as a static file the browser fetches once and caches, so the
    page of every rerun carries no boundary data. ``None`` when the boundaries cannot be read.
    """
    from geo.boundaries import load_boundaries

    name = f"basemap-{fingerprint}-v{maps.BASEMAP_FORMAT}.json"
    target = BASEMAP_FOLDER / name
    if not target.exists():
        try:
            text = maps.basemap_json(maps.prepare_basemap(load_boundaries()))
        except GeoError:
            return None
        BASEMAP_FOLDER.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    return f"{maps.VENDOR_PREFIX}/basemap/{name}"


def boundaries_fingerprint() -> str:
    """Fingerprint of the boundary files only (the basemap does not depend on articles)."""
    digest = hashlib.sha256()
    for path in sorted(settings.boundaries_dir().glob("*")):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def current_inputs() -> Loaded | None:
    """Return the corpus for this rerun; on a load error show it, fall back on the last valid."""
    fingerprint = input_fingerprint()
    try:
        loaded = load_inputs(fingerprint)
    except GeoError as exc:
        show_load_error(exc)
        previous = st.session_state.get("last_valid") or last_valid().get("corpus")
        if previous is not None:
            st.warning(
                f"The map keeps showing the last valid gazetteer (loaded "
                f"{previous.loaded_at:%H:%M:%S}). Fix the file(s) above and save: the app "
                "picks the change up on the next rerun, no restart needed."
            )
        return previous
    st.session_state["last_valid"] = loaded
    last_valid()["corpus"] = loaded
    return loaded


def show_load_error(exc: GeoError) -> None:
    """Show a load error with every ``file:line`` problem."""
    if isinstance(exc, ProblemsError) and exc.problems:
        lines = "\n".join(f"- {reader.escape_markdown(p)}" for p in exc.problems[:50])
        more = f"\n- … and {len(exc.problems) - 50} more" if len(exc.problems) > 50 else ""
        head = reader.escape_markdown(str(exc).splitlines()[0])
        st.error(f"**The gazetteer or the articles have errors — {head}:**\n{lines}{more}")
    else:
        st.error(f"**Cannot load the data:** {reader.escape_markdown(exc)}")


# ---------------------------------------------------------------------------------------------
# Filters and layers


def filter_key(filters: Filters) -> tuple[Any, ...]:
    """Return a hashable, order-independent key of ``filters`` for the caches."""
    return (
        tuple(sorted(filters.articles)) if filters.articles is not None else None,
        tuple(sorted(filters.kinds)) if filters.kinds is not None else None,
        tuple(sorted(filters.roles)),
        filters.date_from.isoformat() if filters.date_from else None,
        filters.date_to.isoformat() if filters.date_to else None,
        filters.body_only,
    )


@st.cache_resource(max_entries=64, show_spinner=False)
@server_wide
def layers_for(fingerprint: str, key: tuple[Any, ...], _loaded: Loaded, _filters: Filters) -> dict:
    """Build the layers of the corpus under ``_filters`` (cached by fingerprint + filters).

    The corpus's ``LayerIndex`` (mentions grouped by place, quotes built) is made once per
    corpus and reused by every filter change.
    """
    from geo.layers import build_layers, layer_index

    corpus = _loaded.corpus
    inputs = (corpus.gazetteer.places, corpus.geometries, corpus.mentions, corpus.articles)
    return build_layers(
        *inputs,
        _loaded.incidents_for(not _filters.body_only),
        _filters,
        prepared=layer_index(*inputs, key=(fingerprint, corpus.fingerprint)),
    )


#: How each map is embedded: the main map, and the reader's compact map of one article.
MAP_WIDGETS: dict[bool, dict[str, Any]] = {
    False: {"key": "main_map", "height": MAP_HEIGHT, "width": "stretch", "returned_objects": []},
    True: {"key": "reader_map", "height": 380, "width": "stretch", "returned_objects": []},
}


class ShownMap:
    """A folium map built once, and what streamlit-folium draws it with once rendered.

    Rendering a big map (HTML and script from thousands of features) costs more than a
    rerun should, and folium maps change while they render, so one object is rendered
    once: the first time it is shown (:func:`show_map`). Every later rerun and every other
    session sends the same rendered arguments to the component.
    """

    def __init__(self, build: Callable[[], Any], widget: Mapping[str, Any]) -> None:
        self.build = build
        self.fmap: Any = build()
        self.widget = dict(widget)
        self.arguments: dict[str, Any] | None = None
        self.lock = threading.Lock()


@st.cache_resource(max_entries=32, show_spinner=False)
@server_wide
def map_for(
    fingerprint: str,
    key: tuple[Any, ...],
    focus: tuple[float, float, float, float] | None,
    link_base: str,
    compact: bool,
    _layers: Mapping[str, Any],
    _basemap: str | None,
    highlight: tuple[str, str] | None = None,
) -> ShownMap:
    """Build the folium map of ``_layers`` only when the corpus, filters or focus change.

    ``highlight`` is the ``(name, WKT)`` of the searched place, marked on the map. The map
    is rendered the first time it is shown and never again (:class:`ShownMap`).
    """
    import shapely

    marked = (highlight[0], shapely.from_wkt(highlight[1])) if highlight else None

    def build() -> Any:
        return maps.build_map(
            _layers,
            basemap=_basemap,
            focus=focus,
            link_base=link_base,
            legend=not compact,
            compact=compact,
            max_zoom=7 if compact else 10,
            highlight=marked,
        )

    return ShownMap(build, MAP_WIDGETS[compact])


def article_label(article: Any) -> str:
    """``Outlet · 2023-10-01 — Title`` for pickers."""
    date = article.published.isoformat() if article.published else "undated"
    title = article.title or article.id
    if len(title) > 70:
        title = title[:69] + "…"
    return f"{article.outlet or 'unknown outlet'} · {date} — {title}"


def sidebar_filters(corpus: Any) -> Filters:
    """Show the sidebar filters; return the ``Filters`` they describe."""
    side = st.sidebar
    side.subheader("Filters")
    articles = corpus.articles
    ordered = sorted(articles, key=lambda a: (articles[a].published or dt.date.max, a))
    chosen = side.multiselect(
        "Articles",
        ordered,
        format_func=lambda a: article_label(articles[a]),
        placeholder="All articles",
        key="f_articles",
    )
    kinds = side.multiselect("Kinds", list(KINDS), placeholder="All kinds", key="f_kinds")
    roles = {
        role
        for role in ("locative", "attributive")
        if side.checkbox(role.capitalize(), value=True, help=ROLE_HELP[role], key=f"f_{role}")
    }
    if side.toggle(
        "Include metonymic mentions", value=False, help=ROLE_HELP["metonymic"], key="f_metonymic"
    ):
        roles.add("metonymic")
    if not roles:
        side.warning("No role selected: the map shows only the countries for context.")
    date_from = date_to = None
    dates = sorted(a.published for a in articles.values() if a.published)
    if dates and dates[0] < dates[-1]:
        picked = side.date_input(
            "Published between",
            value=(dates[0], dates[-1]),
            min_value=dates[0],
            max_value=dates[-1],
            key="f_dates",
            help="Narrowing the range leaves out undated articles.",
        )
        if isinstance(picked, Sequence) and len(picked) == 2:
            lo, hi = picked
            if (lo, hi) != (dates[0], dates[-1]):
                date_from, date_to = lo, hi
    body_only = side.checkbox(
        "Article body only",
        value=True,
        help="Leave out mentions in page boilerplate (menus, captions, 'read more' links).",
        key="f_body",
    )
    return Filters(
        articles=frozenset(chosen) or None,
        kinds=frozenset(kinds) or None,
        roles=frozenset(roles),
        date_from=date_from,
        date_to=date_to,
        body_only=body_only,
    )


@st.cache_resource(max_entries=64, show_spinner=False)
@server_wide
def counts_for(fingerprint: str, key: tuple[Any, ...], _layers: Mapping[str, Any]) -> dict:
    """:func:`layer_counts` of the layers of ``key`` (counted once per corpus and filters)."""
    return layer_counts(_layers)


def layer_counts(layers: Mapping[str, Any]) -> dict[str, int]:
    """Features, mentions and distinct articles shown by ``layers``."""
    features = sum(len(gdf) for gdf in layers.values())
    mentions = 0
    articles: set[str] = set()
    for gdf in layers.values():
        if len(gdf) and "provenance" in gdf:
            for provenance in gdf["provenance"]:
                for entry in provenance or []:
                    articles.add(entry["article"])
                    mentions += len(entry.get("mentions") or [])
    return {"features": features, "mentions": mentions, "articles": len(articles)}


def show_counts(layers: Mapping[str, Any], counts: Mapping[str, int]) -> None:
    """Show counts of what is shown (``counts``: :func:`layer_counts`), in the sidebar."""
    side = st.sidebar
    side.markdown(
        f"**Shown:** {counts['features']} features · {counts['mentions']} quotes · "
        f"{counts['articles']} articles"
    )
    per_layer = " · ".join(
        f"{maps.LAYER_TITLES.get(name, name)} {len(gdf)}"
        for name, gdf in layers.items()
        if len(gdf)
    )
    side.caption(per_layer or "Nothing passes the filters.")


# ---------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class Found:
    """A place picked in the finder: its name, where to zoom, and its shape (WKT) to mark."""

    name: str
    bounds: tuple[float, float, float, float]
    wkt: str


def search_options(corpus: Any, layers: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Label ``alias → name (kind)`` → (name, geometry), for every name of every drawable place."""
    options: dict[str, tuple[str, Any]] = {}
    for place_id, place in corpus.gazetteer.places.items():
        geometry = getattr(corpus.geometries.get(place_id), "geometry", None)
        if geometry is None or geometry.is_empty:
            continue
        names = dict.fromkeys([place.name, *place.aliases, *dict(place.names).values()])
        for name in names:
            label = (
                f"{name} → {place.name} ({place.kind})"
                if name != place.name
                else (f"{place.name} ({place.kind})")
            )
            options.setdefault(label, (place.name, geometry))
    for gdf in layers.values():
        for row in gdf[gdf["source"] == "fallback"].itertuples() if len(gdf) else ():
            options.setdefault(f"{row.name} (GeoNames fallback)", (str(row.name), row.geometry))
    return dict(sorted(options.items(), key=lambda kv: kv[0].casefold()))


def sidebar_search(corpus: Any, layers: Mapping[str, Any]) -> Found | None:
    """Show a place finder over every name and alias; return the place to zoom to and mark."""
    options = search_options(corpus, layers)
    picked = st.sidebar.selectbox(
        "Find a place",
        list(options),
        index=None,
        placeholder="Any name or alias…",
        key="search",
        help="Type any spelling the gazetteer knows (aliases, other scripts); the map zooms "
        "to it and marks it in orange.",
    )
    if picked not in options:
        return None
    name, geometry = options[picked]  # only the picked shape is written out as WKT
    return Found(name, maps.pad_bounds(tuple(geometry.bounds)), geometry.wkt)


# ---------------------------------------------------------------------------------------------
# Views


def show_map(shown: ShownMap) -> Any:
    """Embed a map with streamlit-folium, rendering it only the first time it is shown.

    ``st_folium`` renders the map into the component's arguments, then calls the component.
    The first time, that call is recorded (:func:`render_once`); then, and on every later
    rerun, the recorded arguments go straight to the component, so a cached map costs no
    rendering at all.
    """
    component, arguments = render_once(shown)
    return registered(component)(**arguments)


def render_once(shown: ShownMap) -> tuple[Any, dict[str, Any]]:
    """Return streamlit-folium's component and ``shown``'s arguments, rendered the first time.

    Runs in a page or in the server's warm-up, which renders the first map ahead of the
    first visitor. streamlit-folium is imported here, not at the top: under ``st.App`` this
    file is first imported before Streamlit's runtime exists.
    """
    with quiet_missing_context():  # declared outside a page, the component is registered later
        import streamlit_folium

    current = streamlit_folium._component_func
    component = getattr(current, "recording_for", current)  # the real one, even mid-recording
    with shown.lock:
        if shown.arguments is None:
            shown.arguments = record_rendering(shown, streamlit_folium, component)
    return component, shown.arguments


def registered(component: Any) -> Any:
    """Return ``component``, registered with Streamlit's runtime if it is not yet.

    A component declared with no page running (streamlit-folium imported by the warm-up) is
    left out of the runtime's registry, which then cannot serve its frame: the map would stay
    blank. Registering the same component again changes nothing.
    """
    from streamlit import runtime

    name = getattr(component, "name", None)  # a declared component has one; a stand-in not
    if isinstance(name, str) and runtime.exists():
        registry = runtime.get_instance().component_registry
        if registry.get_component(name) is None:
            registry.register_component(component)
    return component


@contextlib.contextmanager
def quiet_missing_context() -> Iterator[None]:
    """Silence Streamlit's "missing ScriptRunContext" warning (expected outside a page)."""
    import logging

    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def record_rendering(shown: ShownMap, module: Any, component: Any) -> dict[str, Any]:
    """Render ``shown``'s map through ``module.st_folium``; return what it passes its component.

    The component is swapped for a recorder while ``st_folium`` runs, under ``maps.RENDERING``
    (a process-wide lock: this file runs again on every rerun, its globals with it). A map
    whose rendering fails is rebuilt, so a half-rendered map is never rendered again.
    """
    recorded: dict[str, Any] = {}

    def record(**arguments: Any) -> Any:
        recorded.update(arguments)
        return arguments.get("default")

    record.recording_for = component  # type: ignore[attr-defined]
    with maps.RENDERING:
        module._component_func = record
        try:
            module.st_folium(shown.fmap, **shown.widget)
        except BaseException:
            shown.fmap = shown.build()
            raise
        finally:
            module._component_func = component
    if not recorded:
        raise RuntimeError(
            "streamlit-folium did not call its component through _component_func: "
            "this version is not one refmap supports (pyproject.toml pins the range)"
        )
    shown.fmap = None  # the rendered tree is not needed again
    return recorded


def link_base() -> str:
    """Path of the app on its server: popup links open it in the top window, same origin.

    Root-relative rather than the browser's address, so the map the server warms up before
    anyone visits is the map every visitor gets (``server.baseUrlPath`` is honoured).
    """
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def view_map(loaded: Loaded, layers: Mapping[str, Any], key: tuple, found: Found | None) -> None:
    """Show the main map (zoomed to and marking the searched place), then the downloads."""
    basemap = load_basemap(boundaries_fingerprint())
    focus = found.bounds if found else None
    highlight = (found.name, found.wkt) if found else None
    shown = map_for(loaded.fingerprint, key, focus, link_base(), False, layers, basemap, highlight)
    if not any(len(gdf) for gdf in layers.values()):
        st.info("Nothing passes the filters: widen them in the sidebar.")
    show_map(shown)
    st.caption(
        "Click a feature for the sentences that mention it; **open ›** shows the article at "
        "that sentence. Line patterns show the status (see the legend); pale = approximate or "
        "schematic geometry. Continents and other large regions are in the layer list "
        "(⧉, top right), off by default, as are online tiles; the basemap works offline."
    )
    show_downloads(layers)


#: Short, distinct labels of the per-layer download buttons (they must fit a narrow column).
DOWNLOAD_LABELS = {
    "countries": "Countries",
    "regions": "Regions",
    "corridors": "Corridors",
    "borders": "Borders",
    "settlements": "Settlements",
    "incidents": "Incidents",
}


def show_downloads(layers: Mapping[str, Any]) -> None:
    """Download buttons: all layers (GeoJSON, GeoPackage), then one GeoJSON per layer."""
    from geo.export import to_feature_collection

    st.subheader("Downloads", anchor=False)
    st.caption("Exactly what the map shows under the current filters.")
    formats = (
        ("GeoJSON", "geojson", "refmap-all.geojson", "application/geo+json"),
        ("GeoPackage", "gpkg", "refmap.gpkg", "application/geopackage+sqlite3"),
    )
    for column, (label, fmt, file_name, mime) in zip(st.columns(2), formats, strict=True):
        column.download_button(
            f"All layers · {label}",
            data=lambda fmt=fmt: export_bytes(layers, fmt),
            file_name=file_name,
            mime=mime,
            on_click="ignore",
            key=f"dl_all_{fmt}",
            type="primary",
            width="stretch",
        )
    st.caption("One layer · GeoJSON")
    names = [name for name in LAYER_NAMES if layers.get(name) is not None]
    for col, name in zip(st.columns(max(1, len(names))), names, strict=False):
        gdf = layers[name]
        col.download_button(
            f"{DOWNLOAD_LABELS.get(name, name.capitalize())} ({len(gdf)})",
            data=lambda gdf=gdf: json.dumps(to_feature_collection(gdf), ensure_ascii=False),
            file_name=f"refmap-{name}.geojson",
            mime="application/geo+json",
            on_click="ignore",
            key=f"dl_{name}",
            disabled=len(gdf) == 0,
            width="stretch",
            help=f"{maps.LAYER_TITLES.get(name, name)} as GeoJSON",
        )


def export_bytes(layers: Mapping[str, Any], fmt: str) -> bytes:
    """Return the layers written by ``geo.export.write_layers`` in ``fmt``, as bytes."""
    from geo.export import write_layers

    suffix = {"geojson": ".geojson", "gpkg": ".gpkg"}[fmt]
    with tempfile.TemporaryDirectory(prefix="refmap-") as folder:
        target = Path(folder) / f"refmap{suffix}"
        write_layers(layers, target, fmt=fmt)
        return target.read_bytes()


#: Pixels per row or column of the charts (every label gets room, none is hidden).
CHART_ROW_PX = 22
CHART_COLUMN_PX = 22


def kind_color(kinds: Sequence[str]) -> alt.Color:
    """Altair colour channel of ``kind`` with the map's colours (``geo.maps.kind_scale``)."""
    domain, colours = maps.kind_scale(kinds)
    return alt.Color("kind:N", title="Kind", scale=alt.Scale(domain=domain, range=colours))


def short_article_label(entry: Mapping[str, Any]) -> str:
    """``Outlet · date — title`` of a provenance entry, short enough for a chart axis."""
    title = str(entry.get("title") or entry.get("article") or "")
    if len(title) > 40:
        title = title[:39] + "…"
    return f"{entry.get('outlet') or '?'} · {entry.get('published') or 'undated'} — {title}"


def view_charts(loaded: Loaded, layers: Mapping[str, Any], filters: Filters) -> None:
    """Charts: mentions and incidents over time, mentions per place, articles × places."""
    quotes = quotes_frame(layers)
    if quotes.empty:
        st.info("Nothing passes the filters: widen them in the sidebar.")
        return
    colour = kind_color(sorted(quotes["kind"].dropna().unique()))
    left, right = st.columns(2)
    with left:
        st.subheader("Mentions over time", anchor=False)
        dated = quotes.dropna(subset=["published"])
        if dated.empty:
            st.caption("No dated article passes the filters.")
        else:
            chart = (
                alt.Chart(dated)
                .mark_bar()
                .encode(
                    x=alt.X("yearmonth(published):T", title="Publication month"),
                    y=alt.Y("count():Q", title="Mentions"),
                    color=colour,
                    tooltip=["yearmonth(published):T", "kind:N", "count():Q"],
                )
                .properties(height=260)
            )
            st.altair_chart(chart, width="stretch")
    with right:
        st.subheader("Incidents over time", anchor=False)
        incidents = layers.get("incidents")
        frame = incidents_frame(incidents)
        if frame.empty:
            st.caption("No dated incident passes the filters.")
        else:
            chart = (
                alt.Chart(frame)
                .mark_circle(size=140, opacity=0.8, color=reader.KIND_COLORS["incident"])
                .encode(
                    x=alt.X("date:T", title="Date"),
                    y=alt.Y("event_type:N", title=None, axis=alt.Axis(labelOverlap=False)),
                    tooltip=["name:N", "date:T", "event_type:N", "mentions:Q"],
                )
                .properties(height=max(120, CHART_ROW_PX * 2 * frame["event_type"].nunique()))
            )
            st.altair_chart(chart, width="stretch")
    st.subheader("Mentions per place", anchor=False)
    per_place = quotes.groupby(["name", "kind"]).size().reset_index(name="mentions")
    per_place = per_place.sort_values(["mentions", "name"], ascending=[False, True]).head(30)
    bars = (
        alt.Chart(per_place)
        .mark_bar()
        .encode(
            x=alt.X("mentions:Q", title="Mentions"),
            y=alt.Y(
                "name:N",
                sort=list(dict.fromkeys(per_place["name"])),
                title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=260),
                scale=alt.Scale(paddingInner=0.15),
            ),
            color=colour,
            tooltip=["name:N", "kind:N", "mentions:Q"],
        )
        .properties(height=alt.Step(CHART_ROW_PX))
    )
    st.altair_chart(bars, width="stretch")
    st.subheader("Articles × places", anchor=False)
    grid = quotes.groupby(["article_label", "name"]).size().reset_index(name="mentions")
    top = list(dict.fromkeys(per_place["name"]))[:25]
    grid = grid[grid["name"].isin(top)]
    heat = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X(
                "name:N",
                sort=top,
                title=None,
                axis=alt.Axis(labelAngle=-40, labelOverlap=False, labelLimit=200),
            ),
            y=alt.Y(
                "article_label:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=300)
            ),
            color=alt.Color("mentions:Q", scale=alt.Scale(scheme="oranges"), title="Mentions"),
            tooltip=["article_label:N", "name:N", "mentions:Q"],
        )
        .properties(width=alt.Step(CHART_COLUMN_PX), height=alt.Step(CHART_ROW_PX + 8))
    )
    st.altair_chart(heat, width="content")


def quotes_frame(layers: Mapping[str, Any]) -> pd.DataFrame:
    """One row per quote shown on the map: place, kind, article, date."""
    rows = []
    for gdf in layers.values():
        if not len(gdf):
            continue
        for name, kind, provenance in zip(gdf["name"], gdf["kind"], gdf["provenance"], strict=True):
            for entry in provenance or []:
                label = short_article_label(entry)
                for _ in entry.get("mentions") or []:
                    rows.append(
                        {
                            "name": name,
                            "kind": kind,
                            "article": entry["article"],
                            "article_label": label,
                            "published": entry.get("published"),
                        }
                    )
    frame = pd.DataFrame(rows, columns=["name", "kind", "article", "article_label", "published"])
    frame["published"] = pd.to_datetime(frame["published"], errors="coerce", format="ISO8601")
    return frame


def incidents_frame(incidents: Any) -> pd.DataFrame:
    """Dated incidents: name, date, event type, mentions."""
    columns = ["name", "date", "event_type", "mentions"]
    if incidents is None or not len(incidents):
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "name": incidents["name"],
            "date": pd.to_datetime(incidents["date_start"], errors="coerce", format="ISO8601"),
            "event_type": incidents["event_type"].fillna("incident"),
            "mentions": incidents["mention_count"],
        }
    )
    return frame.dropna(subset=["date"])


def view_gazetteer(loaded: Loaded, filters: Filters) -> None:
    """Names the gazetteer lacks: unresolved and fallback-resolved, each with YAML to paste.

    Follows the sidebar's "Article body only" filter: with it on, names found only in page
    boilerplate (menus, teasers of other articles) are not suggested.
    """
    corpus = loaded.corpus
    st.subheader("Names the gazetteer lacks", anchor=False)
    st.caption(
        f"Gazetteer files: `{settings.gazetteer_dir()}`. Paste an entry into a YAML file there "
        "and save — the app reloads it on the next interaction (no restart). Invalid edits "
        "show their file:line errors above the map, which keeps the last valid gazetteer."
    )
    groups = missing_names(corpus, body_only=filters.body_only)
    where = "the article bodies" if filters.body_only else "these articles (boilerplate included)"
    if not groups:
        st.success(f"Every place name in {where} is in the gazetteer.")
        return
    fallback = sum(1 for g in groups if g["source"] == "fallback")
    st.markdown(
        f"**{len(groups)}** names: **{fallback}** resolved only by the offline GeoNames "
        f"fallback, **{len(groups) - fallback}** unresolved — in {where}."
    )
    for group in groups:
        tag = "fallback" if group["source"] == "fallback" else "unresolved"
        label = reader.escape_markdown(group["surface"])
        with st.expander(f"{label} — {tag}, {len(group['mentions'])} mention(s)"):
            for mention in group["mentions"][:5]:
                article = corpus.articles[mention.article]
                sentence = " ".join(
                    article.text[mention.sentence_start : mention.sentence_end].split()
                )
                href = reader.article_href("", mention.article, at=mention.start)
                label = reader.escape_markdown(article_label(article))
                st.markdown(f"{reader.escape_markdown(sentence)}  \n[{label} ›]({href})")
            st.code(group["yaml"], language="yaml")
            st.caption(f"Why: {reader.escape_markdown(group['mentions'][0].reason)}")


@st.cache_resource(show_spinner=False)
def fallback_index() -> Any:
    """Open the offline GeoNames index (``None`` when it is not built)."""
    try:
        from geo.fallback import GeoNamesIndex

        return GeoNamesIndex.open(build=False)
    except (GeoError, OSError):
        return None


def missing_names(corpus: Any, *, body_only: bool = True) -> list[dict[str, Any]]:
    """Mentions the gazetteer did not resolve, grouped by normalised name, with YAML entries.

    ``body_only`` leaves out mentions in page boilerplate, like the map's filter does.
    """
    from geo.fallback import normalize_name, yaml_entry

    grouped: dict[str, list[Any]] = defaultdict(list)
    for mention in corpus.mentions:
        if mention.source != "gazetteer" and (mention.in_body or not body_only):
            grouped[normalize_name(mention.surface)].append(mention)
    anchors = article_anchors(corpus.mentions)
    index = fallback_index()
    out = []
    for mentions in grouped.values():
        first = mentions[0]
        article = corpus.articles[first.article]
        sentence = " ".join(article.text[first.sentence_start : first.sentence_end].split())
        candidate = None
        if first.source == "fallback" and index is not None:
            candidate = fallback_candidate(index, first, anchors.get(first.article))
        out.append(
            {
                "surface": first.surface,
                "source": first.source,
                "mentions": mentions,
                "yaml": yaml_entry(first.surface, candidate, sentence, article.path),
            }
        )
    return sorted(out, key=lambda g: (g["source"] != "fallback", -len(g["mentions"])))


def article_anchors(mentions: Sequence[Any]) -> dict[str, tuple[float, float]]:
    """Median (lon, lat) of each article's gazetteer-resolved places.

    This is the point the fallback ranks candidates by (``geo.matching``), so the distance in
    a suggested entry's notes matches the one in the mention's reason.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> article_anchors([M(article="a", source="gazetteer", lon=44.0, lat=40.0),
    ...                  M(article="a", source="gazetteer", lon=46.0, lat=39.0),
    ...                  M(article="a", source="fallback", lon=2.0, lat=48.0)])
    {'a': (45.0, 39.5)}
    """
    import statistics

    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for m in mentions:
        if m.source == "gazetteer" and m.lon is not None and m.lat is not None:
            points[m.article].append((m.lon, m.lat))
    return {
        article: (statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts))
        for article, pts in points.items()
    }


def fallback_candidate(index: Any, mention: Any, near: tuple[float, float] | None = None) -> Any:
    """Return the GeoNames candidate the fallback chose for ``mention`` (or ``None``).

    ``near`` is the article's other places (:func:`article_anchors`), never the mention's own
    point: ranked against itself, every candidate would be "0 km" from the article.
    """
    try:
        geonameid = int(str(mention.place_id).rsplit(":", 1)[-1])
    except ValueError:
        return None
    try:
        found = index.lookup(mention.surface, near=near)
    except GeoError:
        return None
    return next((c for c in found if c.geonameid == geonameid), None)


def view_articles(loaded: Loaded) -> None:
    """Show the list of articles, each opening in the reader."""
    corpus = loaded.corpus
    counts = Counter(m.article for m in corpus.mentions)
    rows = [
        {
            "read": reader.article_href("", a.id),
            "published": a.published,
            "outlet": a.outlet,
            "title": a.title or a.id,
            "mentions": counts.get(a.id, 0),
            "id": a.id,
        }
        for a in sorted(corpus.articles.values(), key=lambda a: (a.published or dt.date.max, a.id))
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "read": st.column_config.LinkColumn("Read", display_text="open ›", width="small"),
            "published": st.column_config.DateColumn("Published"),
        },
    )
    if corpus.problems:
        with st.expander(f"{len(corpus.problems)} article(s) could not be read"):
            for problem in corpus.problems:
                st.markdown(f"- {reader.escape_markdown(problem)}")


# ---------------------------------------------------------------------------------------------
# Article reader


def read_int(params: Mapping[str, Any], name: str) -> int | None:
    """Return an integer query parameter, ``None`` when missing or not a number."""
    value = params.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


UNSAFE_ID = re.compile(r"[/\\\x00]|\.\.|^\.|^\s|\s$|^$")


def unknown_article_message(article_id: str, known: int) -> str:
    r"""Why ``article_id`` cannot be shown: an unsafe id, or no such article among those loaded.

    Only ids of the loaded corpus are ever shown, so no file is read for an id from the URL.

    Examples
    --------
    >>> unknown_article_message("../etc/passwd", 5).startswith("“\\.\\./etc/passwd” is not")
    True
    >>> unknown_article_message("nope", 5)[:24]
    'No article “nope” among '
    """
    shown = article_id if len(article_id) <= 80 else article_id[:80] + "…"
    folder = settings.seeds_dir().name
    shown = reader.escape_markdown(shown)
    if UNSAFE_ID.search(article_id):
        return (
            f"“{shown}” is not a valid article id — an id is the name of a file in "
            f"{folder}/ without its extension (such as 000\\_4a2e8bf07db3be1a), with no path "
            "separators or '..'. Pick an article below."
        )
    return f"No article “{shown}” among the {known} articles loaded from {folder}/. Pick one below."


def view_reader(loaded: Loaded, article_id: str, filters: Filters) -> None:
    """One article with every mention highlighted, its metadata and a small map."""
    corpus = loaded.corpus
    if st.button("← Back to the map", key="back"):
        st.query_params.clear()
        st.rerun()
    article = corpus.articles.get(article_id)
    if article is None:
        st.error(unknown_article_message(article_id, len(corpus.articles)))
        pick_article(corpus, None)
        return
    pick_article(corpus, article_id)
    st.header(reader.escape_markdown(article.title or article.id), anchor=False)
    meta = [article.outlet or "unknown outlet"]
    meta.append(article.published.isoformat() if article.published else "undated")
    url = reader.safe_url(article.url)
    line = " · ".join(reader.escape_markdown(x) for x in meta)
    if url:
        line += f" · [{reader.escape_markdown(url)}]({url.replace(')', '%29').replace(' ', '%20')})"
    elif article.url:
        shown_url = reader.escape_markdown(str(article.url)[:80])
        line += f" · URL not shown (not http/https): {shown_url}"
    st.markdown(line)
    from geo.articles import sentences

    mentions = sorted(
        (m for m in corpus.mentions if m.article == article.id), key=lambda m: (m.start, m.end)
    )
    target, hit, problem = reader_target(article, mentions, st.query_params)
    if problem:
        st.warning(problem)
    names = {pid: p.name for pid, p in corpus.gazetteer.places.items()}
    names.update({m.place_id: m.surface for m in mentions if m.source == "fallback"})
    spans = sentences(article)
    if target is not None and target[0] not in {s for s, _ in spans}:
        spans = sorted({*spans, target})
    text_col, side_col = st.columns([3, 2], gap="large")
    with side_col:
        st.subheader("Places in this article", anchor=False)
        article_filters = Filters(
            articles=frozenset({article.id}),
            roles=frozenset(settings.ROLES),
            body_only=filters.body_only,
        )
        layers = layers_for(
            loaded.fingerprint, filter_key(article_filters), loaded, article_filters
        )
        basemap = load_basemap(boundaries_fingerprint())
        small = map_for(
            loaded.fingerprint,
            filter_key(article_filters),
            None,
            link_base(),
            True,
            layers,
            basemap,
        )
        show_map(small)
        st.html(f"<style>{reader.READER_CSS}</style>{reader.reader_key_html()}")
        resolved = Counter(m.source or "unresolved" for m in mentions)
        st.caption(
            f"{len(mentions)} mentions: "
            + ", ".join(f"{n} {source}" for source, n in sorted(resolved.items()))
        )
    with text_col:
        if target is not None:
            st.caption("The highlighted sentence is the one the map linked to.")
        body = reader.article_html(
            article, mentions, sentence_spans=spans, place_names=names, target=target, hit=hit
        )
        st.html(f"<style>{reader.READER_CSS}</style>{body}")
    if target is not None:
        scroll_to(f"rm-s-{target[0]}")


def read_param(params: Mapping[str, Any], name: str) -> tuple[int | None, str | None]:
    """Return ``(value, None)``; ``(None, raw)`` for a non-number; ``(None, None)`` if absent.

    Examples
    --------
    >>> read_param({"at": "12"}, "at"), read_param({"at": "abc"}, "at"), read_param({}, "at")
    ((12, None), (None, 'abc'), (None, None))
    """
    raw = params.get(name)
    if raw is None:
        return None, None
    value = read_int(params, name)
    return (value, None) if value is not None else (None, str(raw))


def reader_target(
    article: Any, mentions: Sequence[Any], params: Mapping[str, Any]
) -> tuple[tuple[int, int] | None, tuple[int, int] | None, str | None]:
    """Return the sentence and mention to highlight (``at``, ``mention`` or ``sentence``).

    The third value explains, for the reader, a parameter that cannot be honoured (not a
    number, no such mention, past the end of the text); ``None`` when all is well.
    """
    from geo.articles import sentence_span

    top = "showing the article from the top."
    values = {name: read_param(params, name) for name in ("at", "mention", "sentence")}
    for name, (_, raw) in values.items():
        if raw is not None:
            shown = reader.escape_markdown(raw if len(raw) <= 30 else raw[:30] + "…")
            return None, None, f"{name}={shown} is not a whole number: {top}"
    (at, _), (index, _), (sentence, _) = values.values()
    chosen = None
    if at is not None:
        chosen = next((m for m in mentions if m.start <= at < m.end), None)
    elif index is not None:
        if not 0 <= index < len(mentions):
            return (
                None,
                None,
                (
                    f"mention {index} does not exist in this article (it has {len(mentions)}, "
                    f"numbered from 0): {top}"
                ),
            )
        chosen = mentions[index]
    if chosen is not None:
        return (chosen.sentence_start, chosen.sentence_end), (chosen.start, chosen.end), None
    offset = sentence if sentence is not None else at
    if offset is None:
        return None, None, None
    if not 0 <= offset < len(article.text):
        name = "sentence" if sentence is not None else "at"
        return (
            None,
            None,
            (
                f"{name}={offset} is outside this article (it has {len(article.text):,} "
                f"characters): {top}"
            ),
        )
    return tuple(sentence_span(article, offset)), None, None  # type: ignore[return-value]


def pick_article(corpus: Any, current: str | None) -> None:
    """Show a picker that opens another article (sets ``?article=``)."""
    articles = corpus.articles
    ordered = sorted(articles, key=lambda a: (articles[a].published or dt.date.max, a))
    index = ordered.index(current) if current in ordered else None
    picked = st.selectbox(
        "Open an article",
        ordered,
        index=index,
        format_func=lambda a: article_label(articles[a]),
        placeholder="Choose an article…",
        key=f"pick_{current}",
    )
    if picked and picked != current:
        st.query_params.clear()
        st.query_params["article"] = picked
        st.rerun()


def scroll_to(element_id: str) -> None:
    """Scroll the page to ``element_id`` once it is rendered (id is built from digits only)."""
    safe_id = json.dumps(element_id)
    st.html(
        f"""<script>
        (function (tries) {{
          function go() {{
            var el = window.parent.document.getElementById({safe_id});
            if (el) {{ el.scrollIntoView({{block: "center"}}); }}
            else if (tries-- > 0) {{ setTimeout(go, 100); }}
          }}
          go();
        }})(50);
        </script>""",
        unsafe_allow_javascript=True,
    )


# ---------------------------------------------------------------------------------------------
# Main


def friendly_error(view: str, exc: BaseException) -> str:
    r"""Markdown of an unexpected error in ``view``: no traceback, the message escaped.

    Examples
    --------
    >>> friendly_error("Map", KeyError("<b>x</b>"))[:56]
    'Something went wrong in the Map view: KeyError: \\'&lt;b&'
    """
    message = str(exc)
    if len(message) > 300:
        message = message[:299] + "…"
    return (
        f"Something went wrong in the {view} view: {type(exc).__name__}: "
        f"{reader.escape_markdown(message)}. The data files are unchanged; please report this."
    )


def run_view(view: str, show: Any, *args: Any) -> None:
    """Run one view; show a refmap error's own message, any other error as a friendly note.

    Streamlit's rerun/stop signals are ``BaseException``s and pass through untouched.
    """
    try:
        show(*args)
    except GeoError as exc:
        st.error(f"**{view}:** {reader.escape_markdown(exc)}")
    except Exception as exc:  # the last line of defence: never a traceback
        st.error(friendly_error(view, exc))


def main() -> None:
    """Wire the sidebar, the views and the reader."""
    st.set_page_config(page_title="refmap — places in the news", page_icon="🗺️", layout="wide")
    st.html(f"<style>{PAGE_CSS}</style>")
    loaded = current_inputs()
    if loaded is None:
        st.stop()
    corpus = loaded.corpus
    st.sidebar.title("refmap")
    st.sidebar.caption(
        f"{len(corpus.articles)} articles · {len(corpus.gazetteer.places)} gazetteer places · "
        f"{len(corpus.mentions)} mentions"
    )
    filters = sidebar_filters(corpus)
    key = filter_key(filters)
    layers = layers_for(loaded.fingerprint, key, loaded, filters)
    found = sidebar_search(corpus, layers)
    show_counts(layers, counts_for(loaded.fingerprint, key, layers))
    article_id = st.query_params.get("article")
    if article_id is not None:
        run_view("article", view_reader, loaded, article_id, filters)
        return
    view = st.segmented_control(
        "View", VIEWS, default="Map", key="view", label_visibility="collapsed"
    )
    if view == "Charts":
        run_view("Charts", view_charts, loaded, layers, filters)
    elif view == "Gazetteer":
        run_view("Gazetteer", view_gazetteer, loaded, filters)
    elif view == "Articles":
        run_view("Articles", view_articles, loaded)
    else:
        run_view("Map", view_map, loaded, layers, key, found)


# ---------------------------------------------------------------------------------------------
# Server. `streamlit run app.py` finds the ``app`` below (Streamlit reads this file's syntax
# tree) and serves this same file as the page through it. The server adds two things to
# Streamlit's own: it compresses every response, Streamlit's 3 MB front end included (which
# Streamlit itself sends uncompressed), and it warms up before it answers, so the first map
# does not wait for imports and the corpus. The page itself runs as ``__main__``.


@contextlib.asynccontextmanager
async def warm_up(_app: Any) -> AsyncIterator[None]:
    """Load what the first map needs before the server takes requests (errors wait for the page)."""
    await asyncio.to_thread(warm_caches)
    yield


def warm_caches() -> None:
    """Load the corpus and first layers into the page's caches, write the basemap; never raise."""
    import logging

    log = logging.getLogger("refmap")
    started = time.perf_counter()
    try:
        loaded = load_inputs(input_fingerprint())
        filters = Filters()  # what the sidebar shows first
        key = filter_key(filters)
        layers = layers_for(loaded.fingerprint, key, loaded, filters)
        counts_for(loaded.fingerprint, key, layers)
        basemap = load_basemap(boundaries_fingerprint())
        # the same arguments as view_map's first call, so the first visitor's map is this one,
        # rendered already (the first map of a 10k-article corpus takes ~1 s to render)
        shown = map_for(loaded.fingerprint, key, None, link_base(), False, layers, basemap, None)
        render_once(shown)
        import streamlit.emojis  # noqa: F401 - read by set_page_config for the page icon
    except Exception as exc:  # the page shows load errors with their file:line
        log.warning("refmap: warm-up stopped (%s); the page will report it", exc)
        return
    log.info("refmap: warm in %.1f s", time.perf_counter() - started)


if __name__ == "__main__":
    main()
else:
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    app = st.App(
        __file__,
        lifespan=warm_up,
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
    )
