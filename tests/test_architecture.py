"""The layout holds: imports point one way, no module-level cycles, tools use public names.

Read from the source with `ast`, nothing is imported. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import autograd

ROOT = Path(__file__).resolve().parent.parent
CORE = {
    "autograd",
    "autograd.__main__",
    "autograd.anomaly",
    "autograd.backward",
    "autograd.gc_pause",
    "autograd.grad_mode",
    "autograd.hooks",
    "autograd.ieee",
    "autograd.name_clash",
    "autograd.op",
    "autograd.ops",
    "autograd.value",
    "autograd.vectorize",
}
# The subpackages a user (nn, the demos, the benchmark) may import from, by their __all__.
PUBLIC_SUBPACKAGES = {
    "autograd.check",
    "autograd.cli",
    "autograd.draw",
    "autograd.explorer",
    "autograd.files",
    "autograd.functional",
    "autograd.notebook",
    "autograd.replay",
    "autograd.steps",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(*packages: str) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports(path: Path, module: str, module_level_only: bool) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for each import in the file.

    Module level leaves out imports inside functions (they run when called, not on import).
    Imports under ``if TYPE_CHECKING:`` count: a cycle a type checker sees is a cycle too.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if module_level_only and isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            ):
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, []) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.append((base, [alias.name for alias in child.names]))
            visit(child)

    visit(tree)
    return found


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """Module-level edges between our own modules (`from p import m` counts as p.m when m is
    a module)."""
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, names in imports(path, name, module_level_only=True):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in known and candidate != name:
                    graph[name].add(candidate)
                    if candidate != target:
                        break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


OURS = modules("autograd", "nn")


def test_the_core_is_the_top_level_of_autograd():
    top = {module_name(p) for p in (ROOT / "autograd").glob("*.py")}
    assert top == CORE
    subpackages = {
        f"autograd.{p.name}" for p in (ROOT / "autograd").iterdir() if (p / "__init__.py").exists()
    }
    assert subpackages == PUBLIC_SUBPACKAGES


def test_no_module_level_import_cycles():
    assert cycles(import_graph(OURS)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(CORE - {"autograd", "autograd.__main__"}))
def test_the_core_imports_no_tool(module):
    # Not even inside a function: the core knows nothing of the tools built on it.
    path = OURS[module]
    for target, names in imports(path, module, module_level_only=False):
        assert target in CORE or not target.startswith("autograd"), (module, target)
        if target == "autograd":
            assert not set(names) - {m.rpartition(".")[2] for m in CORE}, (module, names)


def test_tools_import_each_other_only_as_their_docstrings_say():
    # The one-way uses between subpackages, as each package docstring documents them.
    allowed = {
        "autograd.cli": {"autograd.draw", "autograd.explorer", "autograd.steps"},
        "autograd.draw": {"autograd.steps", "autograd.files"},
        "autograd.explorer": {"autograd.draw", "autograd.steps", "autograd.files"},
        "autograd.notebook": {"autograd.draw", "autograd.explorer", "autograd.steps"},
    }
    for name, path in OURS.items():
        tool = ".".join(name.split(".")[:2])
        if tool not in PUBLIC_SUBPACKAGES:
            continue
        for target, _ in imports(path, name, module_level_only=False):
            used = ".".join(target.split(".")[:2])
            if used in PUBLIC_SUBPACKAGES and used != tool:
                assert used in allowed.get(tool, set()), (name, target)


def public_names(package: str) -> set[str]:
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{package} has no __all__")


AUTOGRAD_PUBLIC = set(autograd.__all__) | {"compile", "__version__"}


@pytest.mark.parametrize("folder", ["nn", "demos", "bench"])
def test_users_of_autograd_use_its_public_api(folder):
    for name, path in modules(folder).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, names in imports(path, name, module_level_only=False):
            if target == "autograd":
                assert set(names) <= AUTOGRAD_PUBLIC, (name, names)
            elif target.startswith("autograd."):
                assert target in PUBLIC_SUBPACKAGES, (name, target)
                assert set(names) <= public_names(target), (name, target, names)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "autograd"
            ):
                assert node.attr in AUTOGRAD_PUBLIC, (name, node.attr)


def test_nn_uses_no_demo_or_benchmark_code():
    for name, path in modules("nn").items():
        for target, _ in imports(path, name, module_level_only=False):
            assert not target.startswith(("demos", "bench", "tests")), (name, target)


NN_PUBLIC = public_names("nn")


def test_the_studio_uses_nns_public_names_only():
    # nn.studio is built like any user of nn: from its __all__ and its public modules' names.
    for name, path in modules("nn/studio").items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, names in imports(path, name, module_level_only=False):
            if target == "nn":
                assert set(names) <= NN_PUBLIC, (name, names)
            elif target.startswith("nn.") and not target.startswith("nn.studio"):
                assert target.split(".")[1] in NN_PUBLIC, (name, target)
                assert not [n for n in names if n.startswith("_")], (name, target, names)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "nn"
            ):
                assert node.attr in NN_PUBLIC, (name, node.attr)
