"""The `course` command: run, build, check (and grade, where present)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .notebooks import NotebookError


def _chapters(value: str | None) -> set[str] | None:
    if not value:
        return None
    chapters = {v.strip().zfill(2) for v in value.split(",") if v.strip()}
    bad = [c for c in chapters if not c.isdigit()]
    if bad:
        raise argparse.ArgumentTypeError(f"--only takes chapter numbers like 01,03; got {bad}")
    return chapters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description="From Hopfield networks to attention")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the course's notebooks with papermill into build/")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=True, help="small experiments (default)")
    mode.add_argument("--full", dest="fast", action="store_false", help="the full-size experiments")
    run.add_argument("--only", type=_chapters, help="comma-separated chapters, e.g. 01,03")
    run.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell before it is stopped")
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    run.add_argument("--out", type=Path, default=None, help="output folder (default build/)")
    run.add_argument("notebooks", nargs="*", type=Path, help="run these notebooks instead of the course")

    build = sub.add_parser("build", help="write exercises/ from solutions/")
    build.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale, write nothing")

    check = sub.add_parser("check", help="run a learner's notebook and report each exercise")
    from course_lib.checking import add_arguments as add_check_arguments

    add_check_arguments(check)

    grade = sub.add_parser("grade", help="grade a folder of submitted notebooks of one chapter")
    grade.add_argument("chapter", help="chapter number, e.g. 02")
    grade.add_argument("submissions", type=Path, help="folder of submitted .ipynb files, one per student")
    grade.add_argument("--out", type=Path, required=True,
                       help="folder for gradebook.csv, roster.csv, results.json(l), feedback/")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    grade.add_argument("--timeout-cell", type=float, default=60, help="seconds per cell and per graded call")
    grade.add_argument("--timeout-total", type=float, default=600, help="seconds per submission, all included")
    grade.add_argument("--memory-mb", type=int, default=6144, help="memory cap of each sandbox (MB)")
    grade.add_argument("--output-kb", type=int, default=512, help="output cap per cell (KB)")
    grade.add_argument("--scheduler", default=None, help="address of a Dask distributed scheduler")
    grade.add_argument("--no-progress", action="store_true")

    release = sub.add_parser("release", help="write the student-facing course (no solutions, no course_tools)")
    release.add_argument("out", type=Path, help="new folder to write")
    release.add_argument("--git", action="store_true", help="make it a git repository with one commit")

    args = parser.parse_args(argv)
    if args.command == "grade":
        from .grading.engine import Settings, chapter_from_arg, grade_class
        from .grading.reports import summary

        if args.jobs < 1:
            parser.error(f"--jobs must be at least 1, got {args.jobs}")
        if args.out.exists() and not args.out.is_dir():
            parser.error(f"--out {args.out} is a file; give a folder")
        try:
            settings = Settings(timeout_cell=args.timeout_cell, timeout_total=args.timeout_total,
                                memory_mb=args.memory_mb, output_kb=args.output_kb)
        except ValueError as err:
            parser.error(str(err))
        try:
            results = grade_class(chapter_from_arg(args.chapter), args.submissions, args.out, jobs=args.jobs,
                                  settings=settings, scheduler=args.scheduler, progress=not args.no_progress)
        except NotebookError as err:
            print(f"course grade: {err}", file=sys.stderr)
            return 2
        print(summary(results))
        print(f"wrote {args.out}/gradebook.csv, roster.csv, results.json, results.jsonl and feedback/")
        return 0
    if args.command == "release":
        from .release import release

        try:
            written = release(args.out, git=args.git)
        except (NotebookError, FileExistsError) as err:
            print(f"course release: {err}", file=sys.stderr)
            return 2
        print(f"wrote the student-facing course to {written}")
        return 0
    if args.command == "run":
        from .notebooks import ROOT
        from .run import run_course

        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        results = run_course(fast=args.fast, only=args.only, jobs=args.jobs, seed=args.seed,
                             cell_timeout=args.cell_timeout, html=not args.no_html,
                             out_dir=args.out or ROOT / "build",
                             notebooks=[p.resolve() for p in args.notebooks] or None)
        if any(not r.ok for r in results):
            return 1
        from .site import write_site

        index = write_site(results, args.out or ROOT / "build", fast=args.fast)
        print(f"\nCourse site: {index}")
        return 0
    if args.command == "build":
        from .build import build as build_exercises

        try:
            changed = build_exercises(check=args.check)
        except NotebookError as err:
            print(f"course build: {err}", file=sys.stderr)
            return 2
        if args.check:
            if changed:
                print("exercises/ is stale; run `course build` (or `make exercises`):\n  " + "\n  ".join(changed),
                      file=sys.stderr)
                return 1
            print("exercises/ is up to date")
            return 0
        print("wrote " + (", ".join(changed) if changed else "nothing (already up to date)"))
        return 0
    if args.command == "check":
        from course_lib.checking import run as run_check

        return run_check(args)
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
