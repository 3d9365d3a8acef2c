"""`hepcourse check-source` on small synthetic source notebooks: every rule fires on a notebook
broken in just that way, and a good notebook passes."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hepcourse.cli import main
from hepcourse.instructor.check_source import check_notebook, fix_header, limits_text
from hepcourse.instructor.sandbox import Limits

pytestmark = pytest.mark.unit

LIMITS = limits_text()
HEADER = f"""# Exercise 99: a toy

**What is graded** (4 points, autograded):

| task | what you write | points |
|---|---|---|
| 1 | `double` - twice x | 1 |
| 2a | `square` - x squared | 1 |
| 2b | `cube` - x cubed | 2 |

**Limits**: the grader runs the notebook in a sandbox: at most {LIMITS['wall']} minutes for the notebook,
{LIMITS['cell']} minutes for one cell and {LIMITS['memory']} GB of memory."""


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "solution": solution, "schema_version": 3,
            "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution(grade_id, body):
    return new_code_cell(f"def {grade_id}(x):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION",
                         metadata=_meta(grade_id, solution=True))


def _test(grade_id, source, points, hidden="assert True"):
    return new_code_cell(f"{source}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS",
                         metadata=_meta(grade_id, grade=True, locked=True, points=points))


def good_notebook():
    return new_notebook(cells=[
        new_markdown_cell(HEADER),
        new_code_cell("import math\n\nfrom hepcourse.instructor.guards import stderr_as_output\n\nstderr_as_output()",
                      metadata=_meta("setup", locked=True)),
        new_markdown_cell("## Task 1: double (1 point)"),
        _solution("double", "return 2 * x"),
        _test("test_double", "assert double(2) == 4", 1),
        new_markdown_cell("## Task 2: powers (3 points)\n\n### Task 2 explained"),
        _solution("square", "return x * x"),
        _test("test_square", "assert square(3) == 9", 1),
        _solution("cube", "return x ** 3"),
        _test("test_cube", "assert cube(2) == 8", 2),
    ])


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _problems(tmp_path, nb, limits=None):
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    return [str(p) for p in check_notebook(path, limits=limits, name="toy.ipynb")]


def test_a_good_notebook_passes(tmp_path):
    assert _problems(tmp_path, good_notebook()) == []


def _duplicate_id(nb):
    _cell(nb, "test_square").metadata["nbgrader"]["grade_id"] = "test_double"


def _missing_id(nb):
    del _cell(nb, "setup").metadata["nbgrader"]["grade_id"]


def _no_points(nb):
    del _cell(nb, "test_double").metadata["nbgrader"]["points"]


def _zero_points(nb):
    _cell(nb, "test_double").metadata["nbgrader"]["points"] = 0


def _unlocked_test(nb):
    _cell(nb, "test_cube").metadata["nbgrader"]["locked"] = False


def _unclosed_solution(nb):
    cell = _cell(nb, "square")
    cell.source = cell.source.replace("    ### END SOLUTION", "")


def _end_without_begin(nb):
    cell = _cell(nb, "cube")
    cell.source = cell.source.replace("    ### BEGIN SOLUTION\n", "")


def _nested_hidden(nb):
    cell = _cell(nb, "test_cube")
    cell.source = cell.source.replace("### END HIDDEN TESTS", "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS")


def _misspelled_marker(nb):
    cell = _cell(nb, "double")
    cell.source = cell.source.replace("### BEGIN SOLUTION", "# BEGIN SOLUTION")


def _solution_in_test_cell(nb):
    cell = _cell(nb, "test_double")
    cell.source += "\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"


def _hidden_tests_in_solution_cell(nb):
    cell = _cell(nb, "double")
    cell.source += "\n### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"


def _hidden_tests_in_plain_cell(nb):
    nb.cells.insert(2, new_code_cell("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"))


def _stored_output(nb):
    cell = _cell(nb, "setup")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]


def _execution_count(nb):
    _cell(nb, "setup").execution_count = 3


def _wrong_total(nb):
    nb.cells[0].source = nb.cells[0].source.replace("(4 points, autograded)", "(5 points, autograded)")


def _wrong_row(nb):
    nb.cells[0].source = nb.cells[0].source.replace("| `double` - twice x | 1 |", "| `double` - twice x | 2 |")


def _rows_do_not_split(nb):  # 2a and 2b still sum to 3, but the cells are 1 then 2
    nb.cells[0].source = (nb.cells[0].source.replace("x squared | 1 |", "x squared | 2 |")
                          .replace("x cubed | 2 |", "x cubed | 1 |"))


def _points_changed_in_cell(nb):  # the cell says 3, the header still 2 for task 2b
    _cell(nb, "test_cube").metadata["nbgrader"]["points"] = 3


def _wrong_heading_points(nb):
    nb.cells[2].source = "## Task 1: double (2 points)"


def _row_without_task(nb):
    nb.cells[0].source = nb.cells[0].source.replace("| 2b | `cube` - x cubed | 2 |",
                                                    "| 2b | `cube` - x cubed | 2 |\n| 3 | nothing | 0 |")


def _graded_cell_without_heading(nb):
    nb.cells.insert(2, _test("test_early", "assert True", 1))


def _no_header(nb):
    nb.cells[0].source = "# Exercise 99"


def _wrong_limits(nb):
    nb.cells[0].source = nb.cells[0].source.replace(f"{LIMITS['memory']} GB of memory", "99 GB of memory")


def _no_limits(nb):
    nb.cells[0].source = nb.cells[0].source.split("**Limits**")[0]


def _no_stderr_policy(nb):
    _cell(nb, "setup").source = "import math"


BROKEN = {
    _duplicate_id: "grade id 'test_double' is also used by cell 4",
    _missing_id: "nbgrader cell without a grade id",
    _no_points: "graded cell without points",
    _zero_points: "graded cell without points (points: 0)",
    _unlocked_test: "test cell is not locked",
    _unclosed_solution: "'### BEGIN SOLUTION' is never closed",
    _end_without_begin: "'### END SOLUTION' without a '### BEGIN SOLUTION'",
    _nested_hidden: "'### BEGIN HIDDEN TESTS' again before",
    _misspelled_marker: "must be written exactly '### BEGIN SOLUTION'",
    _solution_in_test_cell: "'### BEGIN SOLUTION' / '### END SOLUTION' may only be in solution cells",
    _hidden_tests_in_solution_cell: "may only be in graded test cells",
    _hidden_tests_in_plain_cell: "may only be in graded test cells",
    _stored_output: "output(s) stored",
    _execution_count: "execution count 3 stored",
    _wrong_total: "says 5 points in all; the graded cells have 4",
    _wrong_row: "the table gives task 1 2 point(s); the graded cells under 'Task 1' have 1",
    _rows_do_not_split: "do not split into the table's rows 2a=2, 2b=1",
    _points_changed_in_cell: "the table gives task 2a+2b 3 point(s); the graded cells under 'Task 2' have 4",
    _wrong_heading_points: "the heading says 2 points; its graded cells have 1",
    _row_without_task: "table row '3' (0 points) has no graded cell",
    _graded_cell_without_heading: "graded cell before any '## Task <id>' heading",
    _no_header: "no markdown cell with the '**What is graded**",
    _wrong_limits: "the limits say 15 min per notebook, 10 min per cell, 99 GB",
    _no_limits: "no limits sentence",
    _no_stderr_policy: "the setup cell does not call stderr_as_output()",
}


@pytest.mark.parametrize("breakage", list(BROKEN), ids=[f.__name__.strip("_") for f in BROKEN])
def test_each_rule_fires(tmp_path, breakage):
    nb = good_notebook()
    breakage(nb)
    problems = _problems(tmp_path, nb)
    assert any(BROKEN[breakage] in p for p in problems), problems
    assert all(p.startswith("toy.ipynb: ") for p in problems), problems


def test_problems_name_the_cell(tmp_path):
    nb = good_notebook()
    _unlocked_test(nb)
    assert _problems(tmp_path, nb) == [
        "toy.ipynb: cell 9 (test_cube): test cell is not locked (read-only): students could edit the test"]


def test_limits_follow_the_limits_object(tmp_path):
    problems = _problems(tmp_path, good_notebook(), limits=Limits(memory_bytes=4 * 2**30))
    assert len(problems) == 1 and "Limits() enforces 15, 10, 4" in problems[0], problems


def test_fix_rewrites_the_header(tmp_path):
    nb = good_notebook()
    _wrong_total(nb)
    _wrong_row(nb)
    _wrong_limits(nb)
    _wrong_heading_points(nb)
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    changes = fix_header(path)
    assert sorted(changes) == sorted(["total 5 -> 4", "table row 1: 2 -> 1", "heading Task 1: 2 -> 1",
                                      f"limits memory: 99 -> {LIMITS['memory']}"])
    assert check_notebook(path) == []
    assert nbformat.read(path, 4).cells[0].source == HEADER
    assert fix_header(path) == []


def test_cli_exit_status(tmp_path, capsys):
    course = tmp_path / "course"
    (course / "solutions" / "99_toy").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    path = course / "solutions" / "99_toy" / "99_toy.ipynb"
    nbformat.write(good_notebook(), path)
    assert main(["check-source", "--course", str(course), "--no-release"]) == 0
    assert "1 assignment(s) checked (99_toy): no problems" in capsys.readouterr().out
    nb = good_notebook()
    _unlocked_test(nb)
    nbformat.write(nb, path)
    assert main(["check-source", "99", "--course", str(course), "--no-release"]) == 1
    out = capsys.readouterr().out
    assert "solutions/99_toy/99_toy.ipynb: cell 9 (test_cube): test cell is not locked" in out
    assert "1 problem(s)" in out


def test_a_hidden_test_may_repeat_a_line_students_see(tmp_path):
    """A line of a hidden test that the source also shows outside the secret blocks (the setup's
    seeding, say) is no leak; a line only inside a solution or hidden block is."""
    from hepcourse.instructor.course import find_leaks, secret_lines

    setup = "keras.utils.set_random_seed(SEED)  # the seed of every training"
    source = new_notebook(cells=[
        new_code_cell(f"SEED = 0\n{setup}"),
        new_code_cell("### BEGIN SOLUTION\nanswer_of_the_task = 6 * 7 + 0\n### END SOLUTION"),
        new_code_cell(f"assert True\n### BEGIN HIDDEN TESTS\n{setup}\nsecret_check_of_task = 1 + 1\n### END HIDDEN TESTS"),
    ])
    path = tmp_path / "source.ipynb"
    nbformat.write(source, path)
    assert secret_lines(path) == {"answer_of_the_task = 6 * 7 + 0", "secret_check_of_task = 1 + 1"}
    release = tmp_path / "release.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(f"SEED = 0\n{setup}"), new_code_cell("assert True\n" + setup)]),
                   release)
    assert find_leaks(path, release) == []
    nbformat.write(new_notebook(cells=[new_code_cell("secret_check_of_task = 1 + 1")]), release)
    assert find_leaks(path, release) == ["line 'secret_check_of_task = 1 + 1'"]
