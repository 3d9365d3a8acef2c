"""No import cycle anywhere in hepcourse, lazy (function-level) imports included.

A cycle makes the import order matter (a half-initialised module raises AttributeError or
ImportError depending on which notebook imported what first) and hides that two modules are
one concern. The graph is read from the source with `ast`, so it sees the imports inside
functions that an import-time check would miss.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "hepcourse"


def module_files(package: Path) -> dict[str, Path]:
    """{dotted module name: file} for every module of the package at ``package``."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(package: Path) -> dict[str, set[str]]:
    """{module: modules of the same package that it imports}, at any depth of its code."""
    modules = module_files(package)
    root = package.name
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = here.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in targets:
                if target == root or target.startswith(root + "."):
                    while target not in modules:  # `import hepcourse.x.y` of a name inside a module
                        target = target.rpartition(".")[0]
                    if target != name:
                        graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_hepcourse_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert len(graph) > 40, "the walker found too few modules; is PACKAGE right?"
    assert graph["hepcourse.physics.calorimeter.fastshower"] >= {"hepcourse.physics.calorimeter.cascade"}
    found = cycles(graph)
    assert not found, "import cycles in hepcourse (each line one cycle):\n" + "\n".join(
        " <-> ".join(component) for component in found)


def test_the_walker_finds_lazy_and_relative_cycles(tmp_path):
    pkg = tmp_path / "demo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .a import f\n")
    (pkg / "sub" / "a.py").write_text("def f():\n    from . import b\n    return b\n")
    (pkg / "sub" / "b.py").write_text("from demo.sub.a import f\n")
    (pkg / "c.py").write_text("from .sub import a\nimport demo.sub.b\n")
    graph = import_graph(pkg)
    assert graph["demo.c"] == {"demo.sub.a", "demo.sub.b"}
    assert cycles(graph) == [["demo.sub.a", "demo.sub.b"]]
    (pkg / "sub" / "a.py").write_text("def f():\n    return 1\n")
    assert cycles(import_graph(pkg)) == []


def test_physics_is_laid_out_by_detector():
    physics = PACKAGE / "physics"
    assert sorted(p.name for p in physics.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == [
        "airshowers", "calorimeter", "jets"]
    assert [p.name for p in physics.glob("*.py")] == ["__init__.py"], "physics modules belong to a detector"
