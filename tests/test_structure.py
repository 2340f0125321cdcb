"""The house: every import points down the stages, no import cycle, small faces, one job a module.

Read from the code's own import statements (module level and inside functions alike), so
the picture in docs/architecture.md cannot drift from the code without a test failing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from classbook.render import cache

PACKAGE = ROOT / "classbook"
#: The stages, lowest first; a module may import its own stage's modules and any lower's.
#: Leaves hold shared facts (names, dates, the gate); the formula converter (no Sphinx) sits
#: above them, used by the builders; the render service sits below the
#: stages that submit to it; the commands and the extension's assembly sit on top.
STAGES = (
    ("leaves", ("_version", "cli", "config", "dates", "gate", "outputs", "reproducible", "urls")),
    ("formulas", ("formulas",)),
    ("render", ("render",)),
    ("cartridge", ("cartridge",)),
    ("sources", ("sources",)),
    ("ext", ("ext",)),
    ("builders", ("builders",)),
    ("publish", ("publish",)),
    ("commands", ("__main__", "__init__", "extension", "machine")),
)
#: Module size: a module over this is doing more than one job (tools/ excluded).
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``classbook.render.worker``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "skeleton" in path.parts:
            continue  # templates of a new book, not modules of the pipeline
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The modules of the package ``name`` imports, anywhere in its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).rstrip(".")
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(
                    submodule
                    if submodule in MODULES or f"{submodule}.__init__" in MODULES
                    else base
                )
    resolved = set()
    for imported in found:
        if imported in MODULES:
            resolved.add(imported)
        elif f"{imported}.__init__" in MODULES:
            resolved.add(f"{imported}.__init__")
    return resolved - {name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(name: str) -> int:
    first = name.split(".")[1] if name.count(".") else "__init__"
    if first.endswith("__init__") and name == "classbook.__init__":
        first = "__init__"
    for rank, (_label, members) in enumerate(STAGES):
        if first in members:
            return rank
    raise AssertionError(f"{name} belongs to no stage: add it to STAGES and docs/architecture.md")


def test_every_module_has_a_stage() -> None:
    for name in MODULES:
        _stage(name)


def test_every_import_points_down_the_stages() -> None:
    upward = [
        f"{name} ({STAGES[_stage(name)][0]}) imports {target} ({STAGES[_stage(target)][0]})"
        for name, targets in GRAPH.items()
        for target in sorted(targets)
        if _stage(target) > _stage(name)
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_package_faces_hold_a_docstring_re_exports_and_setup_only() -> None:
    for path in MODULES.values():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for index, node in enumerate(tree.body):
            fine = (
                (index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
                or isinstance(node, (ast.Import, ast.ImportFrom))
                or (
                    isinstance(node, ast.Assign)
                    and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__all__"]
                )
                or (isinstance(node, ast.FunctionDef) and node.name == "setup")
                or (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
            )
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert fine, f"{where}: a package's face holds a docstring, re-exports, setup only"


def test_modules_are_small() -> None:
    big = {
        str(path.relative_to(ROOT)): lines
        for path in MODULES.values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


def test_the_render_cache_key_covers_every_module_the_worker_runs() -> None:
    # Independent of the rule: what importing the worker actually loads of the package.
    code = (
        "import json, sys; import classbook.render.worker; "
        "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items() "
        "if n.startswith('classbook') and getattr(m, '__file__', None))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    runs = {Path(f) for f in json.loads(done.stdout)}
    keyed = set(cache.shaping_modules())
    assert runs - keyed == set(), "the render cache's key misses code the worker runs"


def test_a_module_the_worker_starts_to_import_joins_the_cache_key(tmp_path: Path) -> None:
    # The rule follows imports: a copy of the package whose worker imports a new module.
    copy = tmp_path / "classbook"
    import shutil

    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "render" / "newstep.py").write_text('"""A new step."""\n', encoding="utf-8")
    worker = copy / "render" / "worker.py"
    worker.write_text(
        worker.read_text(encoding="utf-8").replace(
            "from classbook.render import merge,",
            "from classbook.render import newstep\nfrom classbook.render import merge,",
            1,
        ),
        encoding="utf-8",
    )
    code = "from classbook.render import cache; print([p.name for p in cache.shaping_modules()])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert "newstep.py" in done.stdout, done.stdout


@pytest.mark.parametrize("page", ["configuration.md"])
def test_the_configuration_reference_is_generated_from_the_table(page: str) -> None:
    from classbook import config

    assert (ROOT / "docs" / page).read_text(encoding="utf-8") == config.reference(), (
        "run: python -m classbook.config > docs/configuration.md"
    )
