"""JupyterLab for the course: the course kernel, quiet settings, and the welcome notebook first.

``make lab`` runs ``python -m sim.course.lab``, which

1. registers the ``crm-workbench`` Jupyter kernel in this environment if it is
   missing (the committed notebooks name it in their metadata);
2. writes JupyterLab settings defaults for the workbench (no news pop-up, no
   update check) to a file of its own, ``overrides.d/crm-workbench.json`` in
   JupyterLab's application settings folder, so the user's ``overrides.json``
   is never touched;
3. starts JupyterLab on the notebooks folder, opening ``00_welcome.ipynb``
   (not the Launcher) and using the course kernel for new notebooks.

Arguments it does not know go to ``jupyter lab`` unchanged::

    python -m sim.course.lab --port=8890 --no-browser
    python -m sim.course.lab --setup-only     # steps 1 and 2, then exit (make's install step)

The test suite's notebook runs call :func:`ensure_kernel` too, so
``python -m pytest`` works without ``make`` having run first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "KERNEL_DISPLAY_NAME",
    "KERNEL_NAME",
    "SETTINGS",
    "WELCOME",
    "LabSetupError",
    "ensure_kernel",
    "find_kernel",
    "lab_command",
    "main",
    "settings_dir",
    "write_settings",
]

KERNEL_NAME = "crm-workbench"
KERNEL_DISPLAY_NAME = "CRM Workbench (Python 3)"
WELCOME = "00_welcome.ipynb"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SETTINGS_FILE = "crm-workbench.json"

# JupyterLab 4 plugin settings (schemas in share/jupyter/lab/schemas/): fetchNews is
# the string "true" / "false" / "none" ("none" asks with a pop-up); checkForUpdates
# is a boolean that only matters when news are fetched, set off for clarity.
SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class LabSetupError(RuntimeError):
    """The course kernel or the settings could not be set up; the message says what to run."""


def _install_hint(name: str, display_name: str) -> str:
    return (
        f"{sys.executable} -m ipykernel install --sys-prefix --name {name} "
        f'--display-name "{display_name}" (or `make test`, which does it)'
    )


def find_kernel(name: str = KERNEL_NAME, kernel_dirs: Sequence[Path] | None = None) -> Path | None:
    """The folder of the kernel spec called ``name`` that Jupyter would use, or ``None``.

    ``kernel_dirs`` replaces Jupyter's search path (user, environment and
    system folders), for tests.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    if kernel_dirs is not None:
        manager.kernel_dirs = [str(d) for d in kernel_dirs]
    found = manager.find_kernel_specs().get(name)
    return Path(found) if found else None


def _stale(spec_dir: Path) -> str | None:
    """Why a found kernel spec cannot start (its interpreter is gone), or ``None``."""
    try:
        argv = json.loads((spec_dir / "kernel.json").read_text())["argv"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{spec_dir / 'kernel.json'} is unreadable ({err})"
    exe = argv[0] if argv else ""
    if os.path.isabs(exe) and not os.access(exe, os.X_OK):
        return f"{spec_dir / 'kernel.json'} starts {exe}, which does not exist"
    return None


def ensure_kernel(
    name: str = KERNEL_NAME,
    display_name: str = KERNEL_DISPLAY_NAME,
    *,
    prefix: Path | str | None = None,
    kernel_dirs: Sequence[Path] | None = None,
    force: bool = False,
) -> Path:
    """The course kernel's spec folder, registering it into this environment if it is missing.

    Registration is what the Makefile's install step does:
    ``python -m ipykernel install --sys-prefix --name crm-workbench`` with
    this interpreter, so the kernel runs the same environment as the caller.

    Parameters
    ----------
    name, display_name
        The kernel spec's name (what notebooks' metadata name) and its label.
    prefix
        Environment to register into (default ``sys.prefix``, i.e. ``--sys-prefix``).
    kernel_dirs
        Where to look for it (default: Jupyter's search path); for tests.
    force
        Register again even if a spec is found (refreshes its interpreter path).

    Raises
    ------
    LabSetupError
        One line: why the kernel is unusable and the command that registers it.
    """
    found = None if force else find_kernel(name, kernel_dirs)
    if found is not None:
        problem = _stale(found)
        if problem is None:
            return found
        raise LabSetupError(
            f"Jupyter kernel {name!r} is unusable: {problem}; register it again with "
            f"{_install_hint(name, display_name)}"
        )
    cmd = [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix or sys.prefix)]
    cmd += ["--name", name, "--display-name", display_name]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = find_kernel(name, kernel_dirs)
    if proc.returncode != 0 or found is None:
        why = (proc.stderr or proc.stdout).strip().splitlines()
        reason = why[-1] if why else f"ipykernel install exited with {proc.returncode}"
        if proc.returncode == 0:
            reason = f"installed into {prefix or sys.prefix}, but Jupyter does not find it there"
        raise LabSetupError(
            f"Jupyter kernel {name!r} is not registered and registering it failed ({reason}); "
            f"run {_install_hint(name, display_name)}"
        )
    return found


def settings_dir() -> Path:
    """JupyterLab's application settings folder for this environment (``<app dir>/settings``)."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings"


def write_settings(directory: Path | None = None) -> Path:
    """Write the workbench's JupyterLab settings defaults; return the file written.

    The file is ``overrides.d/crm-workbench.json`` under ``directory`` (default
    :func:`settings_dir`): JupyterLab merges every file there into the plugins'
    defaults, and a user's own ``overrides.json`` and settings still win. The
    file is rewritten only when its content differs, atomically.
    """
    target = (directory or settings_dir()) / "overrides.d" / SETTINGS_FILE
    text = json.dumps(SETTINGS, indent=2, sort_keys=True) + "\n"
    try:
        if target.exists() and target.read_text() == text:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(target)
    except OSError as err:
        raise LabSetupError(f"cannot write JupyterLab settings to {target}: {err}") from None
    return target


def lab_command(
    extra: Sequence[str] = (), *, root: Path | None = None, python: str | None = None
) -> list[str]:
    """The ``jupyter lab`` command line ``make lab`` runs (``extra`` appended, so it wins)."""
    cmd = [python or sys.executable, "-m", "jupyter", "lab"]
    cmd += [
        f"--ServerApp.root_dir={root or default_root()}",
        # `/` (and the browser tab opened at start) go straight to the welcome notebook.
        f"--LabApp.default_url=/lab/tree/{WELCOME}",
        f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}",
        # The server side of the news / update pop-ups, off even if a user's settings ask.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses by default
    return cmd + list(extra)


def default_root() -> Path:
    """The folder JupyterLab serves: the repository's notebooks/, else the current folder."""
    return NOTEBOOKS if (NOTEBOOKS / WELCOME).exists() else Path.cwd()


def main(argv: Sequence[str] | None = None) -> int:
    """Set up the kernel and settings, then replace this process with JupyterLab."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.course.lab",
        description="Start JupyterLab for the course (other arguments go to `jupyter lab`).",
        allow_abbrev=False,  # so `jupyter lab` options are never taken for abbreviations of ours
    )
    parser.add_argument("--setup-only", action="store_true", help="set up, do not start")
    parser.add_argument("--root", type=Path, help="folder to serve (default: notebooks/)")
    args, extra = parser.parse_known_args(argv)
    try:
        ensure_kernel(force=args.setup_only)
    except LabSetupError as err:
        print(f"sim.course.lab: {err}", file=sys.stderr)
        return 1
    try:
        write_settings()
    except LabSetupError as err:
        print(f"sim.course.lab: {err}", file=sys.stderr)
        if args.setup_only:
            return 1
        # Settings are comfort, not function: start anyway (with JupyterLab's pop-ups).
    if args.setup_only:
        return 0
    cmd = lab_command(extra, root=args.root)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":  # let Ctrl-C and signals reach JupyterLab directly
        os.execv(cmd[0], cmd)
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
