"""The client report as PDF: printed by headless Chromium, atomic, and clear when it cannot be made."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pypdf
import pytest

from sim.studio import pdf

REPORT = """<!doctype html><html><head><meta charset="utf-8"><title>What-if report</title></head>
<body><h1>What-if report</h1><p>Question: what is a retention programme worth?</p>
<table><tr><th>lever</th><th>value</th></tr><tr><td>Retention uplift</td><td>0.35</td></tr></table>
<h2>Assumptions</h2><p>Agent cost per year 42,000 EUR</p></body></html>"""


def _fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-chromium"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.mark.skipif(pdf.find_browser() is None, reason="no Chromium on this machine")
def test_the_report_prints_to_a_pdf_that_carries_its_text(tmp_path):
    html = tmp_path / "report.html"
    html.write_text(REPORT, encoding="utf-8")
    got = pdf.print_pdf(html, tmp_path / "report.pdf")
    assert got == tmp_path / "report.pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(got).pages)
    for words in ("What-if report", "Retention uplift", "0.35", "Assumptions", "42,000 EUR"):
        assert words in text, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.pdf"]


def test_without_chromium_the_error_says_how_to_get_a_pdf(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_WORKBENCH_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert pdf.find_browser() is None
    with pytest.raises(pdf.PdfUnavailable, match="PDF needs Chromium.*any browser"):
        pdf.print_pdf(tmp_path / "report.html", tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


def test_a_failing_browser_leaves_the_earlier_pdf_and_no_temporary_file(tmp_path):
    html = tmp_path / "report.html"
    html.write_text(REPORT, encoding="utf-8")
    earlier = tmp_path / "report.pdf"
    earlier.write_bytes(b"%PDF-1.4 earlier")
    # A browser that writes half a file and fails.
    browser = _fake_browser(
        tmp_path,
        'for a in "$@"; do case "$a" in --print-to-pdf=*) printf junk > "${a#--print-to-pdf=}";; esac; done\n'
        'echo "cannot open display" >&2; exit 3',
    )
    with pytest.raises(pdf.PdfUnavailable, match=r"exit 3\): cannot open display"):
        pdf.print_pdf(html, earlier, browser=browser)
    assert earlier.read_bytes() == b"%PDF-1.4 earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fake-chromium",
        "report.html",
        "report.pdf",
    ]


def test_a_browser_that_hangs_is_killed_with_its_children(tmp_path):
    html = tmp_path / "report.html"
    html.write_text(REPORT, encoding="utf-8")
    pids = tmp_path / "pids"
    # The "browser" starts a child (as Chromium does) and both hang.
    browser = _fake_browser(tmp_path, f"sleep 60 & echo $! > {pids}; echo $$ >> {pids}; wait")
    with pytest.raises(pdf.PdfUnavailable, match="did not finish within 1 s"):
        pdf.print_pdf(html, tmp_path / "report.pdf", browser=browser, timeout=1)
    deadline = time.monotonic() + 10
    alive = [int(p) for p in pids.read_text().split()]
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _running(p)]
        time.sleep(0.1)
    assert alive == []
    assert not (tmp_path / "report.pdf").exists()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped by its (dead) parent is a zombie: gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
