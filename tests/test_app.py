"""The Streamlit app's logic through streamlit.testing.v1.AppTest (no browser)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

pytestmark = pytest.mark.slow  # each run loads the corpus (a few seconds)


def sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def shown_counts(at: AppTest) -> tuple[int, int, int]:
    match = re.search(r"(\d+) features · (\d+) quotes · (\d+) articles", sidebar_text(at))
    assert match, sidebar_text(at)
    return tuple(int(x) for x in match.groups())  # type: ignore[return-value]


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
    assert "rm-target" in html and "rm-hit" in html
