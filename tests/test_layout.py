"""The package's layout rules (ARCHITECTURE.md): no import cycle, imports flow one way."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skvaelstm"


def _modules():
    """module name -> (path, is package __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        init = parts[-1] == "__init__"
        found[".".join(parts[:-1] if init else parts)] = (path, init)
    return found


def _imports():
    """module -> the package's modules it imports (at any depth, lazily or not)."""
    modules = _modules()
    graph = {}
    for name, (path, init) in modules.items():
        base = name.split(".") if init else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    stem = base[:len(base) - node.level + 1] + ([node.module] if node.module
                                                                else [])
                    stem = ".".join(stem)
                else:
                    stem = node.module or ""
                candidates = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c not in (name, "skvaelstm"))
        graph[name] = targets
    return graph


def test_the_layout_is_parsed():
    graph = _imports()
    assert "skvaelstm._scoring._engine" in graph["skvaelstm._model._fitting"]
    assert "skvaelstm._io._tables" in graph["skvaelstm._cli._data"]   # a lazy import
    assert "skvaelstm._scoring._engine" in graph["skvaelstm.streaming"]


def test_no_import_cycle():
    graph = _imports()
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


@pytest.mark.parametrize("layer, forbidden", [
    # the engine knows networks only as objects: nothing above it
    ("skvaelstm._scoring", ("skvaelstm._model", "skvaelstm._io", "skvaelstm._cli",
                            "skvaelstm._metrics", "skvaelstm._fleet", "skvaelstm.cli",
                            "skvaelstm.metrics", "skvaelstm.plotting", "skvaelstm.streaming",
                            "skvaelstm.persistence", "skvaelstm.fleet")),
    # the model never imports metrics, plotting, files or the command line
    ("skvaelstm._model", ("skvaelstm._io", "skvaelstm._cli", "skvaelstm._metrics",
                          "skvaelstm._fleet", "skvaelstm.cli", "skvaelstm.metrics",
                          "skvaelstm.plotting", "skvaelstm.fleet", "skvaelstm.explain")),
    ("skvaelstm._io", ("skvaelstm._cli", "skvaelstm.cli", "skvaelstm.plotting")),
    ("skvaelstm._metrics", ("skvaelstm._cli", "skvaelstm.cli", "skvaelstm._io",
                            "skvaelstm.plotting")),
])
def test_imports_flow_one_way(layer, forbidden):
    graph = _imports()
    wrong = sorted(f"{module} imports {target}"
                   for module, targets in graph.items() if module.startswith(layer)
                   for target in targets if target.startswith(forbidden))
    assert not wrong, "; ".join(wrong)


def test_nothing_but_the_command_line_imports_it():
    graph = _imports()
    wrong = sorted(f"{module} imports {target}"
                   for module, targets in graph.items()
                   if not module.startswith(("skvaelstm._cli", "skvaelstm.cli",
                                             "skvaelstm.__main__"))
                   for target in targets if target.startswith(("skvaelstm._cli",
                                                               "skvaelstm.cli")))
    assert not wrong, "; ".join(wrong)
