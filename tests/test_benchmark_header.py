"""The results header of the benchmarks: the commit and tree state at the start of a run."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)

_spec = importlib.util.spec_from_file_location(
    "_benchmarks_common", Path(__file__).resolve().parents[1] / "benchmarks" / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)


def _git(root, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "skvaelstm").mkdir()
    (tmp_path / "skvaelstm" / "code.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "speed.md").write_text("old\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_clean_tree_and_its_commit(checkout):
    state = _common.git_state(checkout)
    assert state == {"git_commit": _git(checkout, "rev-parse", "HEAD"), "git_clean": True}
    assert _common.git_line(state) == (f"Git commit: {state['git_commit']} "
                                       "(clean tree at the start of the run)")


def test_results_files_being_written_leave_the_tree_clean(checkout):
    (checkout / "benchmarks" / "results" / "speed.md").write_text("new\n")
    (checkout / "benchmarks" / "results" / "fleet.json").write_text("{}\n")
    assert _common.git_state(checkout)["git_clean"] is True


@pytest.mark.parametrize("change", ["edited", "untracked"])
def test_code_changes_make_the_tree_unclean(checkout, change):
    name = "code.py" if change == "edited" else "new.py"
    (checkout / "skvaelstm" / name).write_text("x = 2\n")
    state = _common.git_state(checkout)
    assert state["git_clean"] is False
    assert _common.git_line(state).endswith("(tree with uncommitted changes at the start "
                                            "of the run)")


def test_outside_a_checkout(tmp_path):
    state = _common.git_state(tmp_path)   # not a git checkout
    assert state == {"git_commit": "unknown", "git_clean": None}
    assert _common.git_line(state) == ("Git commit: unknown (no git checkout at the start "
                                       "of the run)")
