"""Execution time of every course notebook at its defaults (papermill, in-process, headless).

Each notebook runs with notebooks/ as working directory and ``INTERACTIVE=False``,
as in CI; the first run also pays the kernel's start-up.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "crm-workbench"


def main() -> None:
    total = 0.0
    print(f"{'notebook':<40} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("notebooks", "solutions"):
            for nb in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
                # Headless, like CI, where the notebook has explorers to switch off.
                params = {"INTERACTIVE": False} if "INTERACTIVE" in nb.read_text() else {}
                started = time.perf_counter()
                papermill.execute_notebook(
                    str(nb),
                    str(Path(tmp) / nb.name),
                    parameters=params,
                    kernel_name=KERNEL,
                    cwd=str(nb.parent),
                    progress_bar=False,
                    execution_timeout=300,
                )
                took = time.perf_counter() - started
                total += took
                print(f"{folder + '/' + nb.stem:<40} {took:>8.1f}", flush=True)
    print(f"{'total':<40} {total:>8.1f}")


if __name__ == "__main__":
    main()
