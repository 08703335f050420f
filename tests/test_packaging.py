"""The set-up: pyproject.toml and environment.yml agree, and ``make lab`` lands on the course.

The dependency lists match each other and what sim imports; the course
kernel is found or registered (:func:`sim.course.lab.ensure_kernel`, also used by the
notebook tests' fixture); JupyterLab's settings turn the news pop-up off with
the keys of the installed schema; and, headless, ``python -m sim.course.lab`` (what
``make lab`` runs) sends ``/`` to 00_welcome.ipynb on the course kernel.
"""

import ast
import importlib.metadata
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from sim.course import lab

ROOT = Path(__file__).resolve().parents[1]
# Names that differ between PyPI and conda-forge.
CONDA_NAMES = {"pyyaml": "pyyaml", "faker": "faker", "duckdb": "python-duckdb"}


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    name, version = m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")
    return CONDA_NAMES.get(name, name), version


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        map(
            _norm,
            project["dependencies"]
            + project["optional-dependencies"]["dev"]
            + project["optional-dependencies"]["grading"],
        )
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or item in ("pip",) or item.startswith("python="):
                continue
            name, version = _norm(item)
            listed[name] = version
    assert listed == wanted
    assert "python=3.11" in env["dependencies"]


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S).group(1)
    assert [line.strip() for line in first_block.strip().splitlines()] == ["make lab", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


# ---------------------------------------------------------------- what the package imports


def _third_party_imports() -> dict[str, str]:
    """Top-level third-party modules imported anywhere in sim/ → first file importing each."""
    found: dict[str, str] = {}
    for file in sorted((ROOT / "sim").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "sim" and top not in sys.stdlib_module_names:
                    found.setdefault(top, file.relative_to(ROOT).as_posix())
    return found


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_declared():
    """A module sim imports must be a declared dependency, not a transitive accident."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        _dist_key(re.match(r"[A-Za-z0-9_.\-]+", d).group(0)) for d in project["dependencies"]
    }
    providers = importlib.metadata.packages_distributions()
    undeclared = []
    for module, where in sorted(_third_party_imports().items()):
        dists = {_dist_key(d) for d in providers.get(module, [module])}
        if not dists & declared:
            undeclared.append(f"{module} (imported in {where}; distribution {sorted(dists)})")
    assert not undeclared, f"add to pyproject.toml and environment.yml: {undeclared}"


def test_package_data_patterns_match_files():
    """Every [tool.setuptools.package-data] pattern names files git tracks (none stale)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {})
    package_data = tool.get("setuptools", {}).get("package-data", {})
    stale = [
        f"{package}: {pattern}"
        for package, patterns in package_data.items()
        for pattern in patterns
        if not any((ROOT / package.replace(".", "/")).glob(pattern))
    ]
    assert not stale, f"package-data patterns that match nothing: {stale}"


# ---------------------------------------------------------------- make lab, the course kernel


def test_makefile_keeps_its_targets_and_starts_lab_through_sim_lab():
    text = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split()
    for target in ("lab", "test", "test-fast", "bench", "lint", "format", "datasets"):
        assert target in phony and re.search(rf"^{target}:", text, re.M), target
    assert {"exercises", "clean-venv"} <= set(phony)
    lab = re.search(r"^lab:.*\n((?:\t.*\n)+)", text, re.M).group(1)
    assert "-m sim.course.lab" in lab, "make lab must start JupyterLab through sim.course.lab"
    assert "-m sim.course.lab --setup-only" in text, "the install step registers kernel + settings"


def test_one_kernel_name_everywhere():
    from sim.course import grader

    assert grader.KERNEL_NAME == lab.KERNEL_NAME == "crm-workbench"


def test_ensure_kernel_finds_the_registered_kernel():
    spec_dir = lab.ensure_kernel()  # registers it first if this environment lacks it
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["display_name"] == lab.KERNEL_DISPLAY_NAME
    assert Path(spec["argv"][0]).exists()
    assert lab.find_kernel() == spec_dir


def test_ensure_kernel_registers_a_missing_kernel(tmp_path, monkeypatch):
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    assert lab.find_kernel(kernel_dirs=[kernels]) is None
    spec_dir = lab.ensure_kernel(prefix=tmp_path, kernel_dirs=[kernels])
    assert spec_dir == kernels / lab.KERNEL_NAME
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable  # the kernel runs this environment
    assert spec["display_name"] == lab.KERNEL_DISPLAY_NAME

    def no_install(*args, **kwargs):
        raise AssertionError("a registered kernel is not installed again")

    monkeypatch.setattr(lab.subprocess, "run", no_install)
    assert lab.ensure_kernel(prefix=tmp_path, kernel_dirs=[kernels]) == spec_dir


def test_ensure_kernel_failure_says_what_to_run_in_one_line(tmp_path, monkeypatch):
    def failing_install(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "Traceback ...\nPermissionError: denied\n")

    monkeypatch.setattr(lab.subprocess, "run", failing_install)
    with pytest.raises(lab.LabSetupError) as err:
        lab.ensure_kernel(prefix=tmp_path, kernel_dirs=[tmp_path / "kernels"])
    message = str(err.value)
    assert "\n" not in message
    assert "PermissionError: denied" in message
    assert f"-m ipykernel install --sys-prefix --name {lab.KERNEL_NAME}" in message


def test_ensure_kernel_reports_a_kernel_whose_python_is_gone(tmp_path):
    spec_dir = tmp_path / "kernels" / lab.KERNEL_NAME
    spec_dir.mkdir(parents=True)
    argv = [
        str(tmp_path / "gone" / "python"),
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "old"}))
    with pytest.raises(lab.LabSetupError, match=r"does not exist; register it again with .*"):
        lab.ensure_kernel(kernel_dirs=[tmp_path / "kernels"])


def test_settings_turn_off_the_news_pop_up_with_the_installed_schema_keys(tmp_path):
    path = lab.write_settings(tmp_path)
    assert path == tmp_path / "overrides.d" / "crm-workbench.json"
    assert json.loads(path.read_text()) == {
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        }
    }
    mtime = path.stat().st_mtime_ns
    assert lab.write_settings(tmp_path) == path and path.stat().st_mtime_ns == mtime
    assert not (tmp_path / "overrides.json").exists()  # the user's file stays theirs
    # The keys and values exist in this JupyterLab's own schema for the plugin.
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    for plugin, values in lab.SETTINGS.items():
        package, name = plugin.split(":")
        props = json.loads((schemas / package / f"{name}.json").read_text())["properties"]
        for key, value in values.items():
            allowed = [c["const"] for c in props[key].get("oneOf", [])] or [value]
            assert props[key]["type"] == {str: "string", bool: "boolean"}[type(value)]
            assert value in allowed, (plugin, key)


def test_settings_go_where_jupyterlab_reads_them():
    from jupyterlab.labapp import LabApp

    assert lab.settings_dir() == Path(LabApp().app_settings_dir)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # report 3xx as HTTPError, so the test sees the Location


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_make_lab_opens_the_welcome_notebook_on_the_course_kernel(tmp_path):
    """``python -m sim.course.lab`` (what ``make lab`` runs), headless: where ``/`` lands, settings, kernel.

    Like ``make lab`` it writes the workbench's settings file into this
    environment (idempotent); everything user-level lives in ``tmp_path``.
    """
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    # User-level Jupyter folders in tmp_path: the run sees the environment, not this machine's user.
    for var in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        env[var] = str(tmp_path / var.lower())
    cmd = [sys.executable, "-m", "sim.course.lab", "--no-browser", "--ServerApp.ip=127.0.0.1"]
    cmd += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    cmd += [f"--IdentityProvider.token={token}"]
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"token {token}"}

    def get(path: str, opener: urllib.request.OpenerDirector | None = None):
        opener = opener or urllib.request.build_opener()
        with opener.open(urllib.request.Request(base + path, headers=auth), timeout=10) as r:
            return r.status, r.read().decode()

    log = tmp_path / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (
                f"JupyterLab exited with {proc.returncode}: {log.read_text()}"
            )
            try:
                get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, f"JupyterLab did not start: {log.read_text()}"
                time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            get("/", urllib.request.build_opener(_NoRedirect))
        assert redirect.value.code in (301, 302)
        location = redirect.value.headers["Location"]
        assert location.split("?")[0] == f"/lab/tree/{lab.WELCOME}", location
        status, page = get(f"/lab/tree/{lab.WELCOME}")
        assert status == 200 and '"treePath": "00_welcome.ipynb"' in page
        notebook = json.loads(get(f"/api/contents/{lab.WELCOME}")[1])
        assert notebook["content"]["metadata"]["kernelspec"]["name"] == lab.KERNEL_NAME
        kernels = json.loads(get("/api/kernelspecs")[1])
        assert kernels["default"] == lab.KERNEL_NAME and lab.KERNEL_NAME in kernels["kernelspecs"]
        plugin = "@jupyterlab/apputils-extension:notification"
        schema = json.loads(get(f"/lab/api/settings/{plugin}")[1])["schema"]["properties"]
        assert schema["fetchNews"]["default"] == "false"
        assert schema["checkForUpdates"]["default"] is False
        assert json.loads(get("/lab/api/news")[1])["news"] == []
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
