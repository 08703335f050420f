"""A real browser: the what-if studio served by Voilà, driven in headless Chromium.

Starts ``python -m sim studio --port N --no-browser --home TMP`` (the command
``make studio`` runs) on a free localhost port, opens it with Playwright
driving Debian's /usr/bin/chromium (no browser download), checks that no code
is shown, that an impossible lever value gets a message (not a traceback),
then sets the retention uplift, one market's agents (the Service group's
box per market), a tiny population and two replications, presses Run, waits for the results and checks that the KPI table changed and
shows intervals; clicks Export and checks that the downloaded CSV and report
exist and carry the levers' values. Screenshots before and after and the
server log land in tests/_output/studio/. Skips when /usr/bin/chromium is
missing (``apt-get install chromium``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pypdf
import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, stop

REPO = Path(__file__).resolve().parents[1]
SERVER_START = 90  # seconds
UI_TIMEOUT = 120_000  # milliseconds: Voilà starts a kernel and runs the studio's cell
RUN_TIMEOUT = 240_000  # milliseconds: 2 variants x 2 seeds of 300 customers, on a busy machine
LEVER_VALUE = "0.35"
AGENTS_MARKET, AGENTS_VALUE = "greater_china", "3"  # its baseline split: 1

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium not found: install Debian's chromium (apt-get install chromium)",
    ),
]


def _start(home: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "sim", "studio", f"--port={port}", "--no-browser",
           f"--home={home}"]  # fmt: skip
    log = log_path.open("w")
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=REPO
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the studio exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(base + "api/kernelspecs", timeout=5):
                return proc, base
        except urllib.error.HTTPError:
            return proc, base  # the server answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                stop(proc)
                pytest.fail(f"the studio is not up after {SERVER_START} s; see {log_path}")
            time.sleep(0.5)


def _fill(page, css: str, value: str) -> None:
    box = page.locator(f"{css} input").first
    box.fill(value)
    box.press("Enter")  # number boxes send their value on Enter or blur


def test_studio_runs_a_sweep_and_exports(output_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = output_dir / "studio"
    out.mkdir(parents=True, exist_ok=True)
    proc, base = _start(tmp_path / "home", out / "voila.log")
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=60_000
            )
            try:
                page = browser.new_page(
                    viewport={"width": 1400, "height": 1100}, accept_downloads=True
                )
                page.set_default_timeout(UI_TIMEOUT)
                try:
                    drive(page, base, out)
                except Exception:
                    page.screenshot(path=str(out / "studio-failure.png"), full_page=True)
                    raise
            finally:
                browser.close()
    finally:
        stop(proc)


def drive(page, base: str, out: Path) -> None:
    page.goto(base)
    page.wait_for_selector(".crm-studio")
    page.wait_for_selector(".lever-retention_uplift input")
    assert page.locator(".jp-InputArea, .CodeMirror, .cm-editor").count() == 0, "code is shown"
    page.screenshot(path=str(out / "studio-before.png"), full_page=True)
    table = page.locator(".studio-table")
    before = table.inner_html()

    # an impossible value: a message in the app, no traceback, nothing run
    _fill(page, ".lever-retention_uplift", "1.5")
    page.locator(".studio-run-button").click()
    page.wait_for_function(
        "() => /retention_uplift/.test(document.querySelector('.studio-message').innerText)"
    )
    message = page.locator(".studio-message").inner_text()
    assert "Traceback" not in message and "1.5" in message, message

    _fill(page, ".studio-customers", "300")
    _fill(page, ".studio-years", "0.5")
    _fill(page, ".studio-replications", "2")
    _fill(page, ".lever-retention_uplift", LEVER_VALUE)
    # the Service group: one agents box per market
    page.locator(".jupyter-widget-Collapse-header", has_text="Service").first.click()
    page.wait_for_selector(f".lever-agents-{AGENTS_MARKET} input", state="visible")
    assert page.locator("[class*='lever-agents-']").count() == 4  # one box per market
    _fill(page, f".lever-agents-{AGENTS_MARKET}", AGENTS_VALUE)
    page.locator(".studio-run-button").click()
    page.wait_for_function(
        "() => /finished|error|failed/.test(document.querySelector('.studio-status').innerText)",
        timeout=RUN_TIMEOUT,
    )
    status = page.locator(".studio-status").inner_text()
    assert "finished" in status, f"{status}: {page.locator('.studio-message').inner_text()}"
    page.wait_for_selector(".studio-kpis")
    after = table.inner_html()
    assert after != before, "the KPI table did not change"
    text = table.inner_text()
    assert "all changes" in text and "baseline" in text
    assert re.search(r"\[[−+]?[\d,.]+ ?%?, [−+]?[\d,.]+ ?%?\]", text), "no interval in the table"
    assert "within noise" in text or " up" in text or "down" in text
    history = page.locator(".studio-history-html").inner_text()
    assert "retention_uplift" in history and "running" not in history, history
    # Voilà scrolls inside its own container: a tall viewport shows table and charts
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / "studio-after.png"), full_page=True)

    page.locator(".studio-export-button").click()
    page.wait_for_selector("a.studio-download")
    saved = {}
    for label, name in (("CSV", "kpis.csv"), ("HTML", "report.html")):
        with page.expect_download() as info:
            page.locator("a.studio-download", has_text=label).click()
        target = out / name
        info.value.save_as(str(target))
        saved[name] = target.read_text(encoding="utf-8")
    assert f"retention_uplift={LEVER_VALUE}" in saved["kpis.csv"]
    # only the market moved, the others keep their share of the brand total
    assert f"markets.agents({AGENTS_MARKET}={AGENTS_VALUE})" in saved["kpis.csv"]
    assert "ci_low" in saved["kpis.csv"] and "diff_high" in saved["kpis.csv"]
    report = saved["report.html"]
    assert "retention_uplift" in report and LEVER_VALUE in report
    assert f"markets.agents.{AGENTS_MARKET}" in report
    assert "Assumptions" in report and "spec" in report
    # The PDF is the same report printed by headless Chromium (present wherever this test runs).
    with page.expect_download() as info:
        page.locator("a.studio-download", has_text="PDF").click()
    target = out / "report.pdf"
    info.value.save_as(str(target))
    printed = " ".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
    assert "Assumptions" in printed and LEVER_VALUE in printed, printed[:500]
