"""Command line: simulate a brand, inspect scenarios, verify and regenerate datasets.

Usage (``python -m sim ...`` or the ``crm-sim`` console script)::

    python -m sim simulate --scenario default --customers 5000 --years 2 --seed 3 --out data/mine
    python -m sim simulate --customers 1000000 --workers 2 --out data/big
    python -m sim simulate --scheduler tcp://10.0.0.5:8786 --out data/big
    python -m sim presets
    python -m sim scenario show mass_market
    python -m sim verify datasets/default
    python -m sim regenerate datasets/default
    python -m sim sweep sweep.yaml --out sweeps/mine
    python -m sim studio --port 8866 --no-browser
    python -m sim schema --update datasets/README.md

Bad input (unknown preset, unreadable scenario file, out-of-range value, a
broken dataset, an output folder that cannot or may not be written) exits with
status 2 and a one-line message on stderr, without a traceback; ``verify``
exits with status 1 when a dataset does not reproduce. Problems with the output
folder are found before the simulation starts, and the folder stays locked
against other runs until the dataset is in place. Ctrl-C and SIGTERM stop a run
with status 130 / 143 and a message that says whether the dataset was written.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim.data.schema import SchemaError
from sim.scenario import ScenarioError

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2


class _BadInput(Exception):
    """Raised instead of argparse's print-usage-and-exit, so main() prints one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _BadInput(f"{self.prog}: {message}")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a whole number >= 0")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a whole number >= 1")
    return value


def _dask_client(address: str):
    """A client of the Dask scheduler at ``address``, or a one-line error before any work."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise _BadInput("--scheduler needs the 'distributed' package") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise _BadInput(
            f"--scheduler {address}: cannot reach a Dask scheduler there ({err}); "
            "give its address as tcp://host:port"
        ) from None


def _prog() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m sim" if name in ("", "__main__.py", "-c") else name


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sim`` (exposed for docs and tests)."""
    parser = _Parser(
        prog=_prog(), description="Simulate the CRM Workbench brand and manage datasets."
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    p = sub.add_parser("simulate", help="simulate a brand and save the dataset")
    p.add_argument(
        "--scenario",
        default="default",
        metavar="NAME_OR_FILE",
        help="preset name or YAML/JSON file of overrides (default: default)",
    )
    p.add_argument(
        "--customers", type=int, metavar="N", help="number of customers (overrides the scenario)"
    )
    p.add_argument(
        "--years", type=float, metavar="Y", help="simulated years (overrides the scenario)"
    )
    p.add_argument(
        "--seed", type=_non_negative_int, default=0, metavar="S", help="random seed (default: 0)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    p.add_argument(
        "--csv", action="store_true", help="also export every table to DIR/csv/<table>.csv"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing dataset folder (only the files its manifest lists)",
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="local worker processes running the market shards (default: this machine's cores)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="run the shards on the Dask cluster at ADDR (e.g. tcp://host:8786) instead",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")

    p = sub.add_parser("scenario", help="inspect scenarios")
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    show = ssub.add_parser("show", help="print a scenario (preset or file) as YAML, all parameters")
    show.add_argument("source", metavar="NAME_OR_FILE")

    sub.add_parser("presets", help="list the preset scenarios")

    p = sub.add_parser(
        "verify", help="check a dataset's files and that it re-simulates identically"
    )
    p.add_argument("path", metavar="DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("regenerate", help="re-simulate a dataset from its manifest, in place")
    p.add_argument("path", metavar="DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")

    from sim.course.classroom import register_lab

    register_lab(sub)  # `lab`: the course without make (see sim.course.classroom.lab)

    from sim.studio.sweep_cli import register_sweep

    register_sweep(sub)  # `sweep`: variants x seeds with intervals (see sim.studio.sweep)

    from sim.studio.app import register_studio

    register_studio(sub)  # `studio`: the what-if studio in the browser (see sim.studio.app)

    p = sub.add_parser("schema", help="print the data dictionary as Markdown")
    p.add_argument(
        "--update",
        metavar="FILE",
        help="rewrite the part of FILE between the schema markers instead",
    )
    return parser


# --------------------------------------------------------------------------- commands
def _summary(ds, path: Path, seconds: float, source: str) -> None:
    """Rows per table and a closing line; ``ds`` a Dataset, or ``(rows by table, seed)``."""
    if isinstance(ds, tuple):
        import pandas as pd

        table_rows, seed = ds
        rows = pd.Series(table_rows, dtype="int64")
    else:
        rows, seed = ds.summary()["rows"], ds.seed
    width = max(map(len, rows.index))
    for table, n in rows.items():
        print(f"  {table:<{width}}  {n:>12,}")
    print(
        f"wrote {path}: {len(rows)} tables, {int(rows.sum()):,} rows in {seconds:.1f} s "
        f"(scenario: {source}, seed {seed})"
    )


def _cmd_simulate(args: argparse.Namespace) -> int:
    from sim import compose
    from sim.data.dataset import InterruptedAfterSave, writing
    from sim.scenario import resolve_scenario

    # Which one was used goes in the summary: a preset and a file can share a name.
    scenario, source = resolve_scenario(args.scenario)
    population = {}
    if args.customers is not None:
        population["customers"] = args.customers
    if args.years is not None:
        population["years"] = args.years
    if population:
        scenario = scenario.with_overrides({"population": population})
    out = Path(args.out)
    start = time.perf_counter()
    target = None
    try:
        # Every problem with --out is reported before a long simulation, and
        # the lock keeps a second run off this folder until the swap.
        with writing(out, overwrite=args.force) as target:
            client = _dask_client(args.scheduler) if args.scheduler else None
            run = {
                "progress": not args.quiet,
                "workers": args.workers or compose._default_workers(),
                "client": client,
            }
            try:
                if args.csv:
                    # The CSV export needs whole tables: simulated in memory.
                    ds = compose.simulate(scenario, args.seed, **run)
                    ds.save(out, overwrite=args.force, csv=True)
                else:
                    # Streamed: each shard's parts go to the output's temporary folder.
                    rows = compose.simulate_to(
                        out, scenario, args.seed, overwrite=args.force, **run
                    )
                    ds = (rows, args.seed)
            finally:
                if client is not None:
                    client.close()
        if not args.quiet:
            _summary(ds, out, time.perf_counter() - start, source)
    except KeyboardInterrupt as err:
        if target is not None and target.written and not isinstance(err, InterruptedAfterSave):
            raise InterruptedAfterSave(out) from err
        raise
    return EXIT_OK


def _cmd_scenario(args: argparse.Namespace) -> int:
    import yaml

    from sim.scenario import FIELD_CHANGES, load_scenario

    scenario = load_scenario(args.source)
    print(yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True), end="")
    # What changed with the relationship-state brand, as YAML comments (the
    # output still loads as a scenario file).
    print("# Fields new, renamed or with a new meaning in this version:")
    for name, change, meaning in FIELD_CHANGES:
        print(f"#   {name} ({change}): {meaning}")
    return EXIT_OK


def _cmd_presets(args: argparse.Namespace) -> int:
    from sim.scenario import preset, preset_names

    for name in preset_names():
        pop = preset(name).population
        print(f"{name:<14} {pop.customers:>9,} customers over {pop.years:g} years")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from sim.compose import regenerate_and_compare

    mismatches = regenerate_and_compare(args.path, progress=not args.quiet)
    if mismatches:
        for table, (recorded, fresh) in mismatches.items():
            print(f"MISMATCH {table}: recorded {recorded[:12]}…, re-simulated {fresh[:12]}…")
        print(
            f"{args.path}: {len(mismatches)} table(s) differ from a fresh simulation",
            file=sys.stderr,
        )
        return EXIT_MISMATCH
    print(f"{args.path}: OK — files match the manifest and the simulation reproduces every table")
    return EXIT_OK


def _cmd_regenerate(args: argparse.Namespace) -> int:
    from sim.compose import regenerate
    from sim.data.dataset import InterruptedAfterSave

    start = time.perf_counter()
    ds = regenerate(args.path, progress=not args.quiet)
    try:
        if not args.quiet:
            _summary(ds, Path(args.path), time.perf_counter() - start, f"manifest of {args.path}")
    except KeyboardInterrupt as err:  # regenerate() returned: the dataset is in place
        raise InterruptedAfterSave(args.path) from err
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from sim.data.schema_docs import schema_markdown, update_schema_doc

    if args.update:
        changed = update_schema_doc(args.update)
        print(f"{args.update}: {'updated' if changed else 'already up to date'}")
    else:
        print(schema_markdown(), end="")
    return EXIT_OK


def _cmd_lab(args: argparse.Namespace) -> int:
    return args.func(args)


_COMMANDS = {
    "simulate": _cmd_simulate,
    "scenario": _cmd_scenario,
    "presets": _cmd_presets,
    "verify": _cmd_verify,
    "regenerate": _cmd_regenerate,
    "schema": _cmd_schema,
    "lab": _cmd_lab,
    "sweep": _cmd_lab,  # both dispatch to the function their register_* set
    "studio": _cmd_lab,
}


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


@contextlib.contextmanager
def _stop_signals(received: list[int]) -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so a terminated run cleans up like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {_one_line(Warning(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 verify mismatch, 2 bad input)."""
    from sim.data.dataset import DatasetError, InterruptedAfterSave

    received: list[int] = []
    with warnings.catch_warnings(), _stop_signals(received):
        warnings.showwarning = _warn_one_line
        try:
            args = build_parser().parse_args(argv)
            return _COMMANDS[args.command](args)
        except SystemExit as stop:  # --help / --version
            return stop.code if isinstance(stop.code, int) else EXIT_OK
        except (_BadInput, ScenarioError, SchemaError, DatasetError) as err:
            # Expected, user-fixable problems: one line, no traceback.
            print(f"error: {_one_line(err)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except OSError as err:
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            print(f"error: {err.strerror or _one_line(err)}{where}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt as err:
            # Say what is on disk: the swap is atomic, so it is one or the other.
            if isinstance(err, InterruptedAfterSave):
                print(
                    f"interrupted: {err.path} had already been written completely", file=sys.stderr
                )
            else:
                print("interrupted: nothing was written", file=sys.stderr)
            return 128 + (received[0] if received else signal.SIGINT)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
