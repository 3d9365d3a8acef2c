"""Autograding time per submission for each assignment, through nbgrader itself.

Builds a throw-away course in a temporary directory, releases every assignment, submits
the solution notebook as N students and times `nbgrader autograde`; prints seconds per
submission. The data cache should be prepared first (`make data`).

    python benchmarks/grading.py [--students 2]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def nbgrader(course: Path, *args):
    subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for source in sorted((ROOT / "solutions").iterdir()):
            if not source.is_dir():
                continue
            name = source.name
            shutil.copytree(source, course / "solutions" / name)
            nbgrader(course, "generate_assignment", name, "--force")
            for k in range(args.students):
                target = course / "submitted" / f"student{k:03d}" / name
                target.mkdir(parents=True)
                shutil.copy(source / f"{name}.ipynb", target)
            start = time.perf_counter()
            nbgrader(course, "autograde", name, "--force")
            rows.append((name, (time.perf_counter() - start) / args.students))
    print(f"\nAutograde (nbgrader, solution notebooks, {args.students} submissions each)")
    print(f"{'assignment':24s} {'s / submission':>15s}")
    for name, seconds in rows:
        print(f"{name:24s} {seconds:15.1f}")


if __name__ == "__main__":
    main()
