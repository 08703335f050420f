"""Keep the grader's kernels away from the key: a jail where the OS allows it, a tripwire always.

The grade never depends on what a submission computes about the key (the
grader judges recorded answers against its own key, computed after the
kernel has gone), but the grader's machine holds the solutions sheets, so a
submission could *compute* the key there — read ``solutions/`` and run the
key code — and answer with it. Two layers stop that:

1. **A jail** (Linux with unprivileged user namespaces, :func:`isolated_kernel`):
   the kernel starts through ``unshare`` in its own user and mount namespaces
   where the solutions (and every student's executed copies) are covered by
   an empty ``tmpfs`` and the repository and the Python installation are
   mounted read-only; a second, nested user namespace locks those mounts, so
   code in the kernel — ``ctypes`` and C extensions included — can neither
   unmount them nor reach another process's view of the files.
2. **A tripwire** (everywhere, :func:`install`, run as the first cell of
   every submission): a :func:`sys.addaudithook` hook, which Python code
   cannot remove, refusing to open files under the solutions, to write under
   the package or the Python installation, to start processes, or to read
   another process's memory (``/proc/<pid>/mem``). It only sees Python-level
   operations: without the jail, code reaching the OS directly (``ctypes``,
   a C library's own file I/O such as ``pyarrow.input_stream``) gets past it.

Where the jail is unavailable (macOS, Windows, containers without user
namespaces) the grader says so once; for high-stakes grading there, run the
grader's kernels in a container without the solutions.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "LOCKDOWN_TAG",
    "install",
    "isolated_kernel",
    "isolation_available",
    "lockdown_source",
]

#: Tag of the cell the grader prepends to a submission.
LOCKDOWN_TAG = "grader-lockdown"

_PROCESS_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.startfile",
    "pty.spawn",
}
_WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.utime",
    "os.symlink",
    "os.link",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Another process's memory, open files and environment (listing processes stays allowed:
# ipykernel reads /proc/<pid>/stat to find its children at shutdown).
_PROC = re.compile(r"^/proc/(\d+)/(mem|map_files|fd|fdinfo|environ|pagemap|root|cwd)(/|$)")
_installed = False


def _norm(path: Any) -> str | None:
    if isinstance(path, int):
        return None  # an already open descriptor
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    return os.path.normcase(os.path.realpath(path))


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def install(
    deny_read: Iterable[str | os.PathLike] = (),
    deny_write: Iterable[str | os.PathLike] = (),
    *,
    deny_processes: bool = True,
) -> None:
    """Install the audit hook in this process (once; it cannot be removed)."""
    global _installed
    if _installed:
        return
    _installed = True
    read_roots = tuple(p for p in (_norm(r) for r in deny_read) if p)
    write_roots = tuple(p for p in (_norm(r) for r in deny_write) if p) + read_roots
    own_pid = str(os.getpid())
    busy = threading.local()  # realpath() inside the hook must not re-enter it

    def refuse(what: str) -> None:
        raise PermissionError(f"not allowed while grading: {what}")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if getattr(busy, "on", False):
            return
        if deny_processes and event in _PROCESS_EVENTS:
            refuse(f"starting a process ({event})")
        if event != "open" and event not in _WRITE_EVENTS:
            return
        busy.on = True
        try:
            paths = [_norm(a) for a in args[:2] if isinstance(a, str | bytes | os.PathLike)]
            if event == "open":
                mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
                flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
                writing = any(c in mode for c in "wax+") or bool(flags & _WRITE_FLAGS)
                path = paths[0] if paths else None
                if path is None:
                    return
                proc = _PROC.match(path)
                if proc and proc.group(1) != own_pid:
                    refuse(f"reading another process ({path})")
                if _under(path, read_roots) or (writing and _under(path, write_roots)):
                    refuse(f"opening {path}")
            elif any(p and _under(p, write_roots) for p in paths):
                refuse(f"{event} on {paths[0]}")
        finally:
            busy.on = False

    sys.addaudithook(hook)


def lockdown_source(deny_read: Iterable[str], deny_write: Iterable[str]) -> str:
    """The code of the cell the grader prepends to a submission."""
    return (
        "# Added by the grader: see sim/course/lockdown.py.\n"
        "import sim.course.lockdown as _lockdown\n\n"
        f"_lockdown.install({sorted(map(str, deny_read))!r}, {sorted(map(str, deny_write))!r})\n"
        "del _lockdown"
    )


# ---------------------------------------------------------------- the jail (Linux)

_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 32, 4096, 16384


def _mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    enc = [None if x is None else x.encode() for x in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _jail(hide: list[str], read_only: list[str], command: list[str]) -> None:
    """Inside the first namespaces (mapped root): mount, then exec ``command`` one level down."""
    for path in read_only:
        if os.path.isdir(path):
            _mount(path, path, None, _MS_BIND | _MS_REC, None)
            _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None)
    for path in hide:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", 0, "size=4k,mode=000")
    # The nested namespaces are less privileged than the ones that made the mounts,
    # so the kernel finds them locked: no umount, no remount read-write.
    unshare = shutil.which("unshare") or "unshare"
    os.execvp(unshare, [unshare, "--user", "--mount", "--map-current-user", "--", *command])


def _jail_command(
    hide: Iterable[str | os.PathLike], read_only: Iterable[str | os.PathLike]
) -> list[str]:
    spec = json.dumps({"hide": sorted(map(str, hide)), "read_only": sorted(map(str, read_only))})
    unshare = shutil.which("unshare") or "unshare"
    return [
        unshare,
        "--user",
        "--map-root-user",
        "--mount",
        "--",
        sys.executable,
        "-m",
        __name__,
        spec,
    ]


@functools.cache
def isolation_available() -> bool:
    """True if kernels can be jailed here (Linux, ``unshare``, unprivileged user namespaces)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        hidden = Path(tmp) / "hidden"
        hidden.mkdir()
        (hidden / "secret").write_text("x")
        probe = [
            sys.executable,
            "-c",
            f"import os, sys; sys.exit(os.listdir({str(hidden)!r}) != [])",
        ]
        try:
            done = subprocess.run(
                _jail_command([hidden], [tmp]) + probe, capture_output=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


@contextlib.contextmanager
def isolated_kernel(
    kernel_name: str, hide: Iterable[str | os.PathLike], read_only: Iterable[str | os.PathLike]
) -> Iterator[str]:
    """A kernel name to execute with: ``kernel_name`` started inside the jail (or itself).

    Inside the ``with`` block, ``JUPYTER_PATH`` lists a temporary kernelspec
    ``<kernel_name>-jailed`` whose command wraps the original one; without
    :func:`isolation_available`, ``kernel_name`` is yielded unchanged.
    """
    if not isolation_available():
        yield kernel_name
        return
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    name = f"{kernel_name}-jailed"
    with tempfile.TemporaryDirectory(prefix="crm-kernel-") as tmp:
        folder = Path(tmp) / "kernels" / name
        folder.mkdir(parents=True)
        data = spec.to_dict()
        data["argv"] = _jail_command(hide, read_only) + list(spec.argv)
        data["display_name"] = f"{spec.display_name} (grading jail)"
        (folder / "kernel.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join([tmp, *([previous] if previous else [])])
        try:
            yield name
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


if __name__ == "__main__":
    _spec = json.loads(sys.argv[1])
    _jail(_spec["hide"], _spec["read_only"], sys.argv[2:])
