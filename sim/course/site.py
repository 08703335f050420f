"""The course site: every notebook as a static HTML page, built with Sphinx + MyST-NB.

``make site`` (or ``python -m sim.course site``) builds it into ``_build/html/``::

    _build/
        html/                the site: open html/index.html, or publish the folder
        .source/             what Sphinx reads, staged from the repository (below)
        .doctrees/           Sphinx's incremental state
        .jupyter_cache/      executed notebooks, keyed by their code (jupyter-cache)
        jupyter_execute/     MyST-NB's copies of the executed notebooks and images

The configuration is ``site/conf.py`` (``site/README.md`` explains it). Sphinx
does not read the repository itself but a staged copy, so that

- course notebooks run headless: a hidden cell after the parameters cell sets
  ``INTERACTIVE = False`` (explorers show their static result, as under
  papermill), and names the package and dataset they ran on, so the cache is
  invalidated when those change (``key_on_package=False``: only when the
  notebook's code changes);
- exercise sheets are shown **unexecuted**, as students get them (questions and
  empty answers); their hidden self-check cell is left off the page;
- solution sheets are never copied: they cannot end up on the site;
- the landing page is the README's "What it is" and its course map ("The
  course" table), each notebook and sheet linked.

Execution uses MyST-NB's ``cache`` mode: a notebook is executed only when
jupyter-cache holds no run of the same code, so a second build of unchanged
notebooks executes nothing (:attr:`SiteReport.executed` says what ran).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "SITE_CONFIG",
    "SiteError",
    "SiteReport",
    "build_site",
    "landing_page",
    "register",
    "stage",
]

REPO = Path(__file__).resolve().parents[2]
SITE_CONFIG = REPO / "site"
HIDDEN_TAG = "remove-cell"  # MyST-NB leaves such a cell (source and outputs) off the page
INJECTED_TAG = "site-parameters"
# What site/conf.py needs (the dev extra of pyproject.toml installs them).
SITE_MODULES = ("sphinx", "myst_nb", "sphinx_book_theme", "jupyter_cache")
README_SECTIONS = ("What it is",)  # prose of the landing page, above the course map
COURSE_SECTION = "The course"


class SiteError(RuntimeError):
    """The site could not be staged or built; the message says why and where to look."""


@dataclass
class SiteReport:
    """What one :func:`build_site` did.

    Attributes
    ----------
    html
        The site's folder (``index.html`` inside).
    pages
        Notebook → its HTML page, for every staged notebook (``notebooks/00_welcome``
        → ``html/notebooks/00_welcome.html``).
    executed
        Notebooks executed by this build (the others came from the cache or
        were not re-read because they had not changed).
    seconds
        Wall time of the build.
    key
        The package-and-dataset hash the notebooks were keyed on (``None``
        with ``key_on_package=False``): builds with different keys re-execute.
    """

    html: Path
    pages: dict[str, Path] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    key: str | None = None


# --------------------------------------------------------------------------- staging
def _source_fingerprint(repo: Path) -> str:
    """Short SHA-256 of the package source and the default dataset's manifest checksums."""
    h = hashlib.sha256()
    for file in sorted((repo / "sim").rglob("*.py")):
        h.update(file.relative_to(repo).as_posix().encode() + b"\0")
        h.update(file.read_bytes())
    manifest = repo / "datasets" / "default" / "manifest.json"
    if manifest.is_file():
        checksums = json.loads(manifest.read_text(encoding="utf-8")).get("checksums", {})
        h.update(json.dumps(checksums, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _site_cell(key: str | None) -> nbformat.NotebookNode:
    lines = [
        "# Added by the site build (sim/course/site.py), hidden on the page: run headless.",
        "INTERACTIVE = False",
    ]
    if key:
        # A code change is what makes jupyter-cache run a notebook again: naming the
        # package and dataset here re-runs the notebooks when either changes.
        lines.append(f"# built on package and dataset {key}")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = [HIDDEN_TAG, INJECTED_TAG]
    cell.id = "site-parameters"
    return cell


def _course_notebook(path: Path, key: str | None) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    at = next(
        (i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), 0
    )
    nb.cells.insert(at, _site_cell(key))
    return nb


def _exercise_sheet(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        # The self-check cell encodes the instructor's checks: students run it, the
        # site does not show it.
        if "checks" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata["tags"], HIDDEN_TAG]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # Besides nb_execution_excludepatterns in conf.py: never executed, whatever the config.
    nb.metadata.setdefault("mystnb", {})["execution_mode"] = "off"
    return nb


def _title(path: Path) -> str:
    """A notebook's first Markdown heading (its page title), or its file name."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return path.stem


def _section(readme: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    return m.group(1).strip() if m else ""


def landing_page(readme: str, notebooks: Sequence[str], exercises: Sequence[str]) -> str:
    """The site's ``index.md``: the README's introduction and course map, linked.

    Parameters
    ----------
    readme
        The README's text; its "What it is" section and the table of its
        "The course" section are used.
    notebooks, exercises
        Staged file stems (``00_welcome``) of the course notebooks and exercise
        sheets; every one is linked and in the navigation, also those the
        README's table lacks.
    """
    parts = ["# CRM Workbench", ""]
    for title in README_SECTIONS:
        text = _section(readme, title)
        if text:
            parts += [text, ""]
    rows: list[str] = []
    listed: set[str] = set()
    table = [ln for ln in _section(readme, COURSE_SECTION).splitlines() if ln.startswith("|")]
    for line in table:
        m = re.match(r"\|\s*`([^`|]+)`\s*\|", line)
        if m and m.group(1) in notebooks:
            stem = m.group(1)
            listed.add(stem)
            line = line.replace(f"`{stem}`", f"[`{stem}`](notebooks/{stem}.ipynb)", 1)
            if stem in exercises:
                line = line.replace(
                    f"`exercises/{stem}.ipynb`", f"[exercise sheet](exercises/{stem}.ipynb)"
                )
        rows.append(line)
    if not rows:
        rows = ["| notebook | exercise sheet |", "|---|---|"]
    for stem in notebooks:
        if stem not in listed:  # a notebook newer than the README's table still gets a row
            sheet = f"[exercise sheet](exercises/{stem}.ipynb)" if stem in exercises else ""
            cells = [f"[`{stem}`](notebooks/{stem}.ipynb)"]
            cells += [""] * (rows[0].count("|") - 3) + [sheet]
            rows.append("| " + " | ".join(cells) + " |")
    parts += ["## The course", "", *rows, ""]
    parts += [
        "Each notebook's page shows it run on the default course dataset, its sliders",
        "fixed at their defaults. Exercise sheets are shown as students get them:",
        "questions and empty answers, to work on in JupyterLab.",
        "",
        "## Work on it yourself",
        "",
        "With Python 3.11, in the course folder (the same on Windows, macOS and Linux):",
        "",
        "```",
        "python -m pip install -e .",
        "python -m sim lab",
        "```",
        "",
        "or `make lab` where `make` is available.",
        "",
    ]
    for caption, folder, stems in (
        ("Course notebooks", "notebooks", notebooks),
        ("Exercise sheets", "exercises", exercises),
    ):
        if stems:
            parts += ["```{toctree}", f":caption: {caption}", ":maxdepth: 1", ":hidden:", ""]
            parts += [f"{folder}/{stem}" for stem in stems] + ["```", ""]
    return "\n".join(parts)


def _write_if_changed(target: Path, text: str) -> None:
    # Unchanged files keep their mtime, so Sphinx does not even re-read them.
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def stage(source: Path, repo: Path = REPO, *, key: str | None = None) -> dict[str, Path]:
    """Write Sphinx's sources into ``source``: notebooks, exercise sheets, landing page.

    Parameters
    ----------
    source
        The staging folder (created; files of an earlier staging that are no
        longer wanted are removed).
    repo
        The course repository.
    key
        Written into each course notebook's hidden cell, so that notebooks
        are re-executed when it changes (see :func:`build_site`).

    Returns
    -------
    dict
        Document name (``notebooks/00_welcome``) → staged file, for every notebook.
    """
    wanted: dict[str, str] = {}
    docs: dict[str, Path] = {}
    stems: dict[str, list[str]] = {}
    for folder, make in (("notebooks", lambda p: _course_notebook(p, key)), ("exercises", None)):
        paths = sorted(p for p in (repo / folder).glob("*.ipynb") if "_solutions" not in p.name)
        stems[folder] = [p.stem for p in paths]
        for path in paths:
            nb = make(path) if make else _exercise_sheet(path)
            rel = f"{folder}/{path.name}"
            wanted[rel] = nbformat.writes(nb) + "\n"
            docs[f"{folder}/{path.stem}"] = source / rel
    if not stems["notebooks"]:
        raise SiteError(f"no notebooks in {repo / 'notebooks'}: nothing to build")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    wanted["index.md"] = landing_page(readme, stems["notebooks"], stems["exercises"])
    for rel, text in wanted.items():
        _write_if_changed(source / rel, text)
    if source.is_dir():
        for path in sorted(source.rglob("*"), reverse=True):
            rel = path.relative_to(source).as_posix()
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return docs


# --------------------------------------------------------------------------- building
EXECUTION_REPORT = ".site-execution.json"  # written by site/conf.py after each build


def _executed(out: Path, docs: dict[str, Path]) -> list[str]:
    """The documents this build executed, from the report ``site/conf.py`` writes."""
    report = out / EXECUTION_REPORT
    uris = json.loads(report.read_text(encoding="utf-8"))["executed"] if report.is_file() else []
    staged = {str(path.resolve()): doc for doc, path in docs.items()}
    return sorted(staged.get(str(Path(uri).resolve()), uri) for uri in uris)


def build_site(
    out: Path = Path("_build"),
    *,
    repo: Path = REPO,
    config: Path | None = None,
    key_on_package: bool = True,
    jobs: int = 1,
    quiet: bool = False,
) -> SiteReport:
    """Build the course site into ``out/html``; return what was built and executed.

    Parameters
    ----------
    out
        Build folder (git-ignored ``_build`` by default); the site is
        ``out/html``, the execution cache ``out/.jupyter_cache``. Building
        again into the same folder re-executes only changed notebooks.
    repo
        The course repository (notebooks/, exercises/, README.md, datasets/).
    config
        Folder holding ``conf.py`` (default ``site/``).
    key_on_package
        Re-execute a notebook when the package source or the default dataset
        changed, not only when its own code did.
    jobs
        Sphinx's parallel readers (``-j``); each executes its notebooks.
    quiet
        Write Sphinx's output to ``out/site.log`` instead of the terminal.

    Raises
    ------
    SiteError
        The site tools or the course kernel are missing, a notebook failed to
        execute, or Sphinx failed; the message names the failing notebook and
        its exception (with ``quiet``, the whole output is in ``out/site.log``).
    """
    from sim.course.lab import LabSetupError, ensure_kernel

    start = time.monotonic()
    out = Path(out).resolve()
    config = Path(config or SITE_CONFIG).resolve()
    if not (config / "conf.py").is_file():
        raise SiteError(f"no site configuration: {config / 'conf.py'} is missing")
    missing = [m for m in SITE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise SiteError(
            f"the site tools are not installed ({', '.join(missing)} missing): "
            "run `make site`, or `python -m pip install -e '.[dev]'` first"
        )
    try:
        ensure_kernel()  # the notebooks name the crm-workbench kernel
    except LabSetupError as err:
        raise SiteError(str(err)) from None
    source, html, cache = out / ".source", out / "html", out / ".jupyter_cache"
    key = _source_fingerprint(repo) if key_on_package else None
    docs = stage(source, repo, key=key)
    (out / EXECUTION_REPORT).unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(config)]
    cmd += ["-d", str(out / ".doctrees"), "-j", str(max(1, jobs))]
    cmd += ["-D", f"nb_execution_cache_path={cache}", str(source), str(html)]
    # Not MPLBACKEND: the kernels must keep their inline backend, or no figure is shown.
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)
    if quiet:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        log = (proc.stdout or "") + (proc.stderr or "")
        (out / "site.log").write_text(log, encoding="utf-8")
    else:
        proc = subprocess.run(cmd, env=env, check=False)
        log = ""
    if proc.returncode != 0:
        where = f"; the whole output is in {out / 'site.log'}" if quiet else " (output above)"
        raise SiteError(
            f"sphinx-build exited with {proc.returncode} building {source} into {html}"
            f"{_failure(log)}{where}"
        )
    executed = _executed(out, docs)
    pages = {doc: html / f"{doc}.html" for doc in docs}
    missing = [doc for doc, page in pages.items() if not page.is_file()]
    if missing:
        raise SiteError(f"the build left no page for {missing}; see the Sphinx output")
    return SiteReport(html, pages, executed, time.monotonic() - start, key)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXCEPTION = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit))\b:?(.*)$")


def _failure(log: str) -> str:
    """The failing notebook and its exception, from Sphinx's output (``""`` if not found)."""
    lines = _ANSI.sub("", log).splitlines()
    failed = [ln.strip() for ln in lines if "Executing notebook failed" in ln]
    errors = [ln.strip() for ln in lines if _EXCEPTION.match(ln)]
    # The notebook's own exception, not the executor's wrappers around it.
    wrappers = ("nbclient.", "myst_nb.", "sphinx.", "jupyter_cache.", "CellExecutionError")
    parts = failed[:1] + [e for e in errors if not e.startswith(wrappers)][-1:]
    return (": " + "; ".join(parts)) if parts else ""


# --------------------------------------------------------------------------- command line
def _run(args: argparse.Namespace) -> int:
    try:
        report = build_site(
            args.out, key_on_package=not args.notebook_only_cache, jobs=args.jobs, quiet=args.quiet
        )
    except SiteError as err:
        print(f"site: {err}", file=sys.stderr)
        return 1
    ran = ", ".join(report.executed) if report.executed else "none (all cached)"
    print(f"site: {report.html / 'index.html'} ({len(report.pages)} pages)")
    print(f"site: executed {ran}; {report.seconds:.0f} s")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``site`` subcommand to ``python -m sim.course``'s subparsers."""
    p = subparsers.add_parser(
        "site",
        help="build the course site (static HTML) into _build/html",
        description="Build the course site: notebooks executed (cached), exercise sheets "
        "unexecuted, never the solutions, a landing page with the course map.",
    )
    p.add_argument("--out", type=Path, default=Path("_build"), help="build folder (_build)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel Sphinx readers")
    p.add_argument(
        "--notebook-only-cache",
        action="store_true",
        help="re-run a notebook only when its own code changed (not the package or dataset)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print Sphinx's output on error only")
    p.set_defaults(func=_run)
