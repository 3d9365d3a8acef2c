"""The test-cell guards of every exercise (hepcourse.instructor.guards).

`own_code` refuses an answer that calls a reference, however it reached it, and leaves alone an
answer that merely imports one; `stderr_as_output` keeps a warning from zeroing a graded cell
(checked in a real Jupyter kernel, where nbgrader's rule applies).
"""

from __future__ import annotations

import functools
import sys
import types
from pathlib import Path

import nbformat
import pytest

from hepcourse.instructor.guards import own_code

def _reference_module():
    module = types.ModuleType("toy_reference")
    exec("def double(x):\n    return 2 * x\n\ndef square(x):\n    return x * x\n", module.__dict__)
    return module


def _student(source: str, **names):
    namespace = dict(names)
    exec(source, namespace)
    return namespace["answer"]


@pytest.mark.unit
def test_own_code_runs_the_answer_and_restores_the_reference():
    reference = _reference_module()
    call = own_code((reference, ("double", "square")))
    assert call(_student("def answer(x):\n    return x + x\n"), 4) == 8
    assert reference.double(3) == 6 and reference.square(3) == 9, "the references were not restored"


@pytest.mark.unit
def test_merely_importing_the_reference_costs_nothing():
    reference = _reference_module()
    call = own_code((reference, ("double",)))
    answer = _student("def answer(x):\n    return x + x\n", double=reference.double, ref=reference)
    assert call(answer, 5) == 10


@pytest.mark.unit
@pytest.mark.parametrize("how", ["itself", "alias", "module", "lambda", "partial"])
def test_calling_the_reference_fails_however_it_was_reached(how):
    reference = _reference_module()
    call = own_code((reference, ("double", "square")), what="the toy reference")
    answer = {
        "itself": reference.double,
        "alias": _student("def answer(x):\n    return twice(x)\n", twice=reference.double),
        "module": _student("def answer(x):\n    return ref.square(x) / x * 2\n", ref=reference),
        "lambda": (lambda f: (lambda x: f(x)))(reference.double),
        "partial": functools.partial(reference.square),
    }[how]
    with pytest.raises(AssertionError, match="not by calling the toy reference"):
        call(answer, 3)
    assert reference.double(3) == 6 and reference.square(3) == 9, "the references were not restored"


@pytest.mark.unit
def test_own_code_refuses_what_it_cannot_disable():
    module = types.ModuleType("toy")
    module.builtin = len
    with pytest.raises(TypeError, match="not a plain Python function"):
        own_code((module, ("builtin",)))
    with pytest.raises(ValueError, match="at least one"):
        own_code()


@pytest.mark.grading
def test_a_warning_in_a_test_cell_is_output_not_a_failure(tmp_path):
    """In a kernel, after the setup cell's stderr_as_output(), Python warnings, prints to
    sys.stderr and writes to file descriptor 2 come out as stdout, so nbgrader's rule (stderr
    scores 0) never fires; an exception still fails the cell."""
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade

    graded = {"nbgrader": {"grade": True, "grade_id": "t", "points": 1, "locked": True, "solution": False,
                           "schema_version": 3}}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from hepcourse.instructor.guards import stderr_as_output\nstderr_as_output()"),
        nbformat.v4.new_code_cell(
            "import os, sys, warnings\nwarnings.warn('a harmless warning')\nprint('to stderr', file=sys.stderr)\n"
            "_ = os.write(2, b'from C++\\n')", metadata=graded),
        nbformat.v4.new_code_cell("raise AssertionError('a failed test')", metadata=graded),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    warned, failed = nb.cells[1], nb.cells[2]
    text = "".join(o.get("text", "") for o in warned.outputs)
    assert all(o.get("name") != "stderr" for o in warned.outputs), warned.outputs
    assert "a harmless warning" in text and "to stderr" in text, warned.outputs
    assert determine_grade(warned, None) == (1, 1)
    assert determine_grade(failed, None) == (0, 1)


@pytest.mark.unit
def test_stderr_as_output_in_this_process(capsys, monkeypatch):
    from hepcourse.instructor import guards

    monkeypatch.setattr(sys, "stderr", sys.stderr)  # restored after the test
    monkeypatch.setattr(guards.os, "dup2", lambda *a: None)  # leave pytest's descriptors alone
    guards.stderr_as_output()
    print("hello", file=sys.stderr)
    captured = capsys.readouterr()
    assert "hello" in captured.out and "hello" not in captured.err


@pytest.mark.unit
def test_being_graded_follows_nbgrader(monkeypatch):
    from hepcourse.instructor.guards import being_graded
    from hepcourse.instructor.sandbox import Limits, kernel_env

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not being_graded()
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert not being_graded()
    monkeypatch.setenv("NBGRADER_EXECUTION", kernel_env(Path("/tmp/x"), Limits())["NBGRADER_EXECUTION"])
    assert being_graded()
