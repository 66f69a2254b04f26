"""The YAML examples in data/gazetteer/README.md validate against the bundled data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from geo import settings
from geo.boundaries import load_boundaries
from geo.gazetteer import collect_gazetteer
from geo.geometry import collect_geometries

DATA = settings.PROJECT_ROOT / "data"
GUIDE = DATA / "gazetteer" / "README.md"
SEEDS = settings.PROJECT_ROOT / "seeds"

FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def yaml_blocks(markdown: str) -> list[tuple[int, str]]:
    """Every fenced ```yaml block of ``markdown`` as (line of the fence, text).

    Examples
    --------
    >>> yaml_blocks("intro\\n```yaml\\n- id: a\\n```\\n```bash\\nls\\n```\\n")
    [(2, '- id: a\\n')]
    """
    return [(markdown.count("\n", 0, m.start()) + 1, m.group(1)) for m in FENCE.finditer(markdown)]


def entries_of(data) -> list:
    """The entries of a gazetteer document (a list, or a mapping with ``places``)."""
    if isinstance(data, dict):
        return list(data.get("places") or [])
    return list(data or [])


def write_defaults_without(ids: set[str], folder: Path) -> None:
    """Copy the default gazetteer into ``folder``, leaving out the entries with ``ids``.

    The README's examples are the real entries written out, so an example replaces the entry
    of the same id instead of clashing with it as a duplicate.
    """
    yaml = YAML()  # round-trip: keeps keys, order and comments
    yaml.width = 4096
    for path in sorted((DATA / "gazetteer").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        kept = [e for e in entries_of(data) if e.get("id") not in ids]
        if isinstance(data, dict):
            data["places"] = kept
        else:
            data = kept
        with (folder / path.name).open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle)


def fake_analyst_file(data_root: Path, relative: str) -> None:
    """A small polygon where an example's ``file:`` spec points (the analyst's own file)."""
    path = data_root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    ring = [[46.5, 39.6], [47.2, 39.6], [47.2, 40.2], [46.5, 40.2], [46.5, 39.6]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))


def file_specs(entries: list) -> list[str]:
    """The ``file:`` paths of the entries' geometry specs."""
    return [e["geometry"]["file"] for e in entries if "file" in (e.get("geometry") or {})]


def seed_ids() -> set[str]:
    """Article ids of the bundled seeds (file stems and file names)."""
    files = list(SEEDS.glob("*.txt"))
    return {p.stem for p in files} | {p.name for p in files}


BLOCKS = yaml_blocks(GUIDE.read_text(encoding="utf-8"))


def test_the_guide_has_its_examples():
    # The guide shows both file layouts and the worked examples; an empty list would make
    # the parametrised test below pass vacuously.
    assert len(BLOCKS) >= 8


@pytest.fixture(scope="module")
def bounds():
    return load_boundaries(DATA / "boundaries")


@pytest.mark.parametrize(("line", "text"), BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_example_validates(tmp_path, bounds, line, text):
    entries = entries_of(YAML(typ="safe").load(text))
    assert entries, f"README.md:{line}: the example holds no entries"
    data_root = tmp_path / "data"
    folder = data_root / "gazetteer"
    folder.mkdir(parents=True)
    write_defaults_without({e["id"] for e in entries}, folder)
    (folder / "zz_example.yaml").write_text(text, encoding="utf-8")
    for relative in file_specs(entries):
        fake_analyst_file(data_root, relative)

    gazetteer, problems = collect_gazetteer(folder)
    geometries, geometry_problems = collect_geometries(gazetteer, bounds, data_root=data_root)

    found = [str(p) for p in [*problems, *geometry_problems]]
    assert found == [], f"README.md:{line}: the example does not validate"
    for entry in entries:
        assert entry["id"] in gazetteer.places
        if entry.get("geometry") or entry.get("places"):
            assert entry["id"] in geometries, entry["id"]


@pytest.mark.parametrize(("line", "text"), BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_example_sources_name_real_seed_articles(line, text):
    entries = entries_of(YAML(typ="safe").load(text))
    articles = [s["article"] for e in entries for s in e.get("sources") or [] if "article" in s]
    assert set(articles) <= seed_ids(), f"README.md:{line}: unknown article in {articles}"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("", []),
        ("no code at all\n", []),
        ("```\n- id: a\n```\n", []),  # a fence without a language is not YAML
        ("```yaml\n- id: a\n```\n", [(1, "- id: a\n")]),
        ("x\n\n```yaml\nregion: world\nplaces: []\n```\n", [(3, "region: world\nplaces: []\n")]),
    ],
)
def test_yaml_blocks_table(markdown, expected):
    assert yaml_blocks(markdown) == expected


def test_an_example_that_rots_is_caught(tmp_path, bounds):
    # The same machinery reports an example that names an id the gazetteer does not have.
    folder = tmp_path / "gazetteer"
    folder.mkdir()
    write_defaults_without(set(), folder)
    (folder / "zz_example.yaml").write_text(
        "- id: rotten\n  name: Rotten\n  kind: region\n  geometry: {union: [no_such_place]}\n",
        encoding="utf-8",
    )
    gazetteer, problems = collect_gazetteer(folder)
    _, geometry_problems = collect_geometries(gazetteer, bounds, data_root=tmp_path)
    assert any("no_such_place" in str(p) for p in [*problems, *geometry_problems])
