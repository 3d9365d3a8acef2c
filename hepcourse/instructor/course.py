"""An nbgrader course on disk: where things are, which assignment a week means, and the release.

A course folder is any folder with an ``nbgrader_config.py`` (this repository is one). Its
layout is nbgrader's, configured there: solutions/ (source with solutions and hidden tests),
exercises/ (student release), submitted/, autograded/, feedback/, gradebook.db. The
instructor tools keep their own state under ``.hepcourse/`` (grading journal, gradebook
backups, logs), which is never shown to student code.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


class CourseError(ValueError):
    """The course folder or an assignment is not what a command needs; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def find(cls, path: str | os.PathLike | None = None) -> "Course":
        """The course at ``path`` (default: the current folder or its nearest parent with an
        nbgrader_config.py)."""
        start = Path(path or os.getcwd()).resolve()
        for folder in (start, *start.parents) if path is None else (start,):
            if (folder / "nbgrader_config.py").is_file():
                return cls(folder)
        raise CourseError(f"{start} is not a course folder: it has no nbgrader_config.py "
                          "(run the command in the course, or pass --course DIR)")

    # nbgrader's folders (the names this course's nbgrader_config.py sets)
    @property
    def source(self) -> Path:
        return self.root / "solutions"

    @property
    def release(self) -> Path:
        return self.root / "exercises"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def state(self) -> Path:
        return self.root / ".hepcourse"

    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.source.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if self.source.is_dir() else []

    def assignment(self, week: str) -> str:
        """The assignment a WEEK argument means: its full name ('01_classification') or its number
        ('01' or '1')."""
        names = self.assignments()
        if week in names:
            return week
        if week.isdigit():
            matches = [n for n in names if n.split("_", 1)[0].isdigit() and int(n.split("_", 1)[0]) == int(week)]
            if len(matches) == 1:
                return matches[0]
        raise CourseError(f"no assignment {week!r} in {self.source}; the assignments are: "
                          f"{', '.join(names) or 'none'}")

    def notebooks(self, assignment: str) -> list[str]:
        """Notebook names (without .ipynb) of an assignment's source."""
        return sorted(p.stem for p in (self.source / assignment).glob("*.ipynb"))

    def student_submissions(self, assignment: str) -> dict[str, Path]:
        """{student id: submitted/<id>/<assignment>} for every student who submitted."""
        out = {}
        if self.submitted.is_dir():
            for folder in sorted(self.submitted.iterdir()):
                if folder.name.startswith(".") or not folder.is_dir():
                    continue
                if not STUDENT_ID.match(folder.name):
                    raise CourseError(f"submitted/{folder.name}: not a valid student id "
                                      "(letters, digits and . _ @ + - only)")
                if (folder / assignment).is_dir():
                    out[folder.name] = folder / assignment
        return out

    def nbgrader(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
        """Run an nbgrader command in the course (raises NbgraderError, a ValueError, on failure)."""
        return run_nbgrader(self.root, *args, timeout=timeout)


def tool_env() -> dict[str, str]:
    """This environment with the interpreter's bin folder first on PATH: nbgrader runs console
    scripts (alembic) by name, and they must come from the course's environment."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


class NbgraderError(ValueError):
    """An nbgrader command failed; the message holds the command and the end of its output.

    A ``ValueError`` so that callers (the CLI) report it like any other user-facing error.
    """


def run_nbgrader(course_root: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader ARGS`` in the course with this interpreter.

    nbgrader finds the course's ``nbgrader_config.py`` in its working directory and calls
    console scripts such as ``alembic`` by name, so the interpreter's bin folder goes first on
    PATH. Raises :class:`NbgraderError` when nbgrader exits with an error.
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course_root, env=tool_env(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise NbgraderError(f"`nbgrader {' '.join(args)}` failed (exit {result.returncode}) in "
                            f"{course_root}:\n{output}")
    return result


def generate_in_copy(course_root: Path, assignment: str, target: Path) -> Path:
    """Run ``nbgrader generate_assignment`` for ``assignment`` in a fresh copy of the course at
    ``target`` (its nbgrader_config.py and the assignment's source only) and return the copy.

    The course itself is not touched (no gradebook.db, no exercises/ written); the release is
    ``target/exercises/<assignment>/``."""
    target = Path(target)
    (target / "solutions").mkdir(parents=True)
    shutil.copy(Path(course_root) / "nbgrader_config.py", target)
    shutil.copytree(Path(course_root) / "solutions" / assignment, target / "solutions" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    run_nbgrader(target, "generate_assignment", assignment, "--force")
    return target


def find_leaks(source_nb: Path, release_nb: Path) -> list[str]:
    """Solution or hidden-test text that appears in a released notebook (empty when clean).

    Checks the nbgrader markers themselves (a misspelled marker ships its block) and every
    line of 20+ characters from a solution or hidden-test block of the source."""
    release_text = release_nb.read_text()
    leaks = [f"marker {m!r}" for m in MARKERS if m in release_text]
    secret = secret_lines(source_nb)
    release = nbformat.reads(release_text, as_version=4)
    shown = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    leaks += [f"line {line!r}" for line in sorted(secret & shown)]
    return leaks


def secret_lines(source_nb: Path) -> set[str]:
    """Lines (20+ characters) of the solution and hidden-test blocks of a source notebook, less
    those that the source also shows students outside such blocks (a hidden test may repeat a
    line of the setup cell, e.g. ``keras.utils.set_random_seed(SEED)``: that is no leak)."""
    source = nbformat.read(source_nb, as_version=4)
    secret, public = set(), set()
    for cell in source.cells:
        blocks = SOLUTION_BLOCK.findall(cell.source) + HIDDEN_BLOCK.findall(cell.source)
        secret |= {line.strip() for block in blocks for line in block.splitlines()}
        shown = HIDDEN_BLOCK.sub("", SOLUTION_BLOCK.sub("", cell.source))
        public |= {line.strip() for line in shown.splitlines()}
    return {line for line in secret - public if len(line) > 20}


@dataclasses.dataclass
class ReleaseReport:
    assignment: str
    notebooks: list[Path]
    exchange: Path | None

    def summary(self) -> str:
        where = (f"released to the exchange {self.exchange} (students fetch it in the Assignments tab)"
                 if self.exchange else f"students get it from {self.notebooks[0].parent} (commit and push it, or "
                                       "hand out the folder)")
        return f"{self.assignment}: {len(self.notebooks)} notebook(s) generated, no solution text in them; {where}"


def release(course: Course, week: str, *, exchange: str | os.PathLike | None = None) -> ReleaseReport:
    """Generate the student version of an assignment, refuse it if any solution leaked, and put
    it where students get it: the release folder, and the nbgrader exchange (a JupyterHub's
    /srv/nbgrader/exchange) when ``exchange`` is given."""
    assignment = course.assignment(week)
    course.nbgrader("generate_assignment", assignment, "--force")
    notebooks = []
    for name in course.notebooks(assignment):
        released = course.release / assignment / f"{name}.ipynb"
        leaks = find_leaks(course.source / assignment / f"{name}.ipynb", released)
        if leaks:
            released.unlink()
            raise CourseError(f"{released} held solution text and was deleted: {leaks[:5]}; check the "
                              "### BEGIN/END SOLUTION and HIDDEN TESTS markers of the source")
        notebooks.append(released)
    exchange_root = Path(exchange) if exchange else None
    if exchange_root is not None:
        exchange_root.mkdir(parents=True, exist_ok=True)
        course.nbgrader("release_assignment", assignment, "--force", f"--Exchange.root={exchange_root}")
    return ReleaseReport(assignment, notebooks, exchange_root)


def collect_from_exchange(course: Course, week: str, exchange: str | os.PathLike) -> str:
    """Bring in what students submitted through a JupyterHub's nbgrader exchange (their
    Submit button): nbgrader's own ``collect``, which writes submitted/<student>/<assignment>/."""
    assignment = course.assignment(week)
    result = course.nbgrader("collect", assignment, "--update", f"--Exchange.root={Path(exchange)}")
    return (result.stdout + result.stderr).strip()
