"""The client report as PDF: the HTML report printed by a headless Chromium, where one is installed.

The report is self-contained HTML (its charts are embedded PNGs), so any
browser prints it the way the consultant sees it. The studio asks a headless
Chromium to do that (``--print-to-pdf``) when one is on the machine (Debian's
``chromium``, or the program named by ``CRM_WORKBENCH_CHROMIUM``); without
one, the HTML report is the hand-over and prints to PDF from any browser.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PdfUnavailable", "find_browser", "print_pdf"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(RuntimeError):
    """No PDF could be made (no Chromium here, or it failed); the message says why in one line."""


def find_browser() -> str | None:
    """The Chromium to print with: ``CRM_WORKBENCH_CHROMIUM`` if set, else the first on PATH."""
    named = os.environ.get("CRM_WORKBENCH_CHROMIUM")
    if named:
        return shutil.which(named)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(
    html_path: str | os.PathLike,
    pdf_path: str | os.PathLike,
    browser: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Print the HTML file ``html_path`` to ``pdf_path`` with a headless Chromium.

    The PDF is written under a temporary name and renamed, so a failed or
    interrupted print leaves any earlier PDF as it was. The browser gets a
    profile folder of its own (a running browser of the user is not
    disturbed) and is killed with everything it started if it runs past
    ``timeout`` seconds.

    Raises
    ------
    PdfUnavailable
        When no Chromium is found or the print fails.
    """
    browser = browser or find_browser()
    if browser is None:
        raise PdfUnavailable(
            "PDF needs Chromium (apt-get install chromium, or set CRM_WORKBENCH_CHROMIUM); "
            "the HTML report prints to PDF from any browser"
        )
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp-{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory(prefix="crm-pdf-") as profile:
            cmd = [
                browser,
                "--headless",
                "--disable-gpu",
                "--no-first-run",
                "--no-pdf-header-footer",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                html_path.as_uri(),
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise PdfUnavailable(f"PDF: Chromium did not finish within {timeout:g} s") from None
        if proc.returncode != 0 or not tmp.exists() or tmp.read_bytes()[:5] != b"%PDF-":
            last = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise PdfUnavailable(f"PDF: Chromium failed (exit {proc.returncode}): {last[0][:200]}")
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
