"""Tests of geo.index: content keys, incremental updates, invalidation, crash safety, reading."""

from __future__ import annotations

import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import index
from geo.articles import load_articles
from geo.matching import _fold_text_exact, build_matcher, find_mentions, fold_text
from geo.models import Place

ROOT = Path(__file__).resolve().parent.parent

PLACES = [
    Place("armenia", "Armenia", "country", country="ARM"),
    Place("azerbaijan", "Azerbaijan", "country", country="AZE"),
    Place("baku", "Baku", "settlement", country="AZE"),
    Place("kapan", "Kapan", "settlement", country="ARM"),
    Place("goris", "Goris", "settlement", country="ARM"),
]
POINTS = {"armenia": (44.9, 40.2), "azerbaijan": (47.5, 40.3), "baku": (49.87, 40.41)}

TEXTS = {
    "a": "Talks in Baku\n\nLeaders of Armenia and Azerbaijan met in Baku on Monday.\n",
    "b": "Shelling near Kapan\n\nShells fell near Kapan. Baku said it was not involved.\n",
    "c": "Weather\n\nIt rained all day. Nobody went out.\n",
    "d": "Road to Goris\n\nThe road from Kapan to Goris reopened on Friday morning.\n",
}


def write_corpus(folder: Path, texts: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def update(folder: Path, db: Path, places=PLACES, **options) -> index.IndexReport:
    matcher = build_matcher(places, POINTS)
    engine = options.pop("engine", None) or index.local_engine(1)
    return index.update_index([folder], matcher, path=db, engine=engine, progress=False, **options)


def expected_mentions(folder: Path, places=PLACES) -> list:
    """What find_mentions gives for every article of the folder (boilerplate included)."""
    matcher = build_matcher(places, POINTS)
    articles, problems = load_articles([folder])
    assert problems == []
    return [m for a in sorted(articles, key=lambda a: a.id) for m in find_mentions(a, matcher)]


# --- keys and fingerprints ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ((b"text", ".txt", None), (b"text", ".txt", {}), True),
        ((b"text", ".txt", None), (b"text", ".TXT", None), True),
        ((b"text", ".txt", None), (b"text!", ".txt", None), False),
        ((b"text", ".txt", None), (b"text", ".md", None), False),
        ((b"text", ".txt", {"title": "A"}), (b"text", ".txt", {"title": "B"}), False),
        ((b"", ".txt", None), (b"", ".txt", None), True),
    ],
)
def test_content_key(left, right, same):
    assert (index.content_key(*left) == index.content_key(*right)) is same


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({}, {}, set()),
        ({"a": ("1", ["x"])}, {"a": ("1", ["x"])}, set()),
        ({"a": ("1", ["x"])}, {"a": ("2", ["x", "y"])}, {"x", "y"}),
        ({"a": ("1", ["x"])}, {}, {"x"}),
        ({}, {"b": ("1", ["z"])}, {"z"}),
    ],
)
def test_changed_aliases(old, new, expected):
    assert index.changed_aliases(old, new) == expected


def test_place_fingerprints_change_with_what_matching_reads():
    base = index.place_fingerprints(build_matcher(PLACES, POINTS))
    moved = index.place_fingerprints(build_matcher(PLACES, {**POINTS, "baku": (49.0, 40.0)}))
    assert base["baku"][0] != moved["baku"][0]
    assert base["kapan"] == moved["kapan"]


def test_place_fingerprints_change_with_a_region_outline():
    # names the gazetteer lacks are looked for inside the regions an article names: a new
    # outline can change their places, so it must redo the articles naming the region
    import shapely

    from geo.geometry import ResolvedGeometry

    places = [*PLACES, Place("syunik", "Syunik", "region", country="ARM")]

    def outline(*box: float) -> dict:
        return {"syunik": ResolvedGeometry(shapely.box(*box), "test", "exact", 3, 46.0, 39.5)}

    base = index.place_fingerprints(build_matcher(places, outline(45.5, 38.8, 46.6, 39.8)))
    same = index.place_fingerprints(build_matcher(places, outline(45.5, 38.8, 46.6, 39.8)))
    grown = index.place_fingerprints(build_matcher(places, outline(45.0, 38.8, 46.6, 39.8)))
    assert base == same
    assert base["syunik"][0] != grown["syunik"][0]
    assert base["kapan"] == grown["kapan"]


# --- incremental updates --------------------------------------------------------------------


def test_first_run_stores_what_find_mentions_finds(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    report = update(folder, tmp_path / "i.sqlite")
    assert (report.articles, report.computed, report.reused, report.problems) == (4, 4, 0, ())
    stored = list(index.read_mentions(tmp_path / "i.sqlite", include_boilerplate=True))
    assert stored == expected_mentions(folder)
    assert report.mentions == len(stored) > 0


def test_rerun_add_edit_rename_delete_recompute_only_what_changed(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    assert update(folder, db).computed == 0
    (folder / "e.txt").write_text("New\n\nRefugees reached Goris.\n", encoding="utf-8")
    assert (update(folder, db).computed, update(folder, db).computed) == (1, 0)
    (folder / "a.txt").write_text(TEXTS["a"] + "Kapan too.\n", encoding="utf-8")
    assert update(folder, db).computed == 1
    (folder / "b.txt").rename(folder / "b2.txt")
    renamed = update(folder, db)
    assert (renamed.computed, renamed.reused) == (0, 1)
    (folder / "c.txt").unlink()
    assert update(folder, db).articles == 4
    assert list(index.read_mentions(db, include_boilerplate=True)) == expected_mentions(folder)


def test_gazetteer_edit_recomputes_only_articles_holding_changed_aliases(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    edited = [p for p in PLACES if p.id != "goris"] + [
        Place("goris", "Goris", "settlement", aliases=("Gorus",), country="ARM")
    ]
    report = update(folder, db, places=edited)
    assert (report.invalidated, report.computed) == (1, 1)  # only "d" names Goris
    stored = list(index.read_mentions(db, include_boilerplate=True))
    assert stored == expected_mentions(folder, edited)


def test_engine_change_recomputes_everything(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    report = update(folder, db, fallback_version="another")
    assert (report.invalidated, report.computed) == (4, 4)


def test_unreadable_articles_are_reported_and_the_others_indexed(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 10)
    report = update(folder, tmp_path / "i.sqlite")
    assert report.articles == 4
    shown = sorted(str(p) for p in report.problems)
    assert len(shown) == 2
    assert "binary data" in shown[0] and "empty" in shown[1]


def test_empty_folder_gives_an_empty_index(tmp_path):
    folder = write_corpus(tmp_path / "articles", {})
    report = update(folder, tmp_path / "i.sqlite")
    assert (report.articles, report.mentions) == (0, 0)
    assert index.place_counts(tmp_path / "i.sqlite") == []


# --- reading ---------------------------------------------------------------------------------


def test_place_counts_aggregate_the_mentions(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    mentions = [m for m in index.read_mentions(db) if m.place_id]
    counted = {c.place_id: (c.mentions, c.articles) for c in index.place_counts(db)}
    by_place = collections.defaultdict(list)
    for m in mentions:
        by_place[m.place_id].append(m.article)
    assert counted == {p: (len(a), len(set(a))) for p, a in by_place.items()}
    only_b = index.place_counts(db, articles=["b"])
    assert {c.place_id for c in only_b} == {m.place_id for m in mentions if m.article == "b"}
    assert index.place_counts(db, roles=[]) == []


def test_indexed_articles_lists_titles(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    update(folder, tmp_path / "i.sqlite")
    listed = index.indexed_articles(tmp_path / "i.sqlite")
    assert sorted(listed) == ["a", "b", "c", "d"]
    assert listed["a"]["title"] == "Talks in Baku"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no index — expected a file written by 'python -m geo index'"),
        (b"not a database at all, just text" * 100, "cannot be read as a refmap index"),
    ],
)
def test_bad_index_files_are_refused_with_a_hint(tmp_path, content, message):
    db = tmp_path / "i.sqlite"
    if content is not None:
        db.write_bytes(content)
    with pytest.raises(index.IndexFileError, match=message):
        list(index.read_mentions(db))


def test_an_index_of_another_format_is_rebuilt(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    with pytest.raises(index.IndexFileError, match="index format 0 — expected"):
        list(index.read_mentions(db))
    assert update(folder, db).computed == 4


# --- the fast fold used by the index (belongs with tests/test_matching.py) --------------------


@given(st.text(alphabet=st.sampled_from(list("aZ  \n\t\u00a0-–’'.é\u0301ß…\u200bİ")), max_size=40))
@settings(max_examples=500, deadline=None)
def test_fast_fold_equals_the_character_by_character_fold(text):
    for keep_case in (False, True):
        fast, exact = fold_text(text, keep_case=keep_case), _fold_text_exact(text, keep_case)
        assert fast.text == exact.text
        assert list(fast.starts) == list(exact.starts)
        assert list(fast.ends) == list(exact.ends)


# --- crash safety ----------------------------------------------------------------------------

CRASH_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from geo import index
    from geo.matching import build_matcher
    from tests.test_index import PLACES, POINTS
    index.update_index([Path(sys.argv[1])], build_matcher(PLACES, POINTS), path=Path(sys.argv[2]),
                       engine=index.local_engine(1), progress=False, batch_size=4)
    """
)


def many_texts(count: int) -> dict[str, str]:
    line = "Leaders of Armenia met in Baku, then drove from Kapan to Goris on Monday. "
    return {f"{i:04d}": f"Report {i}\n\n" + line * (20 + i % 7) + "\n" for i in range(count)}


def committed(db: Path) -> int:
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as con:
            return con.execute("SELECT COUNT(*) FROM contents").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_indexer_keeps_committed_batches_and_a_rerun_completes(tmp_path):
    folder = write_corpus(tmp_path / "articles", many_texts(600))
    db = tmp_path / "i.sqlite"
    script = tmp_path / "run.py"
    script.write_text(CRASH_SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(folder), str(db)], cwd=ROOT)
    deadline = time.monotonic() + 120
    while committed(db) < 12 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL, "the indexer finished before it could be killed"
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    kept = committed(db)
    assert 12 <= kept < 600
    partial = list(index.read_mentions(db, include_boilerplate=True))
    clean_db = tmp_path / "clean.sqlite"
    update(folder, clean_db)
    clean = list(index.read_mentions(clean_db, include_boilerplate=True))
    assert set(partial) <= set(clean) and {m.article for m in partial}.__len__() == kept
    report = update(folder, db)
    assert (report.invalidated, report.computed, report.articles) == (0, 600 - kept, 600)
    assert list(index.read_mentions(db, include_boilerplate=True)) == clean


# --- the app's corpus through the index (geo.pipeline.load_indexed_corpus) ------------------


@pytest.fixture
def seeds_copy(tmp_path, monkeypatch):
    """A copy of the seeds (editable) and an empty cache folder for the index."""
    import shutil

    from geo import settings as geo_settings

    monkeypatch.setenv("REFMAP_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "seeds"
    shutil.copytree(geo_settings.seeds_dir(), folder)
    return folder


@pytest.fixture
def matching_calls(monkeypatch):
    """Count the articles matched (``find_mentions`` calls) from now on."""
    import geo.matching

    calls = collections.Counter()
    real = geo.matching.find_mentions

    def counting(article, *args, **kwargs):
        calls[article.id] += 1
        return real(article, *args, **kwargs)

    monkeypatch.setattr(geo.matching, "find_mentions", counting)
    return calls


@pytest.mark.parametrize("boilerplate", [True, False])
def test_indexed_corpus_equals_the_direct_path_on_the_seeds(seeds_copy, boilerplate):
    from geo.pipeline import load_corpus, load_indexed_corpus

    options = {"include_boilerplate": boilerplate, "use_fallback": False}
    direct = load_corpus([seeds_copy], **options)
    for _ in range(2):  # computed, then read back
        indexed = load_indexed_corpus([seeds_copy], **options)
        assert list(indexed.articles) == list(direct.articles)
        assert indexed.articles == direct.articles
        assert indexed.mentions == direct.mentions
        assert [m.as_record() for m in indexed.mentions] == [m.as_record() for m in direct.mentions]
        assert sorted(indexed.problems) == sorted(direct.problems)
        assert indexed.fingerprint == direct.fingerprint
        assert indexed.index is not None and indexed.index.exists()
    assert any(not m.in_body for m in direct.mentions) is boilerplate


def test_a_second_load_matches_nothing_and_an_edit_matches_one_article(seeds_copy, matching_calls):
    from geo.pipeline import load_indexed_corpus

    options = {"use_fallback": False, "include_boilerplate": True}
    first = load_indexed_corpus([seeds_copy], **options)
    assert sum(matching_calls.values()) == len(first.articles) > 0
    matching_calls.clear()
    again = load_indexed_corpus([seeds_copy], **options)
    assert (sum(matching_calls.values()), again.mentions) == (0, first.mentions)
    edited = sorted(seeds_copy.glob("*.txt"))[0]
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original + "\nTalks in Goris.\n", "utf-8")
    changed = load_indexed_corpus([seeds_copy], **options)
    assert dict(matching_calls) == {edited.stem: 1}
    assert changed.fingerprint != first.fingerprint
    added = [m for m in changed.mentions if m.article == edited.stem and m.start > len(original)]
    assert [m.surface for m in added] == ["Goris"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda db: db.write_bytes(b"not a database at all, just text" * 100), id="text"
        ),
        pytest.param(lambda db: db.write_bytes(db.read_bytes()[:5000]), id="truncated"),
        pytest.param(
            lambda db: (
                sqlite3.connect(db)
                .execute("UPDATE meta SET value = '0' WHERE key = 'format'")
                .connection.commit()
            ),
            id="other format",
        ),
    ],
)
def test_a_corrupt_or_foreign_index_is_rebuilt_not_fatal(seeds_copy, matching_calls, damage):
    from geo.pipeline import load_corpus, load_indexed_corpus

    first = load_indexed_corpus([seeds_copy], use_fallback=False)
    with sqlite3.connect(first.index) as con:  # fold the WAL into the file before damaging it
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(first.index)
    matching_calls.clear()
    rebuilt = load_indexed_corpus([seeds_copy], use_fallback=False)
    assert sum(matching_calls.values()) == len(rebuilt.articles)  # everything recomputed
    assert rebuilt.mentions == load_corpus([seeds_copy], use_fallback=False).mentions


def _refuse(what):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{what} called")

    return refuse


def test_incidents_come_from_stored_drafts_without_analysing_articles(seeds_copy, monkeypatch):
    import geo.incidents
    from geo.pipeline import corpus_incidents, load_corpus, load_indexed_corpus

    expected = {
        option: corpus_incidents(
            load_corpus([seeds_copy], include_boilerplate=option, use_fallback=False),
            include_boilerplate=option,
        )
        for option in (False, True)
    }
    corpus = load_indexed_corpus([seeds_copy], include_boilerplate=True, use_fallback=False)
    analysis = ("extract_incidents", "find_reports", "draft_reports", "sentence_events")
    for name in analysis:
        monkeypatch.setattr(geo.incidents, name, _refuse(name))  # no article is analysed
    assert corpus_incidents(corpus) == expected[False]
    assert corpus_incidents(corpus, include_boilerplate=True) == expected[True]
    monkeypatch.undo()  # an edit: the indexer drafts the edited article's reports
    edited = sorted(seeds_copy.glob("*.txt"))[0]
    edited.write_text(edited.read_text("utf-8") + "\nTalks in Goris.\n", "utf-8")
    changed = load_indexed_corpus([seeds_copy], include_boilerplate=True, use_fallback=False)
    options = {"include_boilerplate": True, "use_fallback": False}
    direct = corpus_incidents(load_corpus([seeds_copy], **options))
    for name in analysis:
        monkeypatch.setattr(geo.incidents, name, _refuse(name))
    assert corpus_incidents(changed) == direct


@pytest.mark.parametrize("loaded_with_boilerplate", [True, False])
def test_indexed_incidents_equal_extraction_whatever_the_mentions_loaded(
    seeds_copy, loaded_with_boilerplate
):
    from geo.incidents import extract_incidents
    from geo.pipeline import corpus_incidents, load_indexed_corpus

    options = {"include_boilerplate": loaded_with_boilerplate, "use_fallback": False}
    corpus = load_indexed_corpus([seeds_copy], **options)
    for option in (False, True):
        expected = extract_incidents(
            corpus.articles,
            corpus.mentions,
            corpus.gazetteer.places,
            corpus.geometries,
            include_boilerplate=option,
        )
        assert corpus_incidents(corpus, include_boilerplate=option) == expected
        assert any(i.reports for i in expected)


def test_articles_without_stored_drafts_are_analysed_at_load(seeds_copy, monkeypatch):
    import geo.incidents
    from geo.pipeline import _indexed_incidents, _stored_reports, load_indexed_corpus

    corpus = load_indexed_corpus([seeds_copy], include_boilerplate=True, use_fallback=False)
    expected = _indexed_incidents(corpus, False)
    with sqlite3.connect(corpus.index) as con:
        con.execute("DELETE FROM reports WHERE rowid % 2 = 0")
    analysed = []
    real = geo.incidents.draft_reports
    monkeypatch.setattr(
        geo.incidents, "draft_reports", lambda a, *x, **k: analysed.append(a.id) or real(a, *x, **k)
    )
    assert _indexed_incidents(corpus, False) == expected
    assert 0 < len(analysed) < len(corpus.articles)
    article = next(iter(corpus.articles.values()))
    for row in [(len(article.text) + 1, "[]", None), (len(article.text), "not json", None)]:
        assert _stored_reports(row, article, {}, {}, False, False) is None  # stale or foreign


# --- incident report drafts stored beside the mentions --------------------------------------


def drafts_of(folder: Path, places=PLACES) -> dict[str, tuple[str, str | None]]:
    """What the index should store per article: drafts over every mention, over the body's."""
    matcher = build_matcher(places, POINTS)
    articles, _ = load_articles([folder])
    return {
        a.id: index.article_reports(a, find_mentions(a, matcher), matcher.places) for a in articles
    }


def stored_drafts(db: Path) -> dict[str, tuple[str, str | None]]:
    return {i: (row[1], row[2]) for i, row in index.read_reports(db).items()}


REPORT_TEXTS = {
    **TEXTS,
    "e": "Shelling near Kapan\n\nThe army attacked Kapan on Monday. Two people were killed.\n",
}


def test_drafts_are_stored_once_per_content_and_follow_edits(tmp_path):
    folder = write_corpus(tmp_path / "articles", REPORT_TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    stored = stored_drafts(db)
    assert stored == drafts_of(folder)
    assert json.loads(stored["e"][0]) and json.loads(stored["c"][0]) == []
    (folder / "e.txt").write_text(REPORT_TEXTS["e"] + "Talks in Goris on Friday.\n", "utf-8")
    (folder / "c.txt").unlink()
    assert update(folder, db).computed == 1
    assert stored_drafts(db) == drafts_of(folder)
    with sqlite3.connect(db) as con:
        keys = con.execute(
            "SELECT COUNT(*) FROM reports WHERE key NOT IN (SELECT key FROM articles)"
        )
        assert keys.fetchone() == (0,)  # pruned with the contents


def test_a_place_becoming_an_incident_recomputes_the_drafts_naming_it(tmp_path):
    folder = write_corpus(tmp_path / "articles", REPORT_TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    edited = [p for p in PLACES if p.id != "kapan"] + [Place("kapan", "Kapan", "incident")]
    report = update(folder, db, places=edited)
    assert report.invalidated == 3  # b, d and e name Kapan
    assert stored_drafts(db) == drafts_of(folder, edited) != drafts_of(folder)


def test_body_drafts_are_kept_only_when_boilerplate_mentions_change_them():
    import datetime as dt

    from geo.incidents import decode_drafts
    from geo.models import Article

    matcher = build_matcher(PLACES, POINTS)
    text = "Fighting in Baku. Troops attacked on Monday."
    inside = Article("x", "x.txt", text, published=dt.date(2023, 10, 12), body=((0, len(text)),))
    outside = Article("x", "x.txt", text, published=dt.date(2023, 10, 12), body=((18, len(text)),))
    every, body = index.article_reports(inside, find_mentions(inside, matcher), matcher.places)
    assert body is None and len(decode_drafts(every)) == 2
    every, body = index.article_reports(outside, find_mentions(outside, matcher), matcher.places)
    assert [d.places for d in decode_drafts(every)] == [("baku",), ("baku",)]
    assert [d.places_from for d in decode_drafts(body)] == ["actors", "actors"]
    assert [d.in_body for d in decode_drafts(body)] == [False, True]


def test_report_fingerprint_covers_the_incident_code_and_the_date_parser(monkeypatch):
    import importlib.metadata

    before = index.report_fingerprint()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0-test")
    assert index.report_fingerprint() != before
    assert "incidents.py" in index.REPORT_MODULES
    assert "incidents.py" not in index.ENGINE_MODULES  # an incident rule change matches nothing


def test_a_report_code_change_recomputes_drafts_without_matching(tmp_path, monkeypatch):
    import geo.matching

    folder = write_corpus(tmp_path / "articles", REPORT_TEXTS)
    db = tmp_path / "i.sqlite"
    update(folder, db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE reports SET drafts = '[]'")  # what older report code stored
    monkeypatch.setattr(index, "report_fingerprint", lambda: "another report code")
    monkeypatch.setattr(geo.matching, "find_mentions", _refuse("find_mentions"))
    report = update(folder, db)
    assert (report.computed, report.invalidated) == (0, 0)
    assert stored_drafts(db) == drafts_of(folder)


def test_read_corpus_rebuilds_the_articles_without_parsing(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    (folder / "w.txt").write_bytes("Caf\xe9 in Baku\n\nThey met in Baku.\n".encode("cp1252"))
    db = tmp_path / "i.sqlite"
    update(folder, db)
    articles, mentions, notes = index.read_corpus(db)
    loaded, problems = load_articles([folder])
    assert articles == {a.id: a for a in loaded}
    assert notes == problems and "cp1252" in str(notes[0])
    matcher = build_matcher(PLACES, POINTS)
    assert mentions == [m for a in loaded for m in find_mentions(a, matcher)]
    body_only = index.read_corpus(db, include_boilerplate=False)[1]
    assert body_only == [m for m in mentions if m.in_body]


def test_auto_engine_gives_the_same_index_in_process_or_in_a_pool(tmp_path):
    folder = write_corpus(tmp_path / "articles", TEXTS)
    for name, size in (("one.sqlite", 64), ("pool.sqlite", 1)):  # one batch; four batches
        update(folder, tmp_path / name, engine=index.auto_engine(2), batch_size=size)
    assert list(index.read_mentions(tmp_path / "one.sqlite", include_boilerplate=True)) == list(
        index.read_mentions(tmp_path / "pool.sqlite", include_boilerplate=True)
    )


def test_the_default_index_depends_on_the_data_folder(monkeypatch, tmp_path):
    before = index.default_index_path([tmp_path])
    monkeypatch.setenv("REFMAP_DATA_DIR", str(tmp_path / "other-data"))
    assert index.default_index_path([tmp_path]) != before
