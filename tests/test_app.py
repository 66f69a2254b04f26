"""The Streamlit app's logic through streamlit.testing.v1.AppTest (no browser)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

pytestmark = pytest.mark.slow  # each run loads the corpus (a few seconds)


#: A highlighted sentence in the reader's HTML (the CSS also names the class: match markup).
TARGET = re.compile(r'class="[^"]*\brm-target\b')


def sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def shown_counts(at: AppTest) -> tuple[int, int, int]:
    match = re.search(r"(\d+) features · (\d+) quotes · (\d+) articles", sidebar_text(at))
    assert match, sidebar_text(at)
    return tuple(int(x) for x in match.groups())  # type: ignore[return-value]


def maps_shown(at: AppTest) -> int:
    """How many streamlit-folium maps the page holds."""
    return sum("st_folium" in str(e.proto.component_name) for e in at.get("component_instance"))


def count_renderings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the widget key of every map streamlit-folium renders from now on."""
    import streamlit_folium

    rendered: list[str] = []
    render = streamlit_folium.st_folium
    monkeypatch.setattr(
        streamlit_folium,
        "st_folium",
        lambda fmap, **kw: rendered.append(kw["key"]) or render(fmap, **kw),
    )
    return rendered


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the data folder (boundaries linked, gazetteer copied) to break."""
    source = Path(os.environ.get("REFMAP_DATA_DIR", ROOT / "data"))
    target = tmp_path_factory.mktemp("data")
    for child in source.iterdir():
        if child.name == "gazetteer":
            shutil.copytree(child, target / "gazetteer")
        else:
            (target / child.name).symlink_to(child.resolve())
    return target


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, data_copy: Path) -> AppTest:
    monkeypatch.setenv("REFMAP_DATA_DIR", str(data_copy))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def test_runs_on_the_seeds_and_shows_counts(app: AppTest) -> None:
    features, quotes, articles = shown_counts(app)
    assert features > 0 and quotes > 0 and articles > 0
    assert not app.error
    assert app.segmented_control(key="view").value == "Map"


@pytest.mark.parametrize(
    ("change", "direction"),
    [
        (lambda at: at.sidebar.toggle(key="f_metonymic").set_value(True), "more"),
        (lambda at: at.sidebar.checkbox(key="f_locative").uncheck(), "fewer"),
        (lambda at: at.sidebar.multiselect(key="f_kinds").select("settlement"), "fewer"),
    ],
)
def test_filters_change_what_is_shown(app: AppTest, change, direction: str) -> None:
    before = shown_counts(app)
    change(app).run()
    assert not app.exception, app.exception
    after = shown_counts(app)
    if direction == "more":
        assert after[1] > before[1]
    else:
        assert after[1] < before[1]


def test_including_boilerplate_adds_exactly_its_mentions(app: AppTest) -> None:
    from geo.layers import Filters
    from geo.pipeline import load_corpus

    # the app's corpus: the same data folder (the fixture set REFMAP_DATA_DIR), boilerplate kept
    corpus = load_corpus(include_boilerplate=True)
    wider = Filters(body_only=False)
    in_boilerplate = sum(
        1
        for m in corpus.mentions
        if not m.in_body and wider.keeps_mention(m, corpus.articles.get(m.article))
    )
    before = shown_counts(app)
    app.sidebar.checkbox(key="f_body").uncheck().run()
    assert not app.exception, app.exception
    assert shown_counts(app)[1] == before[1] + in_boilerplate


def test_one_article_filter_narrows_to_that_article(app: AppTest) -> None:
    picker = app.sidebar.multiselect(key="f_articles")
    picker.select(picker.options[0]).run()
    assert shown_counts(app)[2] == 1


def test_every_view_runs(app: AppTest) -> None:
    for view in ("Charts", "Gazetteer", "Articles", "Map"):
        app.segmented_control(key="view").set_value(view).run()
        assert not app.exception, (view, app.exception)
        assert not app.error, (view, [e.value for e in app.error])


def test_invalid_gazetteer_shows_errors_and_keeps_the_last_map(
    app: AppTest, data_copy: Path
) -> None:
    before = shown_counts(app)
    broken = data_copy / "gazetteer" / "zz_broken_test.yaml"
    broken.write_text("- id: Not A Slug\n  kind: nowhere\n  geometry: {point: [1, 2, 3]}\n")
    try:
        app.run()
        assert not app.exception, app.exception
        # the messages are Markdown-escaped: drop the escapes to read them as a person does
        errors = "\n".join(e.value for e in app.error).replace("\\", "")
        assert "zz_broken_test.yaml:1: id is 'Not A Slug'" in errors
        assert any("last valid gazetteer" in w.value for w in app.warning)
        assert shown_counts(app) == before
    finally:
        broken.unlink()
    app.run()
    assert not app.error
    assert shown_counts(app) == before


@pytest.mark.parametrize(
    ("article", "message"),
    [
        ("../../etc/passwd", "is not a valid article id"),
        ("/etc/passwd", "is not a valid article id"),
        ("..", "is not a valid article id"),
        ("no_such_article", "No article “no\\_such\\_article” among the"),
        ("", "is not a valid article id"),
    ],
)
def test_unknown_or_unsafe_article_gets_a_clear_message(
    app: AppTest, article: str, message: str
) -> None:
    app.query_params["article"] = article
    app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and message in errors[0], errors


def test_reader_opens_an_article_at_a_mention(app: AppTest) -> None:
    app.segmented_control(key="view").set_value("Articles").run()
    frame = app.dataframe[0].value
    first = frame.iloc[0]
    app.query_params["article"] = first["id"]
    app.query_params["mention"] = "0"
    app.run()
    assert not app.exception, app.exception
    assert not app.error
    html = "\n".join(str(h.proto.body) for h in app.get("html"))
    assert 'class="rm-article"' in html
    assert TARGET.search(html) and re.search(r'class="[^"]*\brm-hit\b', html)


def expected_counts(filters) -> tuple[int, int, int]:
    """Features, quotes and articles the layers hold under ``filters`` (the sidebar's sums)."""
    from geo.layers import build_layers
    from geo.pipeline import corpus_incidents, load_corpus

    corpus = load_corpus(include_boilerplate=True)
    layers = build_layers(
        corpus.gazetteer.places,
        corpus.geometries,
        corpus.mentions,
        corpus.articles,
        corpus_incidents(corpus, include_boilerplate=not filters.body_only),
        filters,
    )
    quotes, articles = 0, set()
    for gdf in layers.values():
        for provenance in gdf["provenance"] if len(gdf) else ():
            for entry in provenance or []:
                articles.add(entry["article"])
                quotes += len(entry.get("mentions") or [])
    return sum(len(g) for g in layers.values()), quotes, len(articles)


def test_narrowing_the_date_range_changes_the_counts_as_expected(app: AppTest) -> None:
    from geo.layers import Filters
    from geo.pipeline import load_corpus

    corpus = load_corpus(include_boilerplate=True)
    dates = sorted({a.published for a in corpus.articles.values() if a.published})
    assert len(dates) >= 2, "the seeds need two publication dates for this test"
    before = shown_counts(app)
    assert before == expected_counts(Filters())
    for lo, hi in ((dates[1], dates[-1]), (dates[0], dates[0])):
        app.sidebar.date_input(key="f_dates").set_value((lo, hi)).run()
        assert not app.exception, app.exception
        after = shown_counts(app)
        assert after == expected_counts(Filters(date_from=lo, date_to=hi)), (lo, hi)
        in_range = {
            a.id for a in corpus.articles.values() if a.published and lo <= a.published <= hi
        }
        assert 0 < after[2] <= len(in_range) < before[2]
        assert after[1] < before[1]


def test_an_unexpected_error_shows_a_friendly_message_not_a_traceback(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo import reader

    def broken(*_args, **_kwargs):
        raise RuntimeError("<script>alert(1)</script> broke")

    monkeypatch.setattr(reader, "article_href", broken)
    app.segmented_control(key="view").set_value("Articles").run()
    assert not app.exception, app.exception  # no traceback reached the page
    (error,) = [e.value for e in app.error]
    assert error.startswith("Something went wrong in the Articles view: RuntimeError: ")
    assert "&lt;script&gt;" in error and "<script>" not in error
    assert error.endswith("The data files are unchanged; please report this.")
    assert shown_counts(app)[0] > 0  # the sidebar still works


def test_a_geo_error_in_a_view_keeps_its_own_message(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo import reader
    from geo.errors import GeoError

    def refuse(*_args, **_kwargs):
        raise GeoError("the article list is unreadable — expected X; fix Y")

    monkeypatch.setattr(reader, "article_href", refuse)
    app.segmented_control(key="view").set_value("Articles").run()
    assert not app.exception, app.exception
    (error,) = [e.value.replace("\\", "") for e in app.error]
    assert "the article list is unreadable — expected X; fix Y" in error
    assert "Something went wrong" not in error


def test_error_details_are_never_shown_to_users() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"mention": "99999"}, r"mention 99999 does not exist in this article \(it has \d+,"),
        ({"mention": "-1"}, r"mention -1 does not exist in this article"),
        ({"at": "abc"}, r"at=abc is not a whole number: showing the article from the top"),
        ({"at": "99999999"}, r"at=99999999 is outside this article \(it has [\d,]+ characters\)"),
        ({"sentence": "x1"}, r"sentence=x1 is not a whole number"),
        ({"mention": "0"}, None),
        ({}, None),
    ],
)
def test_reader_explains_link_parameters_it_cannot_honour(
    app: AppTest, params: dict, warning: str | None
) -> None:
    app.segmented_control(key="view").set_value("Articles").run()
    article_id = app.dataframe[0].value.iloc[0]["id"]
    app.query_params["article"] = article_id
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, app.exception
    warnings = [w.value.replace("\\", "") for w in app.warning]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and re.search(warning, warnings[0]), warnings
        html = "\n".join(str(h.proto.body) for h in app.get("html"))
        assert 'class="rm-article"' in html and not TARGET.search(html)


def test_gazetteer_panel_follows_the_body_only_filter(app: AppTest) -> None:
    from geo.pipeline import load_corpus

    corpus = load_corpus(include_boilerplate=True)
    outside = {m.surface for m in corpus.mentions if m.source != "gazetteer" and not m.in_body}
    inside = {m.surface for m in corpus.mentions if m.source != "gazetteer" and m.in_body}
    only_boilerplate = outside - inside
    assert only_boilerplate, "the seeds need a boilerplate-only unknown name for this test"
    app.segmented_control(key="view").set_value("Gazetteer").run()
    labels = [e.label.replace("\\", "") for e in app.expander]
    assert not any(label.split(" — ")[0] in only_boilerplate for label in labels), labels
    app.sidebar.checkbox(key="f_body").uncheck().run()
    wider = [e.label.replace("\\", "") for e in app.expander]
    assert any(label.split(" — ")[0] in only_boilerplate for label in wider)
    assert len(wider) > len(labels)


def test_downloads_have_short_distinct_labels(app: AppTest) -> None:
    buttons = app.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert "All layers · GeoJSON" in labels and "All layers · GeoPackage" in labels
    assert len(set(labels)) == len(labels)
    assert all(len(label) <= 24 for label in labels), labels


def test_search_zooms_to_a_place_without_error(app: AppTest) -> None:
    finder = app.sidebar.selectbox(key="search")
    label = next(o for o in finder.options if o.startswith("Syunik"))
    finder.select(label).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def test_the_warm_up_loads_what_the_first_visitor_needs(
    monkeypatch: pytest.MonkeyPatch, data_copy: Path
) -> None:
    """The server's warm-up (this file imported as a module) fills the page's own caches.

    The first map is rendered there too, so the first visitor's page only sends it.
    """
    import importlib.util

    from geo import pipeline

    monkeypatch.setenv("REFMAP_DATA_DIR", str(data_copy))
    (data_copy / "gazetteer" / "zz_warm.yaml").write_text("# a fresh fingerprint\n[]\n")
    loads = []
    real = pipeline.load_indexed_corpus  # the app's corpus load (through the mention index)
    monkeypatch.setattr(
        pipeline, "load_indexed_corpus", lambda **kw: loads.append(kw) or real(**kw)
    )
    rendered = count_renderings(monkeypatch)
    spec = importlib.util.spec_from_file_location("app", APP)
    assert spec and spec.loader
    server_side = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "app", server_side)
    spec.loader.exec_module(server_side)  # as the server imports it: defines `app`, no page
    assert type(server_side.app).__name__ == "App"
    server_side.warm_caches()
    assert len(loads) == 1
    assert rendered == ["main_map"]
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert len(loads) == 1, "the first page run loaded the corpus again"
    assert rendered == ["main_map"], "the first page run rendered the map again"
    assert shown_counts(at)[0] > 0
    assert maps_shown(at) == 1


def test_a_map_is_rendered_once_and_shown_on_every_rerun(
    monkeypatch: pytest.MonkeyPatch, data_copy: Path
) -> None:
    """Reruns send a cached map's recorded arguments to the component without rendering it."""
    monkeypatch.setenv("REFMAP_DATA_DIR", str(data_copy))
    (data_copy / "gazetteer" / "zz_render.yaml").write_text("# a fresh fingerprint\n[]\n")
    rendered = count_renderings(monkeypatch)

    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    kinds = at.sidebar.multiselect(key="f_kinds")
    for value in ([], ["settlement"], [], ["settlement"]):
        kinds.set_value(value).run()
        assert not at.exception, at.exception
        assert maps_shown(at) == 1, f"no map on the page after kinds={value}"
    assert rendered == ["main_map", "main_map"]  # the default map once, the settlement map once


def test_a_map_whose_rendering_failed_is_rebuilt_not_rendered_twice(
    monkeypatch: pytest.MonkeyPatch, data_copy: Path
) -> None:
    """folium maps change as they render: after a failed rendering the next one starts afresh."""
    import streamlit_folium

    monkeypatch.setenv("REFMAP_DATA_DIR", str(data_copy))
    headers: list[int] = []
    real_component, real_render = streamlit_folium._component_func, streamlit_folium.st_folium

    def spy(**arguments):
        headers.append(len(arguments["header"]))
        return real_component(**arguments)

    failures = []

    def flaky(fmap, **options):
        if not failures:
            failures.append(options["key"])
            real_render(fmap, **options)  # the work done: the map has changed
            raise RuntimeError("rendering failed")
        return real_render(fmap, **options)

    monkeypatch.setattr(streamlit_folium, "_component_func", spy)
    monkeypatch.setattr(streamlit_folium, "st_folium", flaky)
    (data_copy / "gazetteer" / "zz_flaky.yaml").write_text("# a fresh fingerprint\n[]\n")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert failures == ["main_map"] and at.error and not headers  # the page said so
    at.run()
    assert not at.exception and len(headers) == 1
    (data_copy / "gazetteer" / "zz_flaky.yaml").write_text("# another fingerprint\n[]\n")
    AppTest.from_file(APP, default_timeout=180).run()  # a map rendered once, cleanly
    assert len(headers) == 2 and headers[0] == headers[1]
