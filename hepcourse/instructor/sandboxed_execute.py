"""nbgrader's Execute step with the kernel in the grading sandbox and limits a class can rely on.

``SandboxedExecute`` replaces nbgrader's ``Execute`` preprocessor in autograding. Differences:

* the kernel is started by ``SandboxedKernelManager`` inside ``hepcourse.instructor.sandbox``
  in a private scratch copy of the submission folder, talking over Unix sockets;
* a wall-time limit for the whole notebook besides the per-cell one; a cell that times out
  is interrupted (as nbgrader does), and a kernel that then does not answer within a few
  seconds is given up on;
* every code cell that could not run - after the wall-time limit, after the kernel died
  (memory, CPU time, a crash) or stopped answering - gets an error output that says why.
  nbgrader gives *full* points to a test cell without outputs, so a cell left unexecuted
  would otherwise be graded as passed;
* outputs beyond ``Limits.output_bytes`` are dropped (with one notice) while they arrive, so
  a flooding submission costs the grader no memory;
* a kernel that cannot start (a broken installation, a sandbox that does not show what the
  kernel imports) raises ``KernelStartError`` with the end of the kernel's (or bwrap's) own
  output, instead of jupyter_client's bare "Kernel died before replying to kernel_info".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Dict, Float, List, Unicode

from .sandbox import Limits, kernel_env, wrap_command

NOT_RUN = "NotRun"
OUTPUT_TAIL_BYTES = 4096

# Why kernels of this process could not start, newest last (autograde.grade_one reads and
# clears it: nbgrader itself only logs the exception and then fails with a generic message).
KERNEL_START_FAILURES: list[str] = []


class KernelStartError(RuntimeError):
    """The kernel of a submission did not start; the message says why, with its last output."""


def output_tail(text: str, lines: int = 6, chars: int = 800) -> str:
    """The last non-empty ``lines`` of a process' output on one line (' | '-separated)."""
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    joined = " | ".join(kept)
    return joined if len(joined) <= chars else "..." + joined[-chars:]


def copy_without_links(src: Path, dst: Path) -> None:
    """Copy a folder's regular files and folders; symbolic links and special files are skipped
    (a planted link must not make trusted code read or write outside the folder)."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISDIR(mode):
            copy_without_links(Path(entry.path), dst / entry.name)
        elif stat.S_ISREG(mode):
            shutil.copyfile(entry.path, dst / entry.name, follow_symlinks=False)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the grading sandbox, in a scratch copy of ``cwd``."""

    def __init__(self, *, sandbox_level: str, limits: Limits, readonly: list[str], hidden: list[str], **kwargs):
        super().__init__(**kwargs)
        self.sandbox_level = sandbox_level
        self.limits = limits
        self.readonly = list(readonly)
        self.hidden = list(hidden)
        self.scratch: Path | None = None
        self.death_reason: str | None = None
        self.last_output = ""  # the end of the kernel's stdout/stderr, kept when scratch is removed
        self._watchdog: threading.Thread | None = None

    async def _async_pre_start_kernel(self, **kw):
        source = Path(kw.get("cwd") or os.getcwd())
        self.scratch = Path(tempfile.mkdtemp(prefix="hepcourse-sandbox-")).resolve()
        work = self.scratch / "work"
        copy_without_links(source, work)
        for sub in ("matplotlib", "cache", "keras", "runtime"):
            (work / ".home" / sub).mkdir(parents=True, exist_ok=True)
        kw["cwd"] = str(work)
        self.transport = "ipc"
        self.ip = str(self.scratch / "work" / ".home" / "runtime" / "kernel")
        self.connection_file = str(self.scratch / "work" / ".home" / "runtime" / "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        work = self.scratch / "work"
        try:
            # kernel_cmd[0] is the kernel's interpreter (the kernelspec's, not necessarily this
            # one): the sandbox shows what that interpreter imports
            cmd, env = wrap_command(kernel_cmd, level=self.sandbox_level, workdir=work, limits=self.limits,
                                    env=kernel_env(work, self.limits), readonly=self.readonly, hidden=self.hidden,
                                    pythons=kernel_cmd[:1])
        except Exception:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
            raise
        kw.update(env=env, cwd=str(work))
        log = open(self.scratch / "kernel.log", "wb")  # the kernel's raw stdout/stderr, capped by RLIMIT_FSIZE
        kw.setdefault("stdout", log)
        kw.setdefault("stderr", log)
        try:
            await super()._async_launch_kernel(cmd, **kw)
        finally:
            log.close()
        self._watchdog = threading.Thread(target=self._watch_memory, daemon=True)
        self._watchdog.start()

    def output(self) -> str:
        """The end of what the kernel (and bwrap) wrote to stdout/stderr so far."""
        if self.scratch is None:
            return self.last_output
        try:
            with open(self.scratch / "kernel.log", "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - OUTPUT_TAIL_BYTES))
                return log.read().decode(errors="replace")
        except OSError:
            return self.last_output

    def _kernel_tree(self) -> list[psutil.Process]:
        process = getattr(self.provisioner, "process", None)
        if process is None:
            return []
        try:
            root = psutil.Process(process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _watch_memory(self) -> None:
        """Kill the kernel (and everything it started) when its resident memory passes the limit."""
        while True:
            tree = self._kernel_tree()
            if not tree:
                return
            rss = 0
            for proc in tree:
                try:
                    rss += proc.memory_info().rss
                except psutil.Error:
                    pass
            if rss > self.limits.memory_bytes:
                self.death_reason = (f"the kernel used {rss / 2**30:.2f} GiB of memory, more than the limit of "
                                     f"{self.limits.memory_bytes / 2**30:.2f} GiB, and was stopped")
                for proc in reversed(tree):
                    try:
                        proc.kill()
                    except psutil.Error:
                        pass
                return
            time.sleep(0.25)

    def explain_death(self) -> str:
        """Why the kernel is gone, in words for the student's feedback."""
        if self.death_reason:
            return self.death_reason
        process = getattr(self.provisioner, "process", None)
        code = process.poll() if process is not None else None
        if code is not None and code in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL):
            return (f"the kernel was stopped: it used up its CPU-time limit of {self.limits.cpu_s} s "
                    "(or was killed by the system)")
        return f"the kernel died (exit status {code}); a crash in compiled code, or os._exit() in the notebook"

    async def _async_interrupt_kernel(self) -> None:
        # The launched process is bwrap, which does not pass SIGINT on: signal the kernel itself,
        # found in the process tree (it runs as this user, in a PID namespace we can see into).
        for proc in self._kernel_tree():
            try:
                if "ipykernel_launcher" in proc.cmdline()[:3]:  # `python -m ipykernel_launcher`, not bwrap
                    proc.send_signal(signal.SIGINT)
            except psutil.Error:
                pass

    interrupt_kernel = _async_interrupt_kernel  # the base class binds the public name to its own function

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self.scratch is not None and not restart:
            self.last_output = self.output()
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel sandboxed, a notebook deadline and an output cap."""

    sandbox_level = Unicode("bwrap", help="hepcourse.instructor.sandbox level").tag(config=True)
    limits = Dict({}, help="fields of hepcourse.instructor.sandbox.Limits").tag(config=True)
    readonly_paths = List(Unicode(), [], help="extra folders shown read-only (data cache)").tag(config=True)
    hidden_paths = List(Unicode(), [], help="folders the sandbox must never show (course)").tag(config=True)
    probe_timeout = Float(10.0, help="seconds a kernel has to answer after a timed-out cell").tag(config=True)

    def _limits(self) -> Limits:
        return Limits(**self.limits)

    def create_kernel_manager(self):
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        self.km = SandboxedKernelManager(kernel_name=self.kernel_name, config=self.config,
                                         sandbox_level=self.sandbox_level, limits=self._limits(),
                                         readonly=self.readonly_paths, hidden=self.hidden_paths)
        self._sandbox_km = self.km  # nbclient sets self.km to None when a start fails
        return self.km

    def _start_failed(self, problem: Exception) -> KernelStartError:
        km = getattr(self, "_sandbox_km", None)
        said = output_tail(km.output()) if km is not None else ""
        message = (f"the kernel could not start (sandbox {self.sandbox_level}): {type(problem).__name__}: {problem}"
                   + (f"; its last output: {said}" if said else ""))
        KERNEL_START_FAILURES.append(message)
        self.log.error(message)
        return KernelStartError(message)

    async def async_start_new_kernel(self, **kwargs):
        try:
            return await super().async_start_new_kernel(**kwargs)
        except Exception as problem:
            if self.km is not None and self.km.has_kernel:
                await self._async_cleanup_kernel()
            raise self._start_failed(problem) from problem

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        try:
            return await super().async_start_new_kernel_client()
        except Exception as problem:  # nbclient has shut the kernel down and cleaned up
            raise self._start_failed(problem) from problem

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def preprocess(self, nb, resources=None, km=None):
        limits = self._limits()
        self._deadline = time.monotonic() + limits.wall_s
        self._stopped: str | None = None
        self._output_bytes = 0
        self._output_capped = False
        self.interrupt_on_timeout = True
        # after an interrupt that the student's code swallowed, the kernel never reports idle:
        # keep the timeout error in the cell and let _kernel_answers decide, instead of failing
        self.raise_on_iopub_timeout = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        limits = self._limits()
        remaining = self._deadline - time.monotonic()
        if self._stopped is None and remaining < 1:
            self._stopped = f"the notebook ran past its time limit of {limits.wall_s:.0f} s"
        if self._stopped is not None:
            self._mark_not_run(cell)
            return cell, resources
        self.timeout = int(max(1, min(limits.cell_s, remaining)))
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = self.km.explain_death()
            cell.outputs.append(self._error(f"{self._stopped}; this cell did not finish"))
            return cell, resources
        if any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.outputs):
            cell.outputs[-1] = self._error(f"this cell ran past its time limit of {self.timeout} s and was interrupted")
            if not self._kernel_answers():
                self._stopped = "the kernel did not respond after a cell was interrupted at its time limit"
        return cell, resources

    def _kernel_answers(self) -> bool:
        """After an interrupt: does the kernel answer a trivial request within probe_timeout?"""
        saved, self.timeout = self.timeout, int(self.probe_timeout)
        try:
            reply = self.wait_for_reply(self.kc.execute("", store_history=False, silent=True))
        except DeadKernelError:
            return False
        finally:
            self.timeout = saved
        return reply is not None

    def _error(self, reason: str):
        return nbformat.v4.new_output("error", ename=NOT_RUN, evalue=reason,
                                      traceback=[f"\x1b[0;31mgrader\x1b[0m: {reason}"])

    def _mark_not_run(self, cell) -> None:
        cell.outputs = [self._error(f"not run: {self._stopped}")]
        cell.execution_count = None

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._output_bytes += size
        cap = self._limits().output_bytes
        if self._output_bytes > cap:
            if not self._output_capped:
                self._output_capped = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[grader: output beyond {cap / 2**20:.1f} MiB per notebook was dropped]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

