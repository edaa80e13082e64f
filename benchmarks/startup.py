"""How fast the command line answers when no model is needed, and what a model costs.

Times ``skvaelstm --help``, ``skvaelstm --version`` and an argument error (``skvaelstm
fit`` without its arguments) in fresh processes, next to ``python -c "import torch"``
and ``python -c "import skvaelstm; skvaelstm.VAELSTMDetector"`` (what every command
that fits or scores pays). Medians of ``--repeats`` runs, wall time of the whole
process.

Usage::

    python benchmarks/startup.py     # writes results/startup.{md,json}
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import git_line, git_state, machine, machine_load, markdown_table, write_results

COMMANDS = {
    "skvaelstm --help": ["skvaelstm", "--help"],
    "skvaelstm --version": ["skvaelstm", "--version"],
    "skvaelstm fit (argument error)": ["skvaelstm", "fit"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "import skvaelstm + VAELSTMDetector": [
        sys.executable, "-c", "import skvaelstm; skvaelstm.VAELSTMDetector"],
}


def seconds(argv):
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("skvaelstm") is None:
        raise SystemExit("the skvaelstm command is not installed (pip install -e .)")
    command = " ".join(["python benchmarks/startup.py", *sys.argv[1:]])
    source, load_before = git_state(), machine_load()
    for argv in COMMANDS.values():   # warm the file cache once: users run them twice too
        seconds(argv)
    runs = {name: [seconds(argv) for _ in range(args.repeats)]
            for name, argv in COMMANDS.items()}
    load_after = machine_load()
    rows = [[name, f"{np.median(r):.2f}", f"{min(r):.2f}", f"{max(r):.2f}"]
            for name, r in runs.items()]
    markdown = "\n".join([
        "# Command-line start-up",
        "",
        "Written by `benchmarks/startup.py`; do not edit by hand.",
        f"Command: `{command}`",
        git_line(source),
        f"Measured on: {machine()}.",
        f"Load average before / after the run: {load_before} / {load_after}.",
        f"Wall time of a fresh process, seconds; median, min and max of {args.repeats} runs "
        "after one warm-up run of each.",
        "",
        markdown_table(["command", "median s", "min s", "max s"], rows),
    ])
    write_results("startup", {"command": command, **source, "machine": machine(),
                              "load_before": load_before, "load_after": load_after,
                              "repeats": args.repeats, "runs": runs}, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
