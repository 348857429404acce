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
