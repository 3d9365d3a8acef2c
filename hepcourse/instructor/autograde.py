"""Grade a class: every submission of an assignment, in parallel, each in the grading sandbox.

    grade(course, "01_classification", workers=2)

Each of N long-lived worker processes runs nbgrader's own autograde pipeline (sanitize,
restore the test cells from the gradebook, execute, score, save) for one student after
another, with the Execute
step replaced by ``SandboxedExecute``: student code runs in ``hepcourse.instructor.sandbox``
and never sees the gradebook, the source notebooks or other students' work.

Safe to interrupt and re-run:
* a journal entry (``.hepcourse/grading/<assignment>/<student>.json``) is written after a
  submission's grade is in the gradebook, with a hash of the submitted files; a re-run skips
  submissions whose journal matches and grades the rest (new, changed, interrupted, failed);
* the gradebook is backed up (SQLite backup API) before each run, into ``.hepcourse/backups``;
* gradebook writes of parallel workers are serialised by a lock file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import selectors
import signal
import sqlite3
import stat
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .course import Course, CourseError, tool_env
from .sandbox import Limits, detect_level

KEEP_BACKUPS = 20
WORKER_OVERHEAD_S = 180  # nbgrader start-up, sanitising and saving, beyond the notebook's own limit


# ---- bookkeeping ---------------------------------------------------------------------------

def submission_hash(folder: Path) -> str:
    """sha256 over the relative paths and contents of a submission's files.

    Symbolic links and special files are refused: nbgrader copies submitted files with the
    grader's rights, so a link could bring the gradebook or another student's work along."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise CourseError(f"{path} is a link or special file; submissions may hold regular files only")
        if stat.S_ISREG(mode):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def journal_path(course: Course, assignment: str, student: str) -> Path:
    return course.state / "grading" / assignment / f"{student}.json"


def read_journal(course: Course, assignment: str, student: str) -> dict | None:
    path = journal_path(course, assignment, student)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_journal(course: Course, assignment: str, student: str, entry: dict) -> None:
    path = journal_path(course, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry, indent=1, sort_keys=True))
    os.replace(tmp, path)


def backup_gradebook(course: Course) -> Path | None:
    """A consistent copy of gradebook.db (SQLite's online backup) in .hepcourse/backups/."""
    if not course.gradebook.exists():
        return None
    folder = course.state / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"gradebook-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.db"
    with contextlib.closing(sqlite3.connect(course.gradebook)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    for old in sorted(folder.glob("gradebook-*.db"))[:-KEEP_BACKUPS]:
        old.unlink()
    return target


@contextlib.contextmanager
def gradebook_lock(course: Course):
    """Exclusive lock for gradebook writes across worker processes."""
    course.state.mkdir(parents=True, exist_ok=True)
    with open(course.state / "gradebook.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---- one submission (runs in a worker process) ---------------------------------------------

def grade_one(course: Course, assignment: str, student: str, *, level: str, limits: Limits) -> dict:
    """Autograde one student's submission with nbgrader, the kernel sandboxed. Returns the
    scores and what went wrong while executing (time limits, kernel deaths)."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades
    from traitlets.config.loader import PyFileConfigLoader

    from .. import config as course_config
    from .sandboxed_execute import KERNEL_START_FAILURES, NOT_RUN, KernelStartError, SandboxedExecute

    class LockedSaveAutoGrades(SaveAutoGrades):
        def preprocess(self, nb, resources):
            with gradebook_lock(course):
                return super().preprocess(nb, resources)

    class LockedAutograde(Autograde):
        def init_assignment(self, assignment_id, student_id):
            with gradebook_lock(course):
                super().init_assignment(assignment_id, student_id)

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    cfg.CourseDirectory.root = str(course.root)
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    cfg.LockedAutograde.force = True
    cfg.LockedAutograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                                   LimitOutput, LockedSaveAutoGrades, AssignLatePenalties,
                                                   CheckCellMetadata]
    data = course_config.data_dir()
    cfg.SandboxedExecute.sandbox_level = level
    cfg.SandboxedExecute.limits = dataclasses.asdict(limits)
    cfg.SandboxedExecute.readonly_paths = [str(data)] if data.is_dir() else []
    cfg.SandboxedExecute.hidden_paths = [str(course.root)]
    coursedir = CourseDirectory(config=cfg)
    KERNEL_START_FAILURES.clear()
    try:
        LockedAutograde(coursedir=coursedir, config=cfg).start()
    except Exception:
        # nbgrader logs the cause and then fails with "see the above traceback": say the cause
        if KERNEL_START_FAILURES:
            raise KernelStartError(KERNEL_START_FAILURES[-1]) from None
        raise

    problems = []
    for notebook in sorted((course.autograded / student / assignment).glob("*.ipynb")):
        import nbformat

        for cell in nbformat.read(notebook, as_version=4).cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and out.get("ename") in (NOT_RUN,):
                    problems.append(out.get("evalue", ""))
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        submission = gb.find_submission(assignment, student)
        score, max_score = submission.score, submission.max_score
    return {"score": score, "max_score": max_score, "problems": sorted(set(problems))}


def _worker_main(argv: list[str]) -> int:
    """A long-lived grading process: reads one student id per line on stdin, grades it, answers
    one ``HEPCOURSE-RESULT {json}`` line on stdout. Importing nbgrader once per worker instead of
    once per submission saves about 5 s a submission; a failure is reported, not fatal."""
    parser = argparse.ArgumentParser(prog="hepcourse.instructor.autograde")
    parser.add_argument("--course", required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--level", required=True)
    parser.add_argument("--limits", required=True, help="JSON of Limits fields")
    args = parser.parse_args(argv)
    import logging
    import traceback

    course = Course(Path(args.course))
    limits = Limits(**json.loads(args.limits))
    log_dir = course.state / "logs" / args.assignment
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for line in sys.stdin:
        student = line.strip()
        if not student:
            continue
        handler = logging.FileHandler(log_dir / f"{student}.log", mode="w")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root.addHandler(handler)
        try:
            result = {"student": student, "ok": True,
                      **grade_one(course, args.assignment, student, level=args.level, limits=limits)}
        except Exception:
            root.exception("grading %s failed", student)
            result = {"student": student, "ok": False, "error": traceback.format_exc()[-1500:]}
        finally:
            root.removeHandler(handler)
            handler.close()
        print("HEPCOURSE-RESULT " + json.dumps(result), flush=True)
    return 0


# ---- the class ----------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    student: str
    status: str                 # graded | skipped | failed | rejected
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    problems: list[str] = dataclasses.field(default_factory=list)
    message: str = ""


@dataclasses.dataclass
class GradeSummary:
    assignment: str
    level: str
    workers: int
    outcomes: list[Outcome]
    seconds: float
    interrupted: bool = False

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    def table(self) -> str:
        graded = [o for o in self.outcomes if o.score is not None]
        scores = [o.score for o in graded]
        timeouts = [o for o in self.outcomes if any("time limit" in p or "did not respond" in p for p in o.problems)]
        deaths = [o for o in self.outcomes if any("kernel" in p and "time limit" not in p for p in o.problems)]
        max_score = graded[0].max_score if graded else None
        newly = self.by_status("graded")
        lines = [
            f"grading {self.assignment}: sandbox {self.level}, {self.workers} worker(s), {self.seconds:.0f} s"
            + ("  (INTERRUPTED: run the same command again to continue)" if self.interrupted else ""),
            f"  students               {len(self.outcomes)}",
            f"  graded now             {len(newly)}"
            + (f"  ({60 * len(newly) / self.seconds:.1f} submissions/min)" if newly and self.seconds else ""),
            f"  already graded         {len(self.by_status('skipped'))}",
            "  mean score             " + (f"{statistics.mean(scores):.2f} / {max_score:g}" if scores else "-"),
            f"  full marks / zero      {sum(s == max_score for s in scores)} / {sum(s == 0 for s in scores)}",
            f"  hit a time limit       {len(timeouts)}",
            f"  kernel died            {len(deaths)}",
            f"  grader failures        {len(self.by_status('failed'))}",
            f"  rejected submissions   {len(self.by_status('rejected'))}",
        ]
        for o in self.outcomes:
            if o.status in ("failed", "rejected"):
                lines.append(f"    {o.status:8s} {o.student}: {o.message.splitlines()[-1] if o.message else ''}")
        return "\n".join(lines)


class _Worker:
    """The grader's side of one worker process: started on first use, restarted after a kill."""

    def __init__(self, course: Course, assignment: str, level: str, limits: Limits):
        self.course, self.assignment, self.level, self.limits = course, assignment, level, limits
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        log_dir = self.course.state / "logs" / self.assignment
        log_dir.mkdir(parents=True, exist_ok=True)
        # -P: the worker runs in the course folder, which may hold a copy of hepcourse/ (a clone of
        # the course repository); it must import the installed package, as the kernel does
        cmd = [sys.executable, "-P", "-m", "hepcourse.instructor.autograde", "--course", str(self.course.root),
               "--assignment", self.assignment, "--level", self.level,
               "--limits", json.dumps(dataclasses.asdict(self.limits))]
        with open(log_dir / f"worker-{threading.get_ident()}.log", "a") as stderr:
            return subprocess.Popen(cmd, cwd=self.course.root, env=tool_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr, text=True, bufsize=1, start_new_session=True)

    def grade(self, student: str) -> Outcome:
        start = time.monotonic()
        budget = self.limits.wall_s + WORKER_OVERHEAD_S
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        result = None
        try:
            self.proc.stdin.write(student + "\n")
            self.proc.stdin.flush()
            with selectors.DefaultSelector() as selector:
                selector.register(self.proc.stdout, selectors.EVENT_READ)
                while result is None:
                    remaining = budget - (time.monotonic() - start)
                    if remaining <= 0 or not selector.select(timeout=remaining):
                        self.kill()
                        return Outcome(student, "failed", seconds=time.monotonic() - start,
                                       message=f"the grader itself ran past {budget:.0f} s; see .hepcourse/logs/")
                    line = self.proc.stdout.readline()
                    if not line:  # the worker died
                        break
                    if line.startswith("HEPCOURSE-RESULT "):
                        result = json.loads(line.split(" ", 1)[1])
        except (BrokenPipeError, OSError):
            pass
        seconds = time.monotonic() - start
        if result is None:
            code = self.proc.poll()
            self.proc = None
            return Outcome(student, "failed", seconds=seconds, message=f"the grading process died (exit code {code})")
        if not result["ok"]:
            return Outcome(student, "failed", seconds=seconds, message=result["error"])
        return Outcome(student, "graded", result["score"], result["max_score"], seconds, result["problems"])

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


def _require_data() -> None:
    """Submissions read the course data read-only: it must be complete before grading starts."""
    from .. import config
    from ..data import profile_status

    profile = config.profile()
    for name, (ready, needed) in profile_status(profile).items():
        if ready < needed:
            raise CourseError(f"the {profile.name}-profile data are not complete in {config.data_dir()} "
                              f"({needed - ready}/{needed} {name} shards missing or invalid); submissions cannot "
                              f"generate them in the sandbox: run `hepcourse data prepare --profile {profile.name}` first")


def grade(course: Course, week: str, *, workers: int = 2, limits: Limits | None = None, level: str | None = None,
          regrade: bool = False, students: list[str] | None = None, progress: bool = True) -> GradeSummary:
    """Grade every submission of an assignment (or only ``students``), ``workers`` at a time.

    Submissions already graded with the same files are skipped unless ``regrade``."""
    assignment = course.assignment(week)
    if not course.gradebook.exists():
        raise CourseError(f"{course.gradebook} does not exist: release the assignment first (`hepcourse release {week}`)")
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"{assignment} is not in the gradebook: run `hepcourse release {week}` first") from None
    _require_data()
    level = detect_level(level)
    workers = max(1, int(workers))
    if limits is None:
        limits = Limits(threads=max(1, (os.cpu_count() or 1) // workers))
    submissions = course.student_submissions(assignment)
    if students is not None:
        unknown = sorted(set(students) - set(submissions))
        if unknown:
            raise CourseError(f"no submission of {assignment} from: {', '.join(unknown)}")
        submissions = {s: submissions[s] for s in students}

    outcomes: dict[str, Outcome] = {}
    todo: dict[str, str] = {}
    for student, folder in submissions.items():
        try:
            digest = submission_hash(folder)
        except CourseError as problem:
            outcomes[student] = Outcome(student, "rejected", message=str(problem))
            continue
        entry = read_journal(course, assignment, student)
        if not regrade and entry and entry.get("hash") == digest and entry.get("status") == "graded":
            outcomes[student] = Outcome(student, "skipped", entry.get("score"), entry.get("max_score"),
                                        problems=entry.get("problems", []))
        else:
            todo[student] = digest
    if todo:
        backup_gradebook(course)

    start = time.monotonic()
    local = threading.local()
    workers_made: list[_Worker] = []
    lock = threading.Lock()

    def run(student: str) -> Outcome:
        if not hasattr(local, "worker"):
            local.worker = _Worker(course, assignment, level, limits)
            with lock:
                workers_made.append(local.worker)
        return local.worker.grade(student)

    interrupted = False
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission")
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = {pool.submit(run, s): s for s in todo}
    try:
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.student] = outcome
            if outcome.status == "graded":
                write_journal(course, assignment, outcome.student, {
                    "status": "graded", "hash": todo[outcome.student], "score": outcome.score,
                    "max_score": outcome.max_score, "problems": outcome.problems, "sandbox": level,
                    "seconds": round(outcome.seconds, 1), "graded_at": dt.datetime.now().isoformat(timespec="seconds")})
            if bar is not None:
                bar.set_postfix_str(f"{outcome.student}: {outcome.status}")
                bar.update()
    except KeyboardInterrupt:
        interrupted = True
        for future in futures:
            future.cancel()
        with lock:
            for worker in workers_made:
                worker.kill()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for worker in workers_made:
            worker.close()
        if bar is not None:
            bar.close()
    ordered = [outcomes[s] for s in submissions if s in outcomes]
    return GradeSummary(assignment, level, workers, ordered, time.monotonic() - start, interrupted)


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
