"""Environment doctor behind `hepcourse check`: what works, what does not, and how to fix it."""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, version

from . import config

STACK = ("tensorflow", "keras", "numpy", "pythia8mc", "fastjet", "h5py", "nbgrader", "jupyterlab", "hls4ml")


def run_checks() -> int:
    """Print one line per check; return the number of problems (0 = all good)."""
    problems = 0
    for pkg in STACK:
        try:
            print(f"  ok      {pkg} {version(pkg)}")
        except PackageNotFoundError:
            problems += 1
            print(f"  MISSING {pkg}: run `make env` (or `pip install -e .`) in the course directory")
    cache = config.data_dir()
    size = sum(p.stat().st_size for p in cache.rglob("*.h5")) / 1e6
    print(f"  ok      data cache {cache} ({size:.0f} MB)")
    if shutil.which("g++"):
        print("  ok      g++ found (hls4ml emulation)")
    else:
        problems += 1
        print("  MISSING g++: install a C++ compiler (Debian/Ubuntu: apt-get install g++; conda: gxx)")
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        print(f"  info    GPU: {', '.join(g.name for g in gpus) if gpus else 'none (CPU is fine for the quick profile)'}")
    except ImportError:
        pass
    print("all checks passed" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0
