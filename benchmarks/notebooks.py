"""Wall time and peak memory of every lecture and exercise-solution notebook.

Each notebook is executed on a fresh kernel (as nbval and the autograder do) while a
watcher samples the resident memory of the kernel process and its children; the data
cache should be prepared first (`make data`) so that generation is not timed.
Budgets: each notebook's time_budget_s in the profile table (hepcourse.config.TABLE, read
by hepcourse.config.notebook_time_budget; the tests enforce it too), else 180 s; <= 1.5 GB
per notebook.

    python benchmarks/notebooks.py [NOTEBOOK ...]
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hepcourse.config import notebook_time_budget  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S, BUDGET_GB = 180, 1.5


def run(notebook: Path, out_dir: Path) -> tuple[float, float, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
           "--ExecutePreprocessor.timeout=1200", "--output-dir", str(out_dir), str(notebook)]
    env = dict(os.environ)
    if notebook.parent.parent.name == "solutions":  # timed as `hepcourse grade` runs it: explore-only cells skip
        env["NBGRADER_EXECUTION"] = "autograde"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=notebook.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    parent = psutil.Process(proc.pid)

    def watch():
        nonlocal peak
        while proc.poll() is None:
            try:
                kernels = [p for p in parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in kernels))
            except psutil.Error:
                pass
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    if proc.returncode:
        print(err.decode()[-2000:], file=sys.stderr)
    return time.perf_counter() - start, peak / 1e9, proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    notebooks = args.notebooks or sorted(ROOT.glob("lectures/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = [nb.resolve() for nb in notebooks]
    # one output folder per source folder: lectures/02_regression and solutions/02_regression/02_regression
    # share a file name and would overwrite each other's executed copy
    rows = [(nb, *run(nb, out_dir / nb.parent.relative_to(ROOT))) for nb in notebooks]
    print(f"\nNotebook execution (fresh kernel, cached data; budget: the notebook's own, else {BUDGET_S} s; "
          f"{BUDGET_GB} GB)")
    print(f"{'notebook':52s} {'wall s':>7s} {'budget':>7s} {'peak GB':>8s}  status")
    for nb, wall, peak, rc in rows:
        budget = notebook_time_budget(nb) or BUDGET_S
        ok = rc == 0 and wall <= budget and peak <= BUDGET_GB
        status = "ok" if ok else ("FAILED" if rc else "over budget")
        print(f"{str(nb.relative_to(ROOT)):52s} {wall:7.1f} {budget:7.0f} {peak:8.2f}  {status}")
    return 0 if all(rc == 0 for *_, rc in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
