"""Cold install of the course: the old way (pins only) against the lock, with pip and with uv.

Each method builds a fresh virtual environment in a temporary folder with EMPTY pip and uv
caches (so every wheel is downloaded, as on a new machine or in a cold CI run) and installs
the course package and its dependencies:

* ``pip, pins only``: ``pip install -e .`` - pip resolves the transitive versions itself (what
  `make env` did before requirements.lock; a machine could end up with other versions);
* ``pip, lock``: ``pip install --require-hashes -r requirements.lock`` + ``pip install --no-deps -e .``
  (the fallback of `make env` where uv cannot be installed);
* ``uv, lock``: installs the pinned uv, then ``uv pip sync --require-hashes --compile-bytecode
  requirements.lock`` + ``uv pip install --no-deps -e .`` (what `make env` does), all of it timed.
  Bytecode is compiled at install time as pip does: the grading sandbox mounts the environment
  read-only, so a kernel could not write it and would recompile TensorFlow on every start.

Needs the package registry (network). One run per method by default; the machine's own pip
configuration (extra indexes, find-links) applies as it would to `make env`.

    python benchmarks/install.py [--repeat 1] [--only uv]

Goal: the course installs in under 90 s on 2 cores from empty caches.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
GOAL_S = 90
UV_VERSION = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def _steps(method: str, python: str, tmp: Path) -> list[list[str]]:
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if method == "pip, pins only":
        return [pip + ["-e", str(ROOT)]]
    if method == "pip, lock":
        return [pip + ["--require-hashes", "-r", str(LOCK)], pip + ["--no-deps", "-e", str(ROOT)]]
    uv = str(tmp / "uv" / "bin" / "uv")
    return [pip + ["--target", str(tmp / "uv"), f"uv=={UV_VERSION}"],
            [uv, "pip", "sync", "-q", "--python", python, "--require-hashes", "--compile-bytecode", str(LOCK)],
            [uv, "pip", "install", "-q", "--python", python, "--no-deps", "-e", str(ROOT)]]


METHODS = ("pip, pins only", "pip, lock", "uv, lock")


def cold_install(method: str) -> tuple[float, float]:
    """Seconds to install with ``method`` into a new venv with empty caches, and the venv's GB."""
    with tempfile.TemporaryDirectory(prefix="install_bench_") as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        python = str(tmp / "venv" / "bin" / "python")
        env = dict(os.environ, PIP_CACHE_DIR=str(tmp / "pip-cache"), UV_CACHE_DIR=str(tmp / "uv-cache"),
                   PIP_NO_INPUT="1")
        start = time.perf_counter()
        for step in _steps(method, python, tmp):
            done = subprocess.run(step, env=env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"{method}: {' '.join(step)} failed:\n{done.stderr[-3000:]}")
        wall = time.perf_counter() - start
        check = subprocess.run([python, "-c", "import hepcourse, tensorflow, hls4ml, nbgrader, fastjet, pythia8mc"],
                               env=env, capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"{method}: the installed course does not import:\n{check.stderr[-2000:]}")
        size = sum(f.stat().st_size for f in (tmp / "venv").rglob("*") if f.is_file() and not f.is_symlink())
        return wall, size / 1e9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("pip-pins", "pip-lock", "uv"), nargs="*")
    args = parser.parse_args(argv)
    chosen = {"pip-pins": METHODS[0], "pip-lock": METHODS[1], "uv": METHODS[2]}
    methods = [chosen[m] for m in args.only] if args.only else list(METHODS)
    rows = []
    for method in methods:
        runs = [cold_install(method) for _ in range(args.repeat)]
        rows.append((method, [r[0] for r in runs], runs[-1][1]))
        print(f"  {method}: {', '.join(f'{w:.0f} s' for w in rows[-1][1])}", flush=True)
    print(f"\nCold install of the course (new venv, empty pip and uv caches; {os.cpu_count()} CPUs, "
          f"{args.repeat} run(s) each, median)")
    print(f"{'method':16s} {'wall s':>8s} {'venv GB':>8s}")
    for method, walls, size in rows:
        print(f"{method:16s} {statistics.median(walls):8.1f} {size:8.2f}")
    uv = next((statistics.median(w) for m, w, _ in rows if m == "uv, lock"), None)
    old = next((statistics.median(w) for m, w, _ in rows if m == "pip, pins only"), None)
    if uv is not None:
        ratio = f" ({old / uv:.1f}x faster than pip resolving the pins)" if old else ""
        print(f"goal: uv, lock (what the env target runs) <= {GOAL_S} s: {uv:.0f} s{ratio} {'ok' if uv <= GOAL_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
