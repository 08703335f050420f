"""Sphinx configuration of the course site (``make site``, ``python -m sim.course site``).

The site is Jupyter Book 1's engine used directly: Sphinx + MyST-NB (notebook
reader and executor) + jupyter-cache + the Sphinx Book Theme. Everything it
needs is a Python package, so the build works offline (Jupyter Book 2 / mystmd
downloads its theme from the network at build time).

:func:`sim.course.site.build_site` does not point Sphinx at the repository:
it stages the sources under ``_build/.source/`` first (course notebooks with
``INTERACTIVE = False``, exercise sheets as they are, a landing page made from
the README's course map), then runs ``sphinx-build -c site/ _build/.source
_build/html``. See ``site/README.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]

project = "CRM Workbench"
author = "CRM Workbench"
copyright = "CRM Workbench contributors"
html_title = "CRM Workbench · the course"
smartquotes = False  # show the notebooks' text as written (and searchable as such)

extensions = ["myst_nb"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Only what build_site staged: never a solutions sheet (it is not staged at all).
exclude_patterns = ["**.ipynb_checkpoints", "**/*_solutions*", "solutions/**"]

# -- execution: cached per notebook, so an unchanged notebook is not re-run ----------------
nb_execution_mode = "cache"
# build_site passes its own path with -D; this default serves a bare sphinx-build.
nb_execution_cache_path = os.environ.get("CRM_SITE_CACHE", str(_REPO / "_build" / ".jupyter_cache"))
# Exercise sheets are shown as students get them: questions and empty answers, no outputs.
nb_execution_excludepatterns = ["exercises/*"]
nb_execution_timeout = 600  # seconds per cell (the notebook tests use 120 s)
nb_execution_raise_on_error = True  # a failing notebook fails the build, not a silent page
nb_execution_show_tb = True
nb_merge_streams = True
nb_output_stderr = "remove"  # warnings and progress bars are noise on a page
# Explorers run with INTERACTIVE = False (static results); should a widget view slip
# through, the static image next to it is shown rather than a dead widget.
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
]

# -- HTML ---------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
html_last_updated_fmt = None
html_copy_source = False  # no _sources/ copy of every notebook
html_show_sourcelink = False
suppress_warnings = ["mystnb.unknown_mime_type"]


# -- what this build executed -------------------------------------------------------------
# build_site reports which notebooks ran (the rest came from the cache): jupyter-cache's
# records before reading the documents against those after the build.
EXECUTION_REPORT = ".site-execution.json"


def _records(app) -> dict[int, str]:
    from jupyter_cache import get_cache

    path = Path(app.config.nb_execution_cache_path)
    if not path.exists():
        return {}
    return {r.pk: r.uri for r in get_cache(str(path)).list_cache_records()}


def _before_reading(app) -> None:
    app._crm_records_before = _records(app)


def _report(app, exception) -> None:
    if exception is not None:
        return
    before = getattr(app, "_crm_records_before", {})
    executed = sorted({uri for pk, uri in _records(app).items() if pk not in before})
    target = Path(app.outdir).parent / EXECUTION_REPORT
    target.write_text(json.dumps({"executed": executed}, indent=2) + "\n", encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _before_reading)
    app.connect("build-finished", _report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
