"""Grading throughput: submissions per minute with `hepcourse grade`, 1 vs 2 workers.

Builds a throw-away course in a temporary directory, releases each assignment, submits the
solution notebook as N students and grades them all with `hepcourse.instructor.grade` (each
submission in the sandbox), once with 1 worker and once with 2; with --nbgrader it also
times plain `nbgrader autograde` (serial, no sandbox) for comparison. Prints a table with the
projected time for a class of 100. The data cache should be prepared first (`make data`).

    python benchmarks/grading.py [--students 4] [--nbgrader]

Goal: 100 submissions of an exercise graded in <= 30 min on 2 cores.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hepcourse.instructor.autograde import grade  # noqa: E402
from hepcourse.instructor.course import Course, release  # noqa: E402

GOAL_MINUTES_PER_100 = 30


def make_course(tmp: Path, assignment: str, students: int) -> Course:
    course = Course(tmp / assignment)
    (course.source).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course.root)
    shutil.copytree(ROOT / "solutions" / assignment, course.source / assignment)
    release(course, assignment)
    for k in range(students):
        target = course.submitted / f"student{k:03d}" / assignment
        target.mkdir(parents=True)
        shutil.copy(course.source / assignment / f"{assignment}.ipynb", target)
    return course


def time_nbgrader(course: Course, assignment: str) -> float:
    start = time.perf_counter()
    course.nbgrader("autograde", assignment, "--force")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--nbgrader", action="store_true", help="also time plain nbgrader autograde (serial)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in sorted((ROOT / "solutions").iterdir()):
            if not source.is_dir():
                continue
            assignment = source.name
            course = make_course(Path(tmp), assignment, args.students)
            if args.nbgrader:
                seconds = time_nbgrader(course, assignment)
                rows.append((assignment, "nbgrader autograde, no sandbox", 1, seconds, None))
            for workers in (1, 2):
                summary = grade(course, assignment, workers=workers, regrade=True, progress=False)
                scores = sorted({o.score for o in summary.outcomes})
                failed = len(summary.outcomes) - len(summary.by_status("graded"))
                rows.append((assignment, f"hepcourse grade, sandbox {summary.level}", workers, summary.seconds,
                             f"scores {scores}, {failed} failed"))
    print(f"\nGrading throughput ({args.students} submissions of the solution per run, {os.cpu_count()} CPUs)")
    print(f"{'assignment':20s} {'how':34s} {'workers':>7s} {'s/subm.':>8s} {'subm./min':>9s} {'min/100':>8s}  check")
    for assignment, how, workers, seconds, check in rows:
        per = seconds / args.students
        print(f"{assignment:20s} {how:34s} {workers:7d} {per:8.1f} {60 / per:9.2f} {100 * per / 60:8.1f}  {check or ''}")
    print(f"goal: 100 submissions in <= {GOAL_MINUTES_PER_100} min on 2 cores")


if __name__ == "__main__":
    main()
