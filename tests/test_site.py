"""The course site: every notebook has a page with its figures, exercises without solutions.

Builds the site with :func:`sim.course.site.build_site` into ``_build/`` (the
folder ``make site`` uses, so a build that ``make site`` made before is reused
through the execution cache; ``CRM_SITE_BUILD=DIR`` builds elsewhere), then
builds it again and checks that no notebook was executed the second time.
Checks every course notebook's page against the notebook it executed (at
least as many images as image outputs, at least one for a notebook that
plots), every exercise sheet's page (its questions, no outputs, no solution
code or markers, no hidden checks), the landing page's links to all notebooks,
and takes a real-browser screenshot of one page: Debian's /usr/bin/chromium
driven by Playwright, the site served on 127.0.0.1 and every other address
blocked. The screenshot lands in tests/_output/site/. Those tests are marked
``slow``; the staging tests at the top (what Sphinx is given) are fast.
"""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from test_classroom import solution_code_lines

from sim.course.site import HIDDEN_TAG, build_site, landing_page, stage

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))
SHOT_PAGE = "notebooks/04_segmentation"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
PLOTS = re.compile(r"\bcharts\b|\bplt\.|\.plot\(|\bplot_\w+\(")
QUESTION = re.compile(r"\bQ(uestion)?\s*\d")
FIGURE = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*(?:_images/[^\"]+|data:image/[^\"]+))\"")

pytestmark = pytest.mark.timeout(3000)
slow = pytest.mark.slow  # every test that needs the built site


@pytest.fixture(scope="module")
def site():
    """(first build's report, second build's report) of the site in _build/ or $CRM_SITE_BUILD."""
    out = Path(os.environ.get("CRM_SITE_BUILD") or REPO / "_build")
    first = build_site(out, quiet=True)
    second = build_site(out, quiet=True)
    return first, second


def text_of(page: str) -> str:
    """A page's visible text: tags dropped, entities decoded (code keeps its characters)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def plain(text: str) -> str:
    """Text without Markdown emphasis, code marks and links, whitespace collapsed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(re.sub(r"[*_`#]", "", text).split())


def executed(report, stem: str) -> nbformat.NotebookNode:
    """The notebook as the site executed it (MyST-NB keeps a copy beside html/)."""
    path = report.html.parent / "jupyter_execute" / "notebooks" / f"{stem}.ipynb"
    assert path.is_file(), f"no executed copy of {stem} at {path}"
    return nbformat.read(path, as_version=4)


def image_outputs(nb: nbformat.NotebookNode) -> int:
    return sum(
        1
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if any(m in out.get("data", {}) for m in IMAGE_MIMES)
        or "<img" in str(out.get("data", {}).get("text/html", ""))
    )


# ---------------------------------------------------------------- staging (fast)


def test_staging_runs_notebooks_headless_and_leaves_solutions_out(tmp_path):
    source = tmp_path / "src"
    docs = stage(source, REPO, key="k1")
    assert set(docs) == {f"notebooks/{p.stem}" for p in NOTEBOOKS} | {
        f"exercises/{p.stem}" for p in EXERCISES
    }
    assert not [p for p in source.rglob("*") if "solution" in p.name.lower()]
    for path in NOTEBOOKS:
        cells = nbformat.read(source / "notebooks" / path.name, as_version=4).cells
        at = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
        added = cells[at + 1]
        assert HIDDEN_TAG in added.metadata.tags and "INTERACTIVE = False" in added.source
        assert "k1" in added.source
        original = nbformat.read(path, as_version=4).cells
        assert [c.source for c in cells[: at + 1] + cells[at + 2 :]] == [c.source for c in original]
    for path in EXERCISES:
        nb = nbformat.read(source / "exercises" / path.name, as_version=4)
        assert nb.metadata.mystnb.execution_mode == "off"
        for cell in nb.cells:
            if "checks" in cell.metadata.get("tags", []):
                assert HIDDEN_TAG in cell.metadata.tags
    index = (source / "index.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.stem}.ipynb)" in index and f"notebooks/{path.stem}\n" in index


def test_restaging_touches_only_what_changed(tmp_path):
    source = tmp_path / "src"
    stage(source, REPO, key="k1")
    stale = source / "notebooks" / "99_gone.ipynb"
    stale.write_text("{}")
    mtimes = {p: p.stat().st_mtime_ns for p in source.rglob("*.ipynb") if p != stale}
    stage(source, REPO, key="k1")
    assert not stale.exists(), "a notebook removed from the course keeps its page"
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    stage(source, REPO, key="k2")  # the package changed: every course notebook re-runs
    changed = {p for p in mtimes if p.stat().st_mtime_ns != mtimes[p]}
    assert changed == {p for p in mtimes if p.parent.name == "notebooks"}


def test_landing_page_links_notebooks_the_readme_table_lacks():
    readme = (
        "# X\n\n## What it is\n\nA workbench.\n\n## The course\n\n"
        "| notebook | concepts | exercise sheet |\n|---|---|---|\n"
        "| `00_welcome` | CRM | `exercises/00_welcome.ipynb` |\n\n## Students\n\nRun it.\n"
    )
    page = landing_page(readme, ["00_welcome", "11_new"], ["00_welcome"])
    assert "A workbench." in page and "Run it." not in page
    assert "| [`00_welcome`](notebooks/00_welcome.ipynb) | CRM | " in page
    assert "[exercise sheet](exercises/00_welcome.ipynb)" in page
    assert "[`11_new`](notebooks/11_new.ipynb)" in page
    assert page.count("```{toctree}") == 2


# ---------------------------------------------------------------- the built site (slow)


@slow
def test_second_build_executes_nothing(site):
    first, second = site
    assert set(first.pages) == {f"notebooks/{p.stem}" for p in NOTEBOOKS} | {
        f"exercises/{p.stem}" for p in EXERCISES
    }
    assert not [d for d in first.executed if d.startswith("exercises/")], "a sheet was executed"
    if second.key != first.key:  # sim/ was edited while the first build ran
        pytest.skip("the package changed between the two builds: re-executing was right")
    assert second.executed == [], f"unchanged notebooks were executed again: {second.executed}"


@slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_a_page_with_its_figures(site, path):
    report, _ = site
    page = (report.html / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
    nb = executed(report, path.stem)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"], f"{path.stem}: errors"
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert not widgets, f"{path.stem}: widgets shown; the site runs with INTERACTIVE = False"
    images = image_outputs(nb)
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    if PLOTS.search(source):
        assert images >= 1, f"{path.stem} plots but produced no image output"
    figures = FIGURE.findall(page)
    assert len(figures) >= images, f"{path.stem}: {len(figures)} figures on the page, {images} made"
    for src in figures:
        if not src.startswith("data:"):
            file = (report.html / "notebooks" / src).resolve()
            assert file.is_file() and file.stat().st_size > 1000, f"{path.stem}: {src}"
    title = next(c.source for c in nb.cells if c.cell_type == "markdown").splitlines()[0]
    assert html.unescape(title.lstrip("# ").strip()) in text_of(page)
    assert "INTERACTIVE = False" not in text_of(page), "the site's hidden cell is shown"


@slow
@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_pages_show_the_questions_and_no_solutions(site, path):
    report, _ = site
    page = (report.html / "exercises" / f"{path.stem}.html").read_text(encoding="utf-8")
    text = text_of(page)
    nb = nbformat.read(path, as_version=4)
    shown = plain(text)
    questions = [
        plain(c.source.splitlines()[0])
        for c in nb.cells
        if c.cell_type == "markdown" and QUESTION.search(c.source.splitlines()[0])
    ]
    assert questions, f"{path.stem}: no questions found in the sheet"
    for question in questions:
        assert question in shown, f"{path.stem}: question {question!r} not on the page"
    checks = [
        line.strip()
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.strip().startswith("check(")
    ]
    assert checks, f"{path.stem}: no check() lines"
    for line in checks:
        assert plain(line) in shown, f"{path.stem}: {line!r} not on the page"
    assert "BEGIN SOLUTION" not in page and "END SOLUTION" not in page
    assert "run_hidden(" not in text, "the hidden self-check cell is shown"
    assert 'class="cell_output' not in page, f"{path.stem}: the sheet was executed"
    leaked = [line for line in solution_code_lines() if line in text]
    assert not leaked, f"{path.stem}: solution code on the page: {leaked[:3]}"


@slow
def test_no_page_holds_a_solution(site):
    report, _ = site
    files = [p.relative_to(report.html).as_posix() for p in report.html.rglob("*")]
    assert not [f for f in files if "solution" in f.lower()], "a solutions page was built"
    secret = solution_code_lines()
    assert secret, "no solution code found in solutions/ to look for"
    for page in report.html.rglob("*.html"):
        text = text_of(page.read_text(encoding="utf-8"))
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{page.name}: solution code {leaked[:3]}"
    staged = report.html.parent / ".source"
    assert not [p for p in staged.rglob("*") if "solution" in p.name.lower()]


@slow
def test_landing_page_maps_the_course(site):
    report, _ = site
    page = (report.html / "index.html").read_text(encoding="utf-8")
    text = text_of(page)
    assert "The course" in text and "RFM" in text  # the README's course map
    for path in NOTEBOOKS:
        assert f'href="notebooks/{path.stem}.html"' in page, f"no link to {path.stem}"
    for path in EXERCISES:
        assert f'href="exercises/{path.stem}.html"' in page, f"no link to sheet {path.stem}"
    assert "python -m sim lab" in text


@slow
def test_every_link_between_pages_resolves(site):
    report, _ = site
    broken = []
    pages = [p for p in report.html.rglob("*.html") if "_static" not in p.parts]  # not templates
    for page in sorted(pages):
        for href in re.findall(r'href="([^"#?]+)[^"]*"', page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:", href) or href.startswith("//"):
                continue  # an outside address
            if href.endswith(".ipynb") or not (page.parent / href).exists():
                broken.append(f"{page.relative_to(report.html)} -> {href}")
    assert not broken, f"broken links: {broken[:10]}"


# ---------------------------------------------------------------- a real browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class names it `format`
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@slow
@pytest.mark.browser
def test_a_page_renders_with_its_figures_in_a_real_browser(site, output_dir):
    if not CHROMIUM.exists():
        pytest.skip(
            "/usr/bin/chromium not found: install Debian's chromium (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    report, _ = site
    out = output_dir / "site"
    out.mkdir(parents=True, exist_ok=True)
    shot = out / f"{SHOT_PAGE.replace('/', '__')}.png"
    shot.unlink(missing_ok=True)
    blocked: list[str] = []

    def only_loopback(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "about:")):
            route.continue_()
        else:  # no network here (MathJax's CDN and the like): never wait for it
            blocked.append(url)
            route.abort()

    with serve(report.html) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", only_loopback)
            response = page.goto(f"{base}/{SHOT_PAGE}.html", wait_until="load", timeout=60_000)
            assert response is not None and response.ok
            page.wait_for_selector("article h1")
            images = page.eval_on_selector_all(
                "article img",
                "imgs => imgs.map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])",
            )
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert images, f"no figure on {SHOT_PAGE}"
    broken = [src for src, width in images if not width]
    assert not broken, f"figures that did not load: {broken}"
    assert shot.is_file() and shot.stat().st_size > 10_000
