"""The data flow stays one way: a module imports only modules of earlier stages."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geo"

#: Stage of each module; a module may import geo modules of a strictly lower stage only.
STAGES = {
    "errors": 0,
    "settings": 0,
    "models": 1,
    "boundaries": 2,
    "gazetteer": 2,
    "articles": 2,
    "fallback": 2,
    "geocoding": 3,
    "geometry": 3,
    "roles": 3,
    "matching": 4,
    "incidents": 5,
    "layers": 6,
    "reader": 6,
    "export": 7,
    "maps": 7,
    "index": 7,
    "pipeline": 8,
    "cli": 9,
    "__main__": 10,
    "__init__": 0,
}


def _geo_imports(path: Path) -> set[str]:
    """Names of the geo modules a file imports (at any depth in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "geo" and len(parts) > 1 and parts[1] in STAGES:
                found.add(parts[1])
    return found


def _third_party_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


MODULES = sorted(p for p in PACKAGE.glob("*.py"))


def test_every_module_has_a_stage():
    unknown = [p.stem for p in MODULES if p.stem not in STAGES]
    assert unknown == [], f"add these modules to STAGES in {__file__}: {unknown}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_imports_flow_one_way(path):
    stage = STAGES.get(path.stem)
    if stage is None:
        pytest.fail(f"{path.stem} has no stage")
    backwards = sorted(m for m in _geo_imports(path) if m != path.stem and STAGES[m] >= stage)
    assert backwards == [], (
        f"geo/{path.name} (stage {stage}) imports later or peer stages: {backwards}"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_only_maps_imports_folium_and_nothing_imports_streamlit(path):
    imports = _third_party_imports(path)
    assert "streamlit" not in imports, f"geo/{path.name} imports streamlit; only app.py may"
    if path.stem != "maps":
        assert "folium" not in imports, f"geo/{path.name} imports folium; only geo/maps.py may"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_module_opens_with_a_one_line_docstring(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"geo/{path.name} has no module docstring"
    assert "\n" not in doc.strip(), f"geo/{path.name}: the module docstring should be one line"
