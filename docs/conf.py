"""Sphinx configuration of the skvaelstm documentation.

Build: ``sphinx-build -W -b html docs docs/_build/html`` from the repository root
(after ``pip install -e ".[docs]"``). The gallery in ``examples/`` is executed at
every build.
"""

import os
import re
import sys
import warnings

# Document the checkout this file belongs to, also when another copy is installed.
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
# Gallery scripts run in this process: they must see the same checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)

import skvaelstm  # noqa: E402

project = "skvaelstm"
author = "the skvaelstm developers"
copyright = "the skvaelstm developers"
release = skvaelstm.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.extlinks",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# user-guide pages are Markdown (MyST); "(label)=" targets, {func}`...` roles
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

autosummary_generate = True
# numpydoc lists a class's public methods and attributes; no stub page for each
numpydoc_show_class_members = True
numpydoc_class_members_toctree = False
# inherited methods are listed (score_samples, get_params, ...), except a dict's
numpydoc_show_inherited_class_members = {"skvaelstm.fleet.FleetResult": False}
numpydoc_xref_param_type = False

extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}

# No network at build time: intersphinx inventories are not fetched.
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"skvaelstm {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False

sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # one place for the execution times; not part of any toctree
    "write_computation_times": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "run_stale_examples": False,
    "show_memory": False,
}

# The gallery draws figures without a display.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    # Shapes such as "(n_features_in_,)" in parameter types would read as
    # reST references ("name_"); the docstrings stay plain text for help().
    for i, line in enumerate(lines):
        lines[i] = re.sub(r"\bn_features_in_(?=[,)])", r"n_features_in\\_", line)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, priority=400)
