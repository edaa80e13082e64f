"""The documentation: API reference complete, every code block of README and docs runs.

The gallery (``examples/plot_*.py``) is executed by the docs build
(``sphinx-build -W``, in CI); the code blocks of the README and of the pages
under ``docs/`` are executed here, so that none of them can go stale.
"""

import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
API_PAGE = DOCS / "api" / "index.rst"

# The package's public modules (ARCHITECTURE.md); test_every_public_module_is_listed
# keeps this list complete.
PUBLIC_MODULES = ["skvaelstm", "skvaelstm.streaming", "skvaelstm.persistence",
                  "skvaelstm.metrics", "skvaelstm.explain", "skvaelstm.datasets",
                  "skvaelstm.preprocessing", "skvaelstm.plotting", "skvaelstm.fleet",
                  "skvaelstm.exceptions", "skvaelstm.cli"]

# The README's set-up and build commands: the only shell lines it may hold
# without a test (CI runs them in effect: .ci/run).
DOCS_BUILD = "sphinx-build -W -b html docs docs/_build/html"
SETUP_COMMANDS = [
    "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && "
    'pip install -e ".[plot]" && skvaelstm demo',
    "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && "
    'pip install -e ".[test]" && python -m pytest -q',
    f'pip install -e ".[docs]" && {DOCS_BUILD}',
]


# --------------------------------------------------------------------------
# reading code blocks


def markdown_blocks(text):
    """``(language, code)`` of each fenced block of a Markdown text, in order."""
    return [(m.group(1), m.group(2))
            for m in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", text, re.M | re.S)]


def rst_blocks(text):
    """``(language, code)`` of each ``.. code-block::`` of a reST text, in order."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = re.match(r"^(\s*)\.\. code-block::\s*(\w+)", lines[i])
        i += 1
        if not m:
            continue
        indent = len(m.group(1))
        while i < len(lines) and re.match(r"^\s+:\w", lines[i]):   # options
            i += 1
        body = []
        while i < len(lines) and (not lines[i].strip()
                                  or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        blocks.append((m.group(2), inspect.cleandoc("\n".join(body)) + "\n"))
    return blocks


def page_blocks(path):
    text = path.read_text(encoding="utf-8")
    return markdown_blocks(text) if path.suffix == ".md" else rst_blocks(text)


def doc_pages():
    """The hand-written pages under docs/ (not the generated ones)."""
    skip = {"_build", "auto_examples", "generated"}
    return sorted(p for p in DOCS.rglob("*") if p.suffix in (".md", ".rst")
                  and not skip & set(p.relative_to(DOCS).parts))


def pages_with(language):
    return [p for p in doc_pages() if any(lang == language for lang, _ in page_blocks(p))]


def page_id(path):
    return str(path.relative_to(DOCS))


# --------------------------------------------------------------------------
# the readers themselves


def test_markdown_blocks_reads_fences_in_order():
    text = "a\n```python\nx = 1\n```\n\n```bash\nls\n```\n```\nplain\n```\n"
    assert markdown_blocks(text) == [("python", "x = 1\n"), ("bash", "ls\n"), ("", "plain\n")]


def test_rst_blocks_reads_indented_code_after_options():
    text = ("Intro\n\n.. code-block:: python\n   :caption: c\n\n   x = 1\n\n   if x:\n"
            "       y = 2\n\nAfter\n\n.. code-block:: console\n\n   $ ls\n")
    assert rst_blocks(text) == [("python", "x = 1\n\nif x:\n    y = 2\n"), ("console", "$ ls\n")]


# --------------------------------------------------------------------------
# API reference


def api_page_names():
    """Fully qualified names listed in the autosummary tables of the API page."""
    names, module, in_table = set(), None, False
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\.\. currentmodule::\s*(\S+)", line)
        if m:
            module = m.group(1)
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if in_table:
            if line.strip() == "" or line.strip().startswith(":"):
                continue
            if not line.startswith("   "):
                in_table = False
                continue
            names.add(f"{module}.{line.strip()}")
    return names


def exported():
    """Ids of the objects that some public module exports (its ``__all__``)."""
    return {id(getattr(module, n)) for module in map(importlib.import_module, PUBLIC_MODULES)
            for n in module.__all__}


def public_names(module_name):
    """``__all__`` of a module, and every class or function of the package it
    holds under a name without a leading underscore unless another public
    module exports that object (``skvaelstm.cli`` uses ``InputError`` of
    ``skvaelstm.exceptions``)."""
    module = importlib.import_module(module_name)
    names = {n for n in module.__all__ if not n.startswith("__")}
    others = exported()
    for name, obj in vars(module).items():
        if (not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
                and obj.__module__.startswith("skvaelstm") and id(obj) not in others):
            names.add(name)
    return names


def test_every_public_module_is_listed():
    found = {f"skvaelstm.{p.stem}" for p in (ROOT / "skvaelstm").glob("*.py")
             if not p.stem.startswith("_")} | {"skvaelstm"}
    assert found == set(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_name(module_name):
    listed = api_page_names()
    missing = {f"{module_name}.{n}" for n in public_names(module_name)} - listed
    assert not missing, f"add to docs/api/index.rst: {sorted(missing)}"


def test_api_reference_lists_only_existing_names():
    for qualified in api_page_names():
        module_name, _, name = qualified.rpartition(".")
        assert name in importlib.import_module(module_name).__all__, qualified


# --------------------------------------------------------------------------
# README


def test_readme_is_a_landing_page_under_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200
    for page in ("docs/user_guide/scoring.md", "docs/api/index.rst"):
        assert f"({page})" in README.read_text(encoding="utf-8")
        assert (ROOT / page).exists()


def test_readme_shell_lines_are_the_setup_commands():
    # Shell lines in the README are not run by the tests: only the set-up and
    # build commands may be there, and CI must run the test and build commands.
    shell = [line for lang, code in markdown_blocks(README.read_text(encoding="utf-8"))
             if lang in ("bash", "sh", "console", "shell") for line in code.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert shell == SETUP_COMMANDS
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci and 'pip install --quiet -e ".[test,docs]"' in ci
    assert DOCS_BUILD in ci


def test_docs_console_blocks_are_install_or_build_commands():
    allowed = ("python3 -m venv", "pip install", "sphinx-build", "make -C docs")
    for page in doc_pages():
        for lang, code in page_blocks(page):
            if lang == "console":
                for line in code.splitlines():
                    assert line.startswith("$ ") and line[2:].startswith(allowed), (page, line)


def run_python_blocks(blocks, where):
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{where} python block {i + 1}", "exec"), namespace)
    return namespace


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.slow
def test_readme_python_blocks_run_in_order(in_tmp):
    blocks = [code for lang, code in markdown_blocks(README.read_text(encoding="utf-8"))
              if lang == "python"]
    assert blocks
    ns = run_python_blocks(blocks, "README.md")
    # the quick start's claims: one score per row, negative = flagged
    assert ns["scores"].shape == (len(ns["X"]),)
    assert np.array_equal(ns["labels"] == -1, ns["scores"] < 0)


# --------------------------------------------------------------------------
# docs pages


@pytest.mark.slow
@pytest.mark.parametrize("page", pages_with("python"), ids=page_id)
def test_docs_python_blocks_run_in_order(page, in_tmp, capsys):
    blocks = [code for lang, code in page_blocks(page) if lang == "python"]
    run_python_blocks(blocks, page_id(page))
    out = capsys.readouterr().out
    # what the pages say their blocks print
    expected = {
        "user_guide/scoring.md": "True False\n",
        "user_guide/multivariate.md": "latency\n",
        "user_guide/streaming.md": "flagged rows 4956 to 5055\nlast final row 5452 - "
                                   "the newest 47 rows wait\n",
        "user_guide/model_files.md": "{'kpi': 'example'}\nUntrustedModelFileError\n",
    }.get(page_id(page))
    if expected is not None:
        assert out.startswith(expected)
