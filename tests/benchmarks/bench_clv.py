"""CLV fitters: speed and agreement with lifetimes 0.11.3, on CDNOW and 1M synthetic customers.

Run with ``python tests/benchmarks/run.py clv``. For BG/NBD, Pareto/NBD and
Gamma-Gamma it prints our fit time beside lifetimes' on the same data, the
ratio, the log-likelihood difference (both evaluated with our full published
likelihood, so ``+`` means our optimum is higher) and the largest relative
parameter difference.

lifetimes does not support pandas 3, so it runs in a bench-only virtual
environment, ``.bench-venv`` at the repository root (gitignored), built on first
use with ``pip install lifetimes==0.11.3 "pandas<3" "numpy<2.3"``; each of its
fits runs in a subprocess that reads the data from a temporary ``.npz`` file and
prints its timing as JSON. lifetimes is never a runtime dependency. If that
environment cannot be built, our own timings are still printed.

Environment variables: ``CLV_BENCH_N`` (synthetic customers, default 1,000,000),
``CLV_BENCH_LIFETIMES_TIMEOUT`` (seconds per lifetimes fit, default 1800),
``CLV_BENCH_SKIP_LIFETIMES=1`` (our timings only), ``CLV_BENCH_MODELS`` (comma-separated
subset of bgnbd, pareto_nbd, gamma_gamma: lifetimes' Pareto/NBD alone takes ~9 minutes at 1M).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.analytics import clv  # noqa: E402

BENCH_VENV = ROOT / ".bench-venv"
LIFETIMES_PINS = ["lifetimes==0.11.3", "pandas<3", "numpy<2.3"]
N_SYNTH = int(os.environ.get("CLV_BENCH_N", "1000000"))
TIMEOUT = float(os.environ.get("CLV_BENCH_LIFETIMES_TIMEOUT", "1800"))
SKIP_LIFETIMES = os.environ.get("CLV_BENCH_SKIP_LIFETIMES") == "1"
ONLY = [m for m in os.environ.get("CLV_BENCH_MODELS", "").split(",") if m]

# Runs inside .bench-venv: fit one lifetimes model on the .npz data, print JSON.
WORKER = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
data, model = dict(np.load(sys.argv[1])), sys.argv[2]
def fit(rows):
    if model == "gamma_gamma":
        return GammaGammaFitter().fit(data["gg_frequency"][rows], data["gg_monetary"][rows])
    cls = BetaGeoFitter if model == "bgnbd" else ParetoNBDFitter
    return cls().fit(data["frequency"][rows], data["recency"][rows], data["T"][rows])
fit(slice(0, 300))  # warm-up, as for ours: first-call costs are not the fit
start = time.perf_counter()
fitter = fit(slice(None))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in fitter.params_.items()}}))
"""

MODELS = {"bgnbd": clv.BGNBD, "pareto_nbd": clv.ParetoNBD, "gamma_gamma": clv.GammaGamma}


def ensure_bench_venv() -> Path | None:
    """Return the bench venv's python with lifetimes importable, building it if missing."""
    python = BENCH_VENV / "bin" / "python"
    try:
        if not python.exists():
            base = shutil.which("python3") or sys.executable
            print(f"building {BENCH_VENV} (one-off): pip install {' '.join(LIFETIMES_PINS)}")
            subprocess.run([base, "-m", "venv", str(BENCH_VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *LIFETIMES_PINS],
                check=True,
                timeout=900,
            )
        subprocess.run(
            [str(python), "-c", "import lifetimes"], check=True, capture_output=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"lifetimes comparison skipped: could not build or use {BENCH_VENV} ({exc}).")
        print(f"To retry: remove {BENCH_VENV} and check that pip can install {LIFETIMES_PINS}.")
        return None
    return python


def lifetimes_fit(python: Path, npz: Path, model: str) -> dict | str:
    """One lifetimes fit in the bench venv: ``{"seconds", "params"}``, or a reason it failed."""
    try:
        out = subprocess.run(
            [str(python), "-c", WORKER, str(npz), model],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"> {TIMEOUT:.0f} s (timed out)"
    if out.returncode != 0:
        return "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(out.stdout.strip().splitlines()[-1])


def our_fit(model: str, data: dict) -> tuple[float, object]:
    start = time.perf_counter()
    if model == "gamma_gamma":
        fitted = clv.GammaGamma().fit(data["gg_frequency"], data["gg_monetary"])
    else:
        fitted = MODELS[model]().fit(data["frequency"], data["recency"], data["T"])
    return time.perf_counter() - start, fitted


def total_ll(model: str, params: dict, data: dict) -> float:
    """Our full log-likelihood of the data at the given parameters."""
    fitted = MODELS[model].from_params(**params)
    if model == "gamma_gamma":
        return float(
            fitted.customer_log_likelihood(data["gg_frequency"], data["gg_monetary"]).sum()
        )
    return float(
        fitted.customer_log_likelihood(data["frequency"], data["recency"], data["T"]).sum()
    )


def cdnow_data() -> dict:
    s = clv.load_cdnow_summary()
    repeat = s[s["frequency"] > 0]
    return {
        "frequency": s["frequency"].to_numpy(),
        "recency": s["recency"].to_numpy(),
        "T": s["T"].to_numpy(),
        "gg_frequency": repeat["frequency"].to_numpy(),
        "gg_monetary": repeat["monetary"].to_numpy(),
    }


def synthetic_data(n: int, seed: int = 2024) -> dict:
    """BG/NBD + Gamma-Gamma customers at CDNOW-like parameters; whole days, in weeks."""
    rng = np.random.default_rng(seed)
    ages = rng.integers(1, 78 * 7 + 1, n) / 7  # first purchase up to 78 weeks ago
    bg = clv.simulate_bgnbd(ages, r=0.243, alpha=4.414, a=0.793, b=2.426, seed=rng)
    recency = np.round(bg["recency"].to_numpy() * 7) / 7  # last purchase: a calendar day
    frequency = bg["frequency"].to_numpy()
    repeat = frequency > 0
    gg = clv.simulate_gamma_gamma(frequency[repeat], p=6.25, q=3.74, v=15.44, seed=rng)
    return {
        "frequency": frequency,
        "recency": recency,
        "T": ages,
        "gg_frequency": gg["frequency"].to_numpy(),
        "gg_monetary": gg["monetary"].to_numpy(),
    }


def main() -> None:
    python = None if SKIP_LIFETIMES else ensure_bench_venv()
    warm = cdnow_data()
    for model in MODELS:  # warm-up: first-call costs (imports, caches) are not the fit
        our_fit(model, warm)
    datasets = {"CDNOW (2,357)": cdnow_data(), f"synthetic ({N_SYNTH:,})": synthetic_data(N_SYNTH)}
    header = (
        f"{'data':<22}{'model':<12}{'ours s':>9}{'lifetimes s':>13}{'ratio':>8}"
        f"{'LL ours':>16}{'LL diff':>11}{'max rel Δθ':>12}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in datasets.items():
            npz = Path(tmp) / "data.npz"
            np.savez(npz, **data)
            for model in [m for m in MODELS if not ONLY or m in ONLY]:
                seconds, fitted = our_fit(model, data)
                row = f"{label:<22}{model:<12}{seconds:>9.3f}"
                theirs = lifetimes_fit(python, npz, model) if python else "not run"
                if isinstance(theirs, str):
                    print(f"{row}  lifetimes: {theirs}   LL ours {fitted.log_likelihood_:.2f}")
                    continue
                ll_theirs = total_ll(model, theirs["params"], data)
                ours = fitted.params_
                rel = max(abs(ours[k] - v) / abs(v) for k, v in theirs["params"].items())
                print(
                    f"{row}{theirs['seconds']:>13.3f}{theirs['seconds'] / seconds:>7.1f}x"
                    f"{fitted.log_likelihood_:>16.3f}{fitted.log_likelihood_ - ll_theirs:>+11.2e}"
                    f"{rel:>12.1e}",
                    flush=True,
                )
    print("ratio = lifetimes time / our time; LL diff = our LL − LL at lifetimes' parameters.")


if __name__ == "__main__":
    main()
