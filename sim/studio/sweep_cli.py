"""``python -m sim sweep``: run, resume or inspect a sweep from the command line.

Usage::

    python -m sim sweep SPEC.yaml --out sweeps/retention              # every core
    python -m sim sweep SPEC.yaml --out sweeps/retention --workers 2
    python -m sim sweep SPEC.yaml --out sweeps/retention --scheduler tcp://10.0.0.5:8786
    python -m sim sweep --out sweeps/retention --status               # runs nothing

Running the same command again resumes an interrupted sweep (finished tasks
are kept, never recomputed). The exit status is 0 when every task finished,
1 when some kept failing (listed in ``DIR/failures.json``), 2 for bad input
(a SPEC error, a folder holding another sweep, an unreachable scheduler)
and 130 when interrupted.
"""

from __future__ import annotations

import argparse
import math
import sys

__all__ = ["register_sweep"]


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a whole number >= 1")
    return value


def register_sweep(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sweep`` to a subparsers object, e.g. ``python -m sim``'s."""
    p = subparsers.add_parser(
        "sweep", help="run or resume a sweep of variants x seeds (see sim.studio.sweep_spec)"
    )
    p.add_argument("spec", nargs="?", metavar="SPEC.yaml", help="the sweep SPEC (YAML or JSON)")
    p.add_argument("--out", required=True, metavar="DIR", help="the sweep folder")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=_workers, metavar="N", help="local worker processes (default: all cores)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDR", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    p.add_argument(
        "--retries", type=int, default=2, metavar="R", help="retries of a failing task (default 2)"
    )
    p.add_argument(
        "--status", action="store_true", help="report the folder's progress, run nothing"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.set_defaults(func=_cmd_sweep)


def _print_status(s: dict) -> None:
    state = "running now" if s.get("running") else "not running"
    print(
        f"{s['out']}: {s['done']}/{s['total']} tasks done, {s['failed']} failed, "
        f"{s['pending']} pending ({state})"
    )


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.4g}" if abs(x) < 100 else f"{x:,.0f}"


def _print_summary(summary, kpis) -> None:
    shown = [k for k in ("profit", "revenue", "customers") if k in kpis] or list(kpis[:3])
    for kpi in shown:
        print(f"{kpi}:")
        for r in summary[summary["kpi"] == kpi].itertuples():
            line = f"  {r.variant:<28} {_fmt(r.mean):>14} ± {_fmt(r.ci_high - r.mean)}"
            if r.variant != "baseline" and r.n_paired:
                noise = "  within noise" if r.within_noise else ""
                line += f"   diff {_fmt(r.diff)} [{_fmt(r.diff_low)}, {_fmt(r.diff_high)}]{noise}"
            print(line)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sim.studio.sweep import SweepError, load_spec, run_sweep, status

    out = Path(args.out)
    if args.status:
        _print_status(status(out, spec=args.spec))
        return 0
    if args.spec is None:
        raise SweepError("sweep: give the SPEC file to run (or --status to inspect a folder)")
    if args.retries < 0:
        raise SweepError(f"--retries = {args.retries} is not allowed: expected a whole number >= 0")
    spec = load_spec(args.spec)
    try:
        result = run_sweep(
            spec,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.quiet,
            retries=args.retries,
        )
    except KeyboardInterrupt:
        s = status(out)
        print(
            f"interrupted: {s['done']}/{s['total']} tasks are done and kept in {out}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    if not args.quiet:
        _print_summary(result.summary, spec.kpis)
        print(f"wrote {out / 'summary.csv'}" + (
            f" and {out / 'sensitivity.csv'}" if result.sensitivity is not None else ""))  # fmt: skip
    if result.failures:
        for f in result.failures:
            print(f"failed: {f['variant']} seed {f['seed']}: {f['error']}", file=sys.stderr)
        print(
            f"{len(result.failures)} task(s) kept failing: see {out / 'failures.json'}; "
            "rerun to try them again",
            file=sys.stderr,
        )
        return 1
    return 0
