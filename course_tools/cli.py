"""The `course` command: run, build, start, check, grade.

Every subcommand acts on the course found from the working directory (the nearest folder above it with
pyproject.toml and solutions/) or on ``--root``, never on where this package is installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_lib.learner import (
    LearnerError,
    add_check_arguments,
    add_start_parser,
    at_least,
    run_check,
    run_start,
)

from .notebooks import NotebookError, find_root


def chapter_list(value: str) -> set[str]:
    """``--only 1,03`` -> {'01', '03'}; an empty list is an error, never 'everything'."""
    chapters = {v.strip().zfill(2) for v in value.split(",") if v.strip()}
    if not chapters:
        raise argparse.ArgumentTypeError(f"needs at least one chapter number, like 01 or 01,03 (got {value!r}); "
                                         "leave --only out to run every chapter")
    bad = sorted(c for c in chapters if not c.isdigit() or len(c) != 2)
    if bad:
        raise argparse.ArgumentTypeError(f"takes chapter numbers like 01,03; got {bad}")
    return chapters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description="From Hopfield networks to attention")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the course's notebooks with papermill into build/")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=True, help="small experiments (default)")
    mode.add_argument("--full", dest="fast", action="store_false", help="the full-size experiments")
    run.add_argument("--only", type=chapter_list, help="comma-separated chapters, e.g. 01,03")
    run.add_argument("--jobs", type=at_least(1, "notebooks"), default=1, help="notebooks run in parallel")
    run.add_argument("--seed", type=at_least(0, "seed"), default=0)
    run.add_argument("--cell-timeout", type=at_least(1, "seconds"), default=None,
                     help="seconds per cell before it is stopped (default 300 FAST, 1800 FULL)")
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: the course's build/)")
    run.add_argument("--root", type=Path, default=None, help="the course folder (default: found from here)")
    run.add_argument("notebooks", nargs="*", type=Path, help="run these notebooks instead of the course")
    run.set_defaults(subparser=run)

    site = sub.add_parser("site", help="build the course site (Sphinx) from the executed notebooks into build/site/")
    site.add_argument("--with-solutions", action="store_true", help="add the solved assignments (not for learners)")
    site.add_argument("--out", type=Path, default=None, help="output folder (default build/site/)")
    site.add_argument("--executed", type=Path, default=None,
                      help="executed notebooks written by `course run` (default build/executed/)")
    site.add_argument("--jobs", type=at_least(1, "processes"), default=1, help="Sphinx processes")

    build = sub.add_parser("build", help="write exercises/ from solutions/ (never over a learner's work)")
    build.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale; writes nothing")
    build.add_argument("--force", action="store_true",
                       help="also replace notebooks in exercises/ that hold edits (a backup goes to work/backups/)")
    build.add_argument("--root", type=Path, default=None, help="the course folder (default: found from here)")

    add_start_parser(sub)

    check = sub.add_parser("check", help="run a learner's notebook and report each exercise")
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
    try:
        return _dispatch(parser, args)
    except LearnerError as err:  # no course found, no working copy yet, ...
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 2


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`course run`: arguments checked before anything runs; executed notebooks go to build/executed/."""
    from .run import run_course

    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.notebooks and args.only:
        parser.error("--only picks chapters of the course; it cannot be combined with notebook paths")
    root = None if args.notebooks and args.out and args.root is None else find_root(args.root)
    out = args.out or root / "build"
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out}: exists and is not a folder")
    if args.only:
        from .notebooks import course_notebooks

        have = {p.name[:2] for p in course_notebooks(root)}
        unknown = sorted(args.only - have)
        if unknown:
            parser.error(f"--only: no chapter {', '.join(unknown)} in {root} (chapters: {', '.join(sorted(have))})")
    results = run_course(fast=args.fast, only=args.only, jobs=args.jobs, seed=args.seed,
                         cell_timeout=args.cell_timeout, html=not args.no_html, out_dir=out, root=root,
                         notebooks=[p.resolve() for p in args.notebooks] or None)
    if any(not r.ok for r in results):
        return 1
    print(f"\nExecuted notebooks are under {out / 'executed'}; `course site` (or `make site`) builds the site.")
    return 0


def _build(args: argparse.Namespace) -> int:
    """`course build [--check] [--force]`: 0 done / up to date, 1 stale or refused, 2 a broken solution."""
    from .build import build as build_exercises

    try:
        result = build_exercises(args.root, check=args.check, force=args.force)
    except NotebookError as err:
        print(f"course build: {err}", file=sys.stderr)
        return 2
    if args.check:
        if result.changed:
            print("exercises/ is stale (`course build` updates it; it never overwrites a notebook that holds "
                  "edits):\n  " + "\n  ".join(result.changed), file=sys.stderr)
            return 1
        print("exercises/ is up to date")
        return 0
    print("wrote " + (", ".join(result.changed) if result.changed else "nothing (already up to date)"))
    for backup in result.backups:
        print(f"kept a backup: {backup}")
    if result.refused:
        print("left untouched, because they hold more than generated stubs (your work is safe):\n  "
              + "\n  ".join(result.refused)
              + "\nWork on a copy in work/ instead (`course start NN` makes one). To replace them anyway, "
              "`course build --force` keeps a backup in work/backups/ first.", file=sys.stderr)
        return 1
    return 0


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
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
        return _run(args.subparser, args)
    if args.command == "site":
        from .site import SiteError, build_site

        try:
            result = build_site(out_dir=args.out, executed_dir=args.executed, with_solutions=args.with_solutions,
                                jobs=args.jobs)
        except (SiteError, NotebookError, ValueError) as err:
            print(f"course site: {err}", file=sys.stderr)
            return 2
        for line in result.warnings:
            print(line, file=sys.stderr)
        not_run = [p.repo_path for p in result.pages if p.kind != "assignment" and not p.executed]
        if not_run:
            print(f"course site: {len(not_run)} page(s) without outputs (not run yet; `make course` runs them): "
                  + ", ".join(not_run), file=sys.stderr)
        print(f"Course site ({len(result.pages)} pages{', with solutions' if args.with_solutions else ''}) "
              f"built in {result.seconds:.1f} s: {result.index}")
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "start":
        return run_start(args)
    if args.command == "check":
        return run_check(args)
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
