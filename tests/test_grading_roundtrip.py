"""The exercise through nbgrader itself: release matches the source, and autograding (with
`hepcourse grade`, i.e. nbgrader's autograder with the kernel in the sandbox) gives every
submission of tests/exercise_variants exactly its stated points per test cell: full marks to the
solution and to correct answers written differently, 0 to the untouched release, and to each
plausible mistake the loss of its own task's points only."""

import ast
import json
import re
import typing
from pathlib import Path

import nbformat
import pytest

import exercise_variants

from hepcourse import selfchecks
from hepcourse.instructor.autograde import grade
from hepcourse.instructor.course import Course, find_leaks, generate_in_copy, secret_lines

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def _make_course(tmp_path: Path, assignment: str) -> Path:
    return generate_in_copy(ROOT, assignment, tmp_path / "course")


def _normalised(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, json.dumps(c.metadata.get("nbgrader", {}), sort_keys=True)) for c in nb.cells]


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    return request.param, _make_course(tmp_path_factory.mktemp(request.param), request.param)


def test_committed_release_equals_fresh_generate_assignment(course):
    assignment, path = course
    fresh = path / "exercises" / assignment / f"{assignment}.ipynb"
    committed = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    assert committed.exists(), f"exercises/{assignment} is missing: run `make release`"
    assert _normalised(committed) == _normalised(fresh), (
        f"exercises/{assignment} is out of date with solutions/{assignment}: run `make release`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_test_cells_do_not_end_in_a_value(assignment):
    """nbgrader takes a number shown as a test cell's result as that cell's partial credit, so a
    test ending in e.g. ``check_classifier_auc(...)`` (which returns the AUC) would score the AUC
    instead of full points. Every graded test cell must end in a statement, not an expression."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    offending = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        body = ast.parse(code).body
        if body and isinstance(body[-1], ast.Expr) and not _returns_none(body[-1].value):
            offending.append(f"{meta['grade_id']}: {ast.unparse(body[-1])[:80]}")
    assert not offending, f"graded test cells whose last line leaves a value (nbgrader partial credit): {offending}"


def _returns_none(node) -> bool:
    """True for a call to print() or to a hepcourse.selfchecks function annotated ``-> None``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "selfchecks":
        target = getattr(selfchecks, func.attr, None)
        return target is not None and typing.get_type_hints(target).get("return") is type(None)
    return False


def test_release_holds_no_solution_or_hidden_test(course):
    assignment, _ = course
    source = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    assert secret_lines(source), "no solution lines found in the source: are the markers spelled right?"
    leaks = find_leaks(source, ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    assert not leaks, f"solution or hidden-test text leaked into the release: {leaks[:5]}"


def test_leak_check_finds_a_leaked_line_and_a_marker(tmp_path):
    source = ROOT / "solutions" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    nb = nbformat.read(source, as_version=4)
    leaked = sorted(secret_lines(source))[0]
    release = tmp_path / "release.ipynb"
    nb.cells = [nbformat.v4.new_code_cell(f"x = 1\n{leaked}")]
    nbformat.write(nb, release)
    assert find_leaks(source, release) == [f"line {leaked!r}"]
    nb.cells = [nbformat.v4.new_code_cell("### END SOLUTION")]
    nbformat.write(nb, release)
    assert find_leaks(source, release) == ["marker 'END SOLUTION'"]


def _student_id(kind: str, name: str) -> str:
    return f"{kind}-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def test_autograde_round_trip(course):
    """Every submission graded by `hepcourse grade` gets exactly its stated points in every test
    cell: the solution and each correct variant full marks, the untouched release 0, each wrong
    variant loses exactly the points of its own task."""
    assignment, path = course
    variants = exercise_variants.variants(assignment)  # tests/exercise_variants/x<assignment>.py
    source_nb = path / "solutions" / assignment / f"{assignment}.ipynb"
    release_nb = path / "exercises" / assignment / f"{assignment}.ipynb"
    submissions = {"solution": nbformat.read(source_nb, as_version=4),
                   "untouched": nbformat.read(release_nb, as_version=4)}
    loses = {"solution": {}, "untouched": None}
    for kind, table in (("correct", variants.CORRECT), ("wrong", variants.WRONG)):
        for name, variant in table.items():
            student = _student_id(kind, name)
            submissions[student] = variant.make(source_nb)
            loses[student] = dict(variant.loses)
    for student, nb in submissions.items():
        target = path / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    # what instructors run: nbgrader's autograder, 2 submissions at a time, each in the sandbox
    summary = grade(Course(path), assignment, workers=2, progress=False)
    assert not summary.by_status("failed"), summary.table()

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path / 'gradebook.db'}") as gb:
        total = gb.find_assignment(assignment).max_score
        per_cell = {
            s: {g.name: (g.score, g.max_score) for g in gb.find_submission_notebook(assignment, assignment, s).grades}
            for s in submissions
        }
    assert total == variants.TOTAL
    problems = []
    for student, cells in per_cell.items():
        for grade_id, (score, max_score) in sorted(cells.items()):
            lost = loses[student]
            expected = 0 if lost is None else max_score - lost.get(grade_id, 0)
            if score != expected:
                problems.append(f"{student}: {grade_id} scored {score} of {max_score}, expected {expected}")
    assert not problems, "points per test cell differ from the stated ones:\n" + "\n".join(problems)
