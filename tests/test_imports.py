"""The import graph: every module imports, no cycle, and the what-if engine never loads the views.

The graph is read from the source with ast. For cycles an import inside a
function counts too: a cycle through a lazy import is still a cycle. The one
lazy import that points upwards is the Jupyter hook (Network._repr_latex_ and
its siblings call the notebook exporter when a notebook asks), so the what-if
engine is checked on its module-level imports and on what it really loads.
"""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symcnn"


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = module_names()


def imports_of(name: str, path: Path, lazy: bool = True) -> set[str]:
    """The symcnn modules that `name` imports: anywhere in its body, or with `lazy` False at module level."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if lazy else (n for top in tree.body if not _is_def(top) for n in ast.walk(top))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:  # `from . import program` imports the module symcnn.program
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


def _is_def(node) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}
EAGER = {name: imports_of(name, path, lazy=False) for name, path in MODULES.items()}


def find_cycle(graph) -> list[str] | None:
    """One cycle of `graph`, as the list of its modules, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in graph:
        if root in state:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    assert find_cycle(GRAPH) is None


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"symcnn.__main__"}))  # __main__ runs the CLI
def test_every_module_imports(name):
    importlib.import_module(name)


def reachable(start: str, graph) -> set[str]:
    seen, pending = set(), [start]
    while pending:
        for child in graph[pending.pop()] - seen:
            seen.add(child)
            pending.append(child)
    return seen


def test_the_whatif_engine_does_not_import_the_views():
    views = {name for name in MODULES if name.startswith(("symcnn.views", "symcnn.exporters", "symcnn.commands"))}
    assert {"symcnn.views.summary", "symcnn.exporters.table"} <= views
    for name in MODULES:
        if name.startswith("symcnn.whatif"):
            assert not reachable(name, EAGER) & views, name
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, symcnn.whatif; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [name for name in loaded if name in views]
