"""The README's five instructor commands on a small course, and `hepcourse validate` for students."""

from __future__ import annotations

import csv

import nbformat
import pytest

import grading_course as gc
from hepcourse import cli
from hepcourse.instructor.course import Course

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = gc.make_course(tmp_path_factory.mktemp("cli") / "course")
    return Course(path)


def _submit_folder(course: Course, tmp_path):
    release_nb = nbformat.read(course.release / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", as_version=4)
    subs = {s.student: s for s in gc.class_submissions(release_nb, course.root)}
    folder = tmp_path / "inbox"
    for student in ("correct00", "wrongmean00", "blank00"):
        (folder / student).mkdir(parents=True)
        nbformat.write(subs[student].notebook, folder / student / "my_work.ipynb")
    return folder, subs


@pytest.mark.slow
def test_release_collect_grade_feedback_grades(course, tmp_path, capsys):
    root = str(course.root)
    assert cli.main(["release", "00", "--course", root]) == 0
    assert "no solution text" in capsys.readouterr().out
    folder, subs = _submit_folder(course, tmp_path)
    assert cli.main(["collect", "00", "--from", str(folder), "--course", root]) == 0
    assert "3" in capsys.readouterr().out
    assert cli.main(["grade", "00", "--workers", "2", "--time-limit", "120", "--memory", "2G",
                     "--no-progress", "--course", root]) == 0
    table = capsys.readouterr().out
    assert "students               3" in table and "grader failures        0" in table
    assert cli.main(["feedback", "00", "--course", root]) == 0
    assert "3 feedback file(s)" in capsys.readouterr().out
    out_csv = tmp_path / "grades.csv"
    assert cli.main(["grades", "--csv", str(out_csv), "--course", root]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader(out_csv.open())}
    assert {s: float(rows[s][gc.ASSIGNMENT]) for s in rows} == {s: subs[s].expected for s in rows}


def test_commands_explain_what_is_wrong(tmp_path, capsys):
    assert cli.main(["grade", "01", "--course", str(tmp_path)]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err
    course = gc.make_course(tmp_path / "course")
    assert cli.main(["release", "99", "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "no assignment '99'" in err and "the assignments are: 00_kinematics" in err


@pytest.mark.slow
def test_validate_passes_a_solution_and_teaches_on_a_mistake(course, tmp_path, capsys):
    if not (course.release / gc.ASSIGNMENT).exists():
        assert cli.main(["release", "00", "--course", str(course.root)]) == 0
    release_nb = nbformat.read(course.release / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb", as_version=4)
    subs = {s.student: s for s in gc.class_submissions(release_nb, course.root)}
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(subs["correct00"].notebook, good)
    nbformat.write(subs["wrongmean00"].notebook, bad)
    capsys.readouterr()
    assert cli.main(["validate", str(good)]) == 0
    assert "every visible test passes" in capsys.readouterr().out
    assert cli.main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "VALIDATION FAILED" in out and "the mean of 1, 2, 3 is 2" in out
    assert cli.main(["validate", str(tmp_path / "missing.ipynb")]) == 2


@pytest.mark.slow
def test_hub_exchange_release_fetch_submit_collect(tmp_path, capsys):
    """The JupyterHub path: release to the exchange, a student fetches and submits with nbgrader,
    `hepcourse collect --exchange` brings the submission into submitted/."""
    import getpass
    import subprocess
    import sys

    from hepcourse.instructor.course import tool_env

    course = Course(gc.make_course(tmp_path / "course"))
    exchange = tmp_path / "exchange"
    assert cli.main(["release", "00", "--exchange", str(exchange), "--course", str(course.root)]) == 0
    assert "released to the exchange" in capsys.readouterr().out
    home = tmp_path / "student"
    home.mkdir()
    env = tool_env()
    for step in ("fetch_assignment", "submit"):
        result = subprocess.run([sys.executable, "-m", "nbgrader", step, gc.ASSIGNMENT, "--course", "hepcourse",
                                 f"--Exchange.root={exchange}"], cwd=home, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert cli.main(["collect", "00", "--course", str(course.root)]) == 2
    assert "exactly one of --from" in capsys.readouterr().err
    assert cli.main(["collect", "00", "--exchange", str(exchange), "--course", str(course.root)]) == 0
    assert (course.submitted / getpass.getuser() / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb").is_file()
