"""Run every benchmark script in this folder (bench_*.py) and print its figures."""

import runpy
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parents[1]))
sys.path.insert(0, str(here))  # shared helpers of the benchmarks (_timing)


def main() -> None:
    only = sys.argv[1:]
    for script in sorted(here.glob("bench_*.py")):
        if only and not any(name in script.stem for name in only):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        runpy.run_path(str(script), run_name="__main__")


# Guarded: worker processes started with "spawn" (the sweep's) import this file again as
# their __main__ and must not rerun the benchmarks there.
if __name__ == "__main__":
    main()
