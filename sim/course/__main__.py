"""``python -m sim.course``: build exercise sheets, grade submissions, show a key, print a seed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from .exercises import EXERCISES_DIR, SOLUTIONS_DIR

    parser = argparse.ArgumentParser(prog="python -m sim.course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    from .exports import register as register_export

    register_export(sub)
    from .classroom import register as register_classroom
    from .site import register as register_site

    register_classroom(sub)
    register_site(sub)

    build = sub.add_parser("build-exercises", help="generate exercises/ from solutions/")
    build.add_argument("--check", action="store_true", help="only report out-of-sync sheets")
    build.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
    build.add_argument("--exercises", type=Path, default=EXERCISES_DIR)

    grade = sub.add_parser(
        "grade",
        help="execute submissions, write gradebook CSVs (long and wide) and feedback pages",
    )
    grade.add_argument("submissions", type=Path, help="folder with one sub-folder per student")
    grade.add_argument("--out", type=Path, required=True, help="gradebook CSV to write")
    grade.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
    grade.add_argument("--cwd", type=Path, default=EXERCISES_DIR, help="working directory")
    grade.add_argument("--timeout", type=float, default=120, help="seconds per cell")
    grade.add_argument(
        "--notebook-timeout", type=float, default=600, help="seconds per notebook (0: no limit)"
    )
    grade.add_argument("--workers", type=int, default=2, help="parallel worker processes")
    grade.add_argument("--kernel", default="crm-workbench")
    grade.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="grade submissions made with another package version instead of refusing them",
    )
    grade.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback pages")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")

    key = sub.add_parser("answer-key", help="print a sheet's expected answers for one student")
    key.add_argument("sheet", help="e.g. 05_clv")
    key.add_argument("--student", default="", help="student id (empty: the class dataset)")
    key.add_argument("--solutions", type=Path, default=None)

    seed = sub.add_parser("student-seed", help="print the dataset seed of a student id")
    seed.add_argument("student_id")
    seed.add_argument("--course", default="", help="optional course label mixed into the seed")

    args = parser.parse_args(argv)
    if hasattr(args, "func"):
        return args.func(args)
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
            notebook_timeout=args.notebook_timeout or None,
            kernel_name=args.kernel,
            workers=args.workers,
            allow_mismatch=args.allow_mismatch,
            progress=not args.no_progress,
            feedback=not args.no_feedback,
        )
        totals = [r for r in rows if r.question == "TOTAL"]
        for r in totals:
            print(f"{r.student:20} {r.sheet:30} {r.points:g}/{r.max_points:g} {r.status}")
        out = args.out
        print(f"gradebook: {out} (wide: {out.with_name(out.stem + '_wide.csv')})")
        if not args.no_feedback:
            print(f"feedback pages: {out.parent / 'feedback'}")
        return 0
    if args.command == "answer-key":
        from .answer_key import compute_key

        answer_key = compute_key(
            args.sheet, {"student_id": args.student}, solutions_dir=args.solutions
        )
        print(f"{answer_key.sheet}, seed {answer_key.parameters.get('seed')}:")
        for question, q in answer_key.items():
            value = f"error: {q.error}" if q.error else q.expected_value()
            print(f"{question} ({q.points:g} points): {value}")
        return 0
    from .students import student_seed

    print(student_seed(args.student_id, course=args.course))
    return 0


if __name__ == "__main__":
    sys.exit(main())
