"""The instructor and student commands of the `hepcourse` command line.

A week of teaching, run in the course folder (or pass --course DIR):

    hepcourse release 01                          student version -> exercises/ (and --exchange DIR)
    hepcourse collect 01 --from moodle.zip        LMS export -> submitted/<student>/01_.../
                                                  (on a JupyterHub: --exchange /srv/nbgrader/exchange)
    hepcourse grade 01 --workers 2                autograde everything new, in the sandbox
    hepcourse feedback 01                         feedback/<student>/01_.../*.html
    hepcourse grades --csv grades.csv             one row per student, for the LMS

After editing an exercise's source notebook (solutions/NN_topic/NN_topic.ipynb, in JupyterLab):

    hepcourse check-source 01                     grade ids, points, markers, header, limits, release

Students check their work before submitting:

    hepcourse validate exercises/01_classification/01_classification.ipynb
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .course import Course

SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$", re.I)


def parse_size(text: str) -> int:
    """'3G', '512M', '2.5GiB' -> bytes."""
    match = SIZE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 3G or 512M")
    return int(float(match.group(1)) * 1024 ** " KMG".index(match.group(2).upper() or " "))


def _course(args) -> Course:
    return Course.find(args.course)


def cmd_release(args) -> int:
    from .course import release

    report = release(_course(args), args.week, exchange=args.exchange)
    print(report.summary())
    return 0


def cmd_collect(args) -> int:
    from .collect import collect

    course = _course(args)
    if (args.source is None) == (args.exchange is None):
        raise ValueError("give exactly one of --from DIR_OR_ZIP (an LMS export or a folder) and --exchange DIR "
                         "(a JupyterHub's nbgrader exchange)")
    if args.exchange is not None:
        from .course import collect_from_exchange

        print(collect_from_exchange(course, args.week, args.exchange)[-3000:])
        return 0
    report = collect(course.root, course.assignment(args.week), Path(args.source), roster=args.roster,
                     dry_run=args.dry_run, layout=args.layout)
    print(report.summary())
    return 0


def cmd_grade(args) -> int:
    from .autograde import grade
    from .sandbox import Limits

    limits = Limits(wall_s=args.time_limit, cell_s=min(args.cell_time_limit, args.time_limit),
                    memory_bytes=args.memory, threads=args.threads)
    summary = grade(_course(args), args.week, workers=args.workers, limits=limits, level=args.sandbox,
                    regrade=args.regrade, students=args.student or None, progress=not args.no_progress)
    print(summary.table())
    if summary.interrupted:
        return 130
    return 1 if summary.by_status("failed") else 0


def cmd_feedback(args) -> int:
    from .reports import generate_feedback

    course = _course(args)
    files = generate_feedback(course.root, course.assignment(args.week), students=args.student or None)
    print(f"{len(files)} feedback file(s) under {course.feedback}")
    for path in files[:5]:
        print(f"  {path}")
    return 0


def cmd_grades(args) -> int:
    from .reports import format_table, grades_table, write_grades_csv

    rows = grades_table(_course(args).root)
    print(format_table(rows))
    if args.csv:
        print(f"written: {write_grades_csv(rows, Path(args.csv))}")
    return 0


def cmd_validate(args) -> int:
    """Run nbgrader's validator on a student's notebook and print the teaching messages."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    path = Path(args.notebook)
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    cfg = Config()
    cfg.Execute.timeout = args.cell_time_limit
    results = Validator(config=cfg).validate(str(path))
    if results.get("type_changed"):
        print("VALIDATION FAILED: some cells changed type (code <-> markdown); restore them from the release.")
        return 1
    if results.get("changed"):
        print("VALIDATION FAILED: some read-only test cells were edited; copy them back from the release:")
        for cell in results["changed"]:
            print("  " + cell["source"].splitlines()[0][:100])
        return 1
    failed = results.get("failed", [])
    if failed:
        print(f"VALIDATION FAILED: {len(failed)} cell(s) raise an error. Fix these before you submit:")
        for cell in failed:
            first = cell["source"].splitlines()[0][:100] if cell["source"] else ""
            print(f"\n--- cell starting with: {first}\n{cell['raw_error'].strip()[-1500:]}")
        return 1
    print(f"{path}: all cells run and every visible test passes. Hidden tests are run when it is graded.")
    return 0


def cmd_check_source(args) -> int:
    """Check the nbgrader sources (and their committed releases); exit 1 on any problem."""
    from .check_source import check_sources, fix_header

    course = _course(args)
    names = [course.assignment(a) for a in args.assignment] if args.assignment else course.assignments()
    if args.fix:
        for assignment in names:
            for notebook in course.notebooks(assignment):
                path = course.source / assignment / f"{notebook}.ipynb"
                for change in fix_header(path):
                    print(f"fixed solutions/{assignment}/{notebook}.ipynb: {change}")
    problems = check_sources(course, names, release=not args.no_release)
    for problem in problems:
        print(problem)
    checked = f"{len(names)} assignment(s) checked ({', '.join(names) or 'none'})"
    if problems:
        print(f"{checked}: {len(problems)} problem(s)")
        return 1
    print(f"{checked}: no problems")
    return 0


def cmd_site(args) -> int:
    from .site import build

    root = Path(args.root).resolve()
    if not (root / "lectures").is_dir() or not (root / "site" / "conf.py").is_file():
        raise ValueError(f"{root} is not the course repository (no lectures/ or site/conf.py): pass --root")
    executed = Path(args.executed) if args.executed else None
    html = build(root, Path(args.out), executed, require_executed=args.require_executed)
    print(f"site built: {html / 'index.html'}")
    return 0


def add_commands(sub) -> None:
    """Add site/release/collect/grade/feedback/grades/check-source/validate to the CLI's subparsers."""
    def course_arg(p):
        p.add_argument("--course", default=None, help="course folder (default: this folder or a parent "
                                                       "with nbgrader_config.py)")

    p = sub.add_parser("site", help="build the course website (executed lectures, cards, exercises) with Sphinx",
                       description="Assemble the lectures with their outputs, the syllabus, the dataset cards, the "
                                   "instructor guide and the student exercises, and build the HTML site with "
                                   "sphinx-build -W (any warning or cell error fails). A lecture is taken from "
                                   "--executed when that copy was made from its current source (make test leaves "
                                   "them in build/executed), else executed once during the build.")
    p.add_argument("--root", default=str(Path(__file__).resolve().parents[2]), help="the course repository")
    p.add_argument("--out", default="build/site", help="output folder (the site is OUT/html)")
    p.add_argument("--executed", default=None, help="folder of executed lecture notebooks to reuse")
    p.add_argument("--require-executed", action="store_true",
                   help="fail instead of executing a lecture that has no current executed copy")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("release", help="generate the student version of an assignment and hand it out",
                       description="Run nbgrader generate_assignment, refuse the result if any solution or hidden "
                                   "test leaked into it, and put it in exercises/ (and the JupyterHub exchange "
                                   "with --exchange).")
    p.add_argument("week", help="assignment number or name, e.g. 01 or 01_classification")
    p.add_argument("--exchange", default=None, help="nbgrader exchange folder, e.g. /srv/nbgrader/exchange")
    course_arg(p)
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("collect", help="bring submissions in from a folder or an LMS zip",
                       description="Read a folder or the zip that Moodle, Canvas or ILIAS exports, map file "
                                   "names to student ids (optionally through a roster CSV) and write "
                                   "submitted/<student>/<assignment>/. Reports students with no or duplicate "
                                   "submissions; an older submission that differs is kept in submitted/.previous.")
    p.add_argument("week")
    p.add_argument("--from", dest="source", default=None, help="folder or .zip of submissions")
    p.add_argument("--exchange", default=None, help="or: collect from a JupyterHub's nbgrader exchange folder")
    p.add_argument("--roster", default=None, help="CSV with student_id and lms_id/login/email columns")
    p.add_argument("--layout", default="auto", choices=["auto", "moodle", "canvas", "ilias", "plain"])
    p.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    course_arg(p)
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("grade", help="autograde all submissions in parallel, each in a sandbox",
                       description="Autograde every new or changed submission with nbgrader, N at a time. Student "
                                   "code runs in a bubblewrap sandbox (no course files, no network) with time and "
                                   "memory limits. Safe to interrupt (Ctrl-C) and run again: graded submissions "
                                   "are skipped, the gradebook is backed up first. Logs: .hepcourse/logs/.")
    p.add_argument("week")
    p.add_argument("--workers", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--time-limit", type=float, default=900, help="seconds per notebook (default 900)")
    p.add_argument("--cell-time-limit", type=float, default=600, help="seconds per cell (default 600)")
    p.add_argument("--memory", type=parse_size, default=parse_size("3G"), help="memory per submission (default 3G)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads per submission (default: CPUs / workers)")
    p.add_argument("--sandbox", choices=["bwrap", "process"], default=None,
                   help="isolation level (default: the strongest that works here)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--regrade", action="store_true", help="grade again even if already graded")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    course_arg(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("feedback", help="HTML feedback for every graded student")
    p.add_argument("week")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    course_arg(p)
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("grades", help="the grades table (and a CSV for the LMS)")
    p.add_argument("--csv", default=None, help="write the table to this CSV file")
    course_arg(p)
    p.set_defaults(func=cmd_grades)

    p = sub.add_parser("check-source", help="check the nbgrader source notebooks (and their releases)",
                       description="Check every source under solutions/ (or those named): unique grade ids, points on "
                                   "graded cells, locked test cells, balanced SOLUTION / HIDDEN TESTS markers in the "
                                   "right cells, no stored outputs, the header's point table and limits against "
                                   "the cells and the grader's default Limits(), and that exercises/ equals a fresh "
                                   "nbgrader generate_assignment of the source. Exit 1 on any problem.")
    p.add_argument("assignment", nargs="*", help="assignment numbers or names (default: all)")
    p.add_argument("--fix", action="store_true", help="first rewrite the header's point table, total and limits "
                                                      "from the cells and Limits()")
    p.add_argument("--no-release", action="store_true", help="skip the comparison with a fresh generate_assignment")
    course_arg(p)
    p.set_defaults(func=cmd_check_source)

    p = sub.add_parser("validate", help="(students) run a notebook and its visible tests before submitting")
    p.add_argument("notebook")
    p.add_argument("--cell-time-limit", type=int, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=cmd_validate)
