"""A real browser: JupyterLab in headless Chromium runs 04_segmentation and its slider works.

Starts JupyterLab on a free localhost port with a random token (settings and
workspaces in a temporary folder, so nothing of the user's leaks in), opens
notebooks/04_segmentation.ipynb with Playwright driving Debian's
/usr/bin/chromium (no browser download), runs all cells from the Run menu,
checks that the first explorer (a sim.widgets VBox with a slider and an Output)
shows a slider, moves it one step with the keyboard and checks that the
explorer's output changes (text or image: its HTML is compared), and that the
notebook file on disk is untouched (autosave is off). The screenshot and the server log land
in tests/_output/browser/. Skips when /usr/bin/chromium is missing
(``apt-get install chromium``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "04_segmentation.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
SERVER_START = 90  # seconds
UI_TIMEOUT = 90_000  # milliseconds, for JupyterLab + kernel + first widget render

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium not found: install Debian's chromium (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, scratch: Path, log_path: Path) -> Iterator[tuple[str, str]]:
    """Run JupyterLab on 127.0.0.1; yield (base URL, token); always stop it."""
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ]:
        (scratch / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(scratch / sub)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        f"--FileCheckpoints.root_dir={scratch / 'checkpoints'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    # No autosave (the committed notebook must stay without outputs), no news toast.
    for plugin, settings in SETTINGS.items():
        target = scratch / "settings" / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited with {proc.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"JupyterLab not up after {SERVER_START} s; see {log_path}")
                    time.sleep(0.5)
            yield base, token
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (server + its kernels), then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def test_slider_in_jupyterlab_changes_the_output(output_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = output_dir / "browser"
    out.mkdir(parents=True, exist_ok=True)
    shot = out / "04_segmentation.png"
    stored = (REPO / "notebooks" / NOTEBOOK).read_bytes()
    with jupyterlab(REPO / "notebooks", tmp_path, out / "jupyterlab.log") as (base, token):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=60_000
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(UI_TIMEOUT)
                try:
                    drive(page, base, token, shot)
                except Exception:
                    page.screenshot(path=str(out / "04_segmentation-failure.png"), full_page=True)
                    raise
            finally:
                browser.close()
    assert shot.exists()
    assert (REPO / "notebooks" / NOTEBOOK).read_bytes() == stored, "the browser saved the notebook"


EXPLORER = ".jp-NotebookPanel .widget-vbox:has(> .widget-slider):has(> .widget-output)"
OUTPUT_HTML = (
    "(box) => { const o = box.querySelector(':scope > .widget-output');"
    " return o ? o.innerHTML : ''; }"
)


def drive(page, base: str, token: str, shot: Path) -> None:
    """Open the notebook, run all, move the first explorer's slider one step, see the output change."""
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    # The kernel must be connected and idle before "Run All Cells", else the cells
    # are marked as run but never sent (the toolbar says idle even before a kernel exists).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".some(e => /^(?!No Kernel).+ \\| Idle$/.test(e.innerText.trim()))"
    )
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    # an explorer built by sim.widgets: a VBox with the controls and the Output
    box = page.wait_for_selector(EXPLORER)
    slider = box.query_selector(":scope > .jupyter-widgets.widget-slider")
    assert slider is not None and slider.is_visible(), "no widget slider rendered"
    page.wait_for_function(
        "(box) => !!box.querySelector(':scope > .widget-output .jp-OutputArea-output')", arg=box
    )
    before = box.evaluate(OUTPUT_HTML)
    readout = slider.query_selector(".widget-readout")
    value_before = readout.inner_text().strip()

    handle = slider.query_selector(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")  # one step; a slider already at its maximum goes left
    if readout.inner_text().strip() == value_before:
        handle.press("ArrowLeft")
    value_after = readout.inner_text().strip()
    assert value_after != value_before, "the slider did not move"
    page.wait_for_function(
        "([box, before]) => { const o = box.querySelector(':scope > .widget-output');"
        " return o && o.querySelector('.jp-OutputArea-output') && o.innerHTML !== before; }",
        arg=[box, before],
        timeout=30_000,
    )
    page.wait_for_timeout(300)  # let the output settle before the screenshot
    page.screenshot(path=str(shot), full_page=True)
    after = box.evaluate(OUTPUT_HTML)
    assert after != before, f"the output did not change after {value_before} -> {value_after}"
