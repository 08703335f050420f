"""``python -m sim.course``: build exercise sheets, grade submissions, print a student's seed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from .exercises import EXERCISES_DIR, SOLUTIONS_DIR

    parser = argparse.ArgumentParser(prog="python -m sim.course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build-exercises", help="generate exercises/ from solutions/")
    build.add_argument("--check", action="store_true", help="only report out-of-sync sheets")
    build.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
    build.add_argument("--exercises", type=Path, default=EXERCISES_DIR)

    grade = sub.add_parser("grade", help="execute submissions and write a gradebook CSV")
    grade.add_argument("submissions", type=Path, help="folder with one sub-folder per student")
    grade.add_argument("--out", type=Path, required=True, help="gradebook CSV to write")
    grade.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
    grade.add_argument("--cwd", type=Path, default=EXERCISES_DIR, help="working directory")
    grade.add_argument("--timeout", type=float, default=120, help="seconds per cell")
    grade.add_argument("--kernel", default="crm-workbench")

    seed = sub.add_parser("student-seed", help="print the dataset seed of a student id")
    seed.add_argument("student_id")
    seed.add_argument("--course", default="", help="optional course label mixed into the seed")

    args = parser.parse_args(argv)
    if args.command == "build-exercises":
        from .exercises import build_all

        problems = build_all(args.solutions, args.exercises, check=args.check)
        for problem in problems:
            print(problem, file=sys.stderr)
        if args.check and not problems:
            print("exercises/ is in sync with solutions/")
        return 1 if problems else 0
    if args.command == "grade":
        from .grader import grade as run_grade

        rows = run_grade(
            args.submissions,
            args.out,
            solutions_dir=args.solutions,
            cwd=args.cwd,
            timeout=args.timeout,
            kernel_name=args.kernel,
        )
        totals = [r for r in rows if r.question == "TOTAL"]
        for r in totals:
            print(f"{r.student:20} {r.sheet:30} {r.points:g}/{r.max_points:g} {r.status}")
        print(f"gradebook: {args.out}")
        return 0
    from .students import student_seed

    print(student_seed(args.student_id, course=args.course))
    return 0


if __name__ == "__main__":
    sys.exit(main())
