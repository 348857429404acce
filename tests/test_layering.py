"""Imports point one way: tools <- env <- policy <- eval <- cluster (DESIGN.md)."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = ["tools", "env", "policy", "eval", "cluster"]


def test_imports_point_one_way():
    bad = []
    for layer in ORDER:
        allowed = set(ORDER[: ORDER.index(layer) + 1])
        for dirpath, _, files in os.walk(os.path.join(ROOT, layer)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                for node in ast.walk(ast.parse(open(path).read())):
                    mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                        [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
                    for mod in mods:
                        top = mod.split(".")[0]
                        if top in ORDER and top not in allowed:
                            bad.append(f"{os.path.relpath(path, ROOT)} imports {mod}")
    assert bad == []


def test_tools_know_nothing_about_ray():
    for dirpath, _, files in os.walk(os.path.join(ROOT, "tools")):
        for name in files:
            if name.endswith(".py"):
                src = open(os.path.join(dirpath, name)).read()
                assert "import ray" not in src and "from ray" not in src, name


def _project_modules() -> dict[str, str]:
    mods = {}
    for pkg in ORDER:
        for dirpath, _, files in os.walk(os.path.join(ROOT, pkg)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    mod = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    mods[mod.removesuffix(".__init__")] = path
    return mods


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, anywhere in the file (a function-level import
    closes a cycle as surely as a top-level one, only later)."""
    mods = _project_modules()
    graph = {}
    for mod, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(open(path).read())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            deps |= {n for n in names if n in mods and n != mod}
        graph[mod] = deps
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state, stack, cycles = {}, [], []

    def visit(mod: str) -> None:
        state[mod] = "open"
        stack.append(mod)
        for dep in sorted(graph[mod]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[mod] = "done"

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)
    return cycles


def test_no_import_cycles_between_or_inside_packages():
    assert find_cycles(import_graph()) == []
    # and the check finds one: the circle env/reasoner.py and env/lalm.py once made
    [cycle] = find_cycles({"env.reasoner": {"env.lalm"}, "env.lalm": {"env.reasoner"}, "env.items": set()})
    assert cycle[0] == cycle[-1] and set(cycle) == {"env.reasoner", "env.lalm"}


def test_no_module_over_400_lines_without_a_reason_at_its_top():
    long = []
    for mod, path in _project_modules().items():
        lines = open(path).read().splitlines()
        head = "\n".join(lines[:30]).lower()
        if len(lines) > 400 and "over 400 lines" not in head:
            long.append(f"{mod} ({len(lines)} lines)")
    assert long == []
