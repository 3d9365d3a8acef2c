"""A small nbgrader course for testing the grading machinery, and a class of 30 submissions.

The assignment ``00_kinematics`` asks for two functions (6 points, three graded test cells,
one with hidden tests) and runs in about a second, so that thirty submissions - correct,
partial, blank and hostile ones - can be graded in a test. Each submission states the score
it must get. Hostile ones attack the grader: endless loops, memory, output floods, crashes,
tampered or deleted test cells, reading the hidden tests or other students' work, and
deleting or overwriting the gradebook.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00_kinematics"
POINTS = {"test_mean": 2, "test_mass": 3, "test_hidden": 1}

MEAN_SOLUTION = "    return sum(energies) / len(energies)"
MASS_SOLUTION = "    return max(e * e - px * px - py * py - pz * pz, 0.0) ** 0.5"


def _cell(source, grade_id, *, solution=False, grade=False, points=None, locked=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    cell.id = grade_id
    return cell


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    intro = nbformat.v4.new_markdown_cell("# Kinematics warm-up\nTwo functions, 6 points.")
    intro.id = "intro"
    nb.cells = [
        intro,
        _cell(f"def mean_energy(energies):\n    ### BEGIN SOLUTION\n{MEAN_SOLUTION}\n    ### END SOLUTION",
              "mean", solution=True),
        _cell("assert mean_energy([1.0, 2.0, 3.0]) == 2.0, 'the mean of 1, 2, 3 is 2'", "test_mean",
              grade=True, points=2, locked=True),
        _cell(f"def invariant_mass(e, px, py, pz):\n    ### BEGIN SOLUTION\n{MASS_SOLUTION}\n    ### END SOLUTION",
              "mass", solution=True),
        _cell("assert abs(invariant_mass(5.0, 3.0, 0.0, 4.0)) < 1e-9, 'a massless particle'\n"
              "### BEGIN HIDDEN TESTS\nassert abs(invariant_mass(10.0, 6.0, 0.0, 0.0) - 8.0) < 1e-9\n"
              "### END HIDDEN TESTS", "test_mass", grade=True, points=3, locked=True),
        _cell("### BEGIN HIDDEN TESTS\nassert mean_energy([5.0]) == 5.0\nassert abs(mean_energy([0.5, 1.5]) - 1.0) < 1e-12\n"
              "### END HIDDEN TESTS", "test_hidden", grade=True, points=1, locked=True),
    ]
    return nb


def make_course(path: Path) -> Path:
    """A course folder with the assignment's source (not yet released)."""
    (path / "solutions" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    nbformat.write(source_notebook(), path / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return path


@dataclasses.dataclass
class Submission:
    student: str
    kind: str
    notebook: nbformat.NotebookNode
    expected: int                 # points it must get
    note: str = ""


def _with(release: nbformat.NotebookNode, mean: str | None = None, mass: str | None = None) -> nbformat.NotebookNode:
    """The release notebook with the two answer cells' bodies replaced (None: left blank)."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "mean" and mean is not None:
            cell.source = f"def mean_energy(energies):\n{mean}"
        if grade_id == "mass" and mass is not None:
            cell.source = f"def invariant_mass(e, px, py, pz):\n{mass}"
    return nb


def _append(nb, grade_id, code):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source += "\n" + code
    return nb


def class_submissions(release: nbformat.NotebookNode, course: Path) -> list[Submission]:
    """Thirty submissions with the score each must get. ``course`` is the course folder, whose
    absolute paths the hostile submissions try to reach."""
    gradebook = course / "gradebook.db"
    source_nb = course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    other = course / "submitted" / "correct00" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    full = sum(POINTS.values())
    right = dict(mean=MEAN_SOLUTION, mass=MASS_SOLUTION)
    subs: list[Submission] = []

    def add(kind, nb, expected, note=""):
        subs.append(Submission(f"{kind}{sum(s.kind == kind for s in subs):02d}", kind, nb, expected, note))

    for _ in range(8):
        add("correct", _with(release, **right), full)
    for _ in range(3):
        add("wrongmean", _with(release, mean="    return sum(energies) / (len(energies) + 1)", mass=MASS_SOLUTION),
            POINTS["test_mass"])
    for _ in range(3):  # a sign error: the mass tests fail, the mean tests pass
        add("wrongmass", _with(release, mean=MEAN_SOLUTION, mass="    return (e * e - px * px - py * py + pz * pz) ** 0.5"),
            POINTS["test_mean"] + POINTS["test_hidden"])
    for _ in range(3):
        add("blank", nbformat.from_dict(release), 0)

    nb = _with(release)  # blank answers, test cells replaced by `pass`: the tests come back from the gradebook
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass"
    add("tampered", nb, 0, "test cells replaced by pass")

    nb = _with(release, mean="    return 0")
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    add("deleted", nb, 0, "test cells deleted")

    add("loop", _append(_with(release, **right), "mean", "while True:\n    pass"), full,
        "endless loop, stops at the cell limit")
    add("stubborn", _append(_with(release, **right), "mean",
                            "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass"),
        0, "endless loop that swallows the interrupt: the rest is not run")
    add("bigalloc", _append(_with(release, **right), "mean", "import numpy as np\nhuge = np.ones(3 * 2**27)  # 3 GiB: fine on the machine, past the limit"), full,
        "one 3 GiB allocation, past the address-space limit: MemoryError, the rest runs")
    add("memhog", _append(_with(release, **right), "mean",
                          "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import time\\nblocks = []\\n"
                          "for i in range(45):\\n    blocks.append(bytearray(b\"x\" * 2**25))\\n    time.sleep(0.02)\\n"
                          "time.sleep(600)'])"),
        0, "a child process grows past the memory limit: the kernel is stopped")
    add("flood", _append(_with(release, **right), "mean", "for i in range(400):\n    print('spam ' * 2000)"), full,
        "floods the output")
    add("raises", _with(release, mean="    raise RuntimeError('no idea')", mass=MASS_SOLUTION), POINTS["test_mass"])
    add("syntax", _with(release, mean=MEAN_SOLUTION, mass="    return e *** 2"),
        POINTS["test_mean"] + POINTS["test_hidden"])
    add("exits", _append(_with(release, **right), "mean", "import os\nos._exit(3)"), 0, "kills its own kernel")
    add("snoop", _append(_with(release, **right), "mass", f"""
import glob, os
found = []
for path in [{str(source_nb)!r}, {str(gradebook)!r}, {str(other)!r}, '/root/.bashrc', '/etc/shadow']:
    try:
        with open(path, 'rb') as handle:
            found.append((path, len(handle.read())))
    except OSError as problem:
        print('cannot read', path, type(problem).__name__)
found += [(p, -1) for p in glob.glob({str(course)!r} + '/**/*.ipynb', recursive=True)]
print('FOUND', found)
assert not found, 'the sandbox let me read ' + repr(found)
"""), full, "tries to read the hidden tests, the gradebook and another student's notebook")
    add("vandal", _append(_with(release, **right), "mass", f"""
import os, shutil
actions = {{'remove gradebook': lambda: os.remove({str(gradebook)!r}),
           'overwrite gradebook': lambda: open({str(gradebook)!r}, 'w').write('wiped'),
           'delete submissions': lambda: shutil.rmtree({str(course / 'submitted')!r})}}
for name, action in actions.items():
    try:
        action()
        print('VANDALISED', name)
    except OSError as problem:
        print('refused', name, type(problem).__name__)
# a link planted in the working folder, in case the grader writes through it afterwards
os.symlink({str(gradebook)!r}, '{ASSIGNMENT}.ipynb.link')
"""), full, "tries to delete and overwrite the gradebook and the other submissions")
    add("netcheck", _append(_with(release, **right), "mass", """
import socket
try:
    socket.create_connection(('127.0.0.1', 22), timeout=3)
    print('CONNECTED')
except OSError as problem:
    print('no network', type(problem).__name__)
"""), full, "tries to reach the network")
    assert len(subs) == 30, len(subs)
    return subs
