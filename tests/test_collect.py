"""hepcourse.instructor.collect: LMS exports (Moodle, Canvas, ILIAS, plain folders) into
submitted/<student>/<assignment>/, with duplicates, broken files, unsafe archives, a roster,
idempotence and the "nothing lost" move of a replaced submission."""

import csv
import os
import stat
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from hepcourse.instructor.collect import (
    NBGRADER_TIMESTAMP_FORMAT,
    collect,
    read_roster,
    validate_student_id,
)

pytestmark = pytest.mark.unit

ASSIGNMENT = "hw1"
STAMP_1 = (2025, 11, 3, 14, 7, 12)
STAMP_2 = (2025, 11, 4, 9, 30, 0)
STAMP_3 = (2025, 11, 5, 18, 0, 2)


def notebook(text: str) -> bytes:
    """A tiny valid notebook whose only cell holds ``text`` (so contents tell students apart);
    the same text gives the same bytes (a fixed cell id instead of nbformat's random one)."""
    return nbformat.writes(new_notebook(cells=[new_code_cell(text, id="cell-1")])).encode()


def nbgrader_stamp(date_time: tuple) -> str:
    return datetime(*date_time, tzinfo=timezone.utc).strftime(NBGRADER_TIMESTAMP_FORMAT)


def make_zip(path: Path, entries: list) -> Path:
    """entries: (name, bytes) or (name, bytes, date_time) or a ready zipfile.ZipInfo with bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            if isinstance(entry[0], zipfile.ZipInfo):
                archive.writestr(entry[0], entry[1])
                continue
            name, data, *rest = entry
            info = zipfile.ZipInfo(name, date_time=rest[0] if rest else STAMP_1)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


@pytest.fixture
def course(tmp_path):
    """A course with a one-notebook release (hw1) and a two-notebook release (hw2)."""
    root = tmp_path / "course"
    (root / "exercises" / ASSIGNMENT).mkdir(parents=True)
    (root / "exercises" / ASSIGNMENT / "hw1.ipynb").write_bytes(notebook("# release"))
    (root / "exercises" / "hw2").mkdir(parents=True)
    for name in ("part1.ipynb", "part2.ipynb"):
        (root / "exercises" / "hw2" / name).write_bytes(notebook("# release"))
    return root


def submitted(course: Path, student: str, assignment: str = ASSIGNMENT) -> Path:
    return course / "submitted" / student / assignment


def tree(root: Path) -> dict:
    """Every file under root -> (bytes, mtime_ns): compares contents and whether files were rewritten."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_roster(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# ----------------------------------------------------------------------------- layouts


def test_moodle_flat_zip(course, tmp_path):
    source = make_zip(tmp_path / "moodle.zip", [
        ("Jane Doe_4711_assignsubmission_file_my_solution.ipynb", notebook("jane"), STAMP_1),
        ("John Smith_4712_assignsubmission_file_hw1.ipynb", notebook("john"), STAMP_2),
        ("John Smith_4712_assignsubmission_file_report.pdf", b"%PDF-1.4", STAMP_2),
        ("John Smith_4712_assignsubmission_onlinetext_onlinetext.html", b"<p>hi</p>", STAMP_2),
    ])
    report = collect(course, ASSIGNMENT, source, zip_timezone="UTC")

    assert report.layout == "moodle"
    assert report.students == ["4711", "4712"]
    assert (submitted(course, "4711") / "hw1.ipynb").read_bytes() == notebook("jane")  # renamed, bytes kept
    assert (submitted(course, "4712") / "hw1.ipynb").read_bytes() == notebook("john")
    assert sorted(p.name for p in submitted(course, "4711").iterdir()) == ["hw1.ipynb", "timestamp.txt"]
    assert (submitted(course, "4711") / "timestamp.txt").read_text() == "2025-11-03 14:07:12.000000 UTC"
    assert (submitted(course, "4712") / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_2)
    assert report.ignored == ["John Smith_4712_assignsubmission_file_report.pdf",
                              "John Smith_4712_assignsubmission_onlinetext_onlinetext.html"]
    assert [s.name for s in report.collected] == ["Jane Doe", "John Smith"]
    assert not report.duplicates and not report.invalid and not report.rejected and not report.missing


def test_timestamp_is_what_nbgrader_reads(course, tmp_path):
    from nbgrader.utils import parse_utc

    source = make_zip(tmp_path / "m.zip", [("Jane Doe_4711_assignsubmission_file_hw1.ipynb", notebook("x"), STAMP_3)])
    collect(course, ASSIGNMENT, source, zip_timezone="UTC")
    assert parse_utc((submitted(course, "4711") / "timestamp.txt").read_text()) == datetime(*STAMP_3)


def test_moodle_folders_skip_macosx_and_checkpoints(course, tmp_path):
    source = make_zip(tmp_path / "moodle.zip", [
        ("Jane Doe_4711_assignsubmission_file_/hw1.ipynb", notebook("jane")),
        ("Jane Doe_4711_assignsubmission_file_/.ipynb_checkpoints/hw1-checkpoint.ipynb", notebook("old")),
        ("__MACOSX/Jane Doe_4711_assignsubmission_file_/._hw1.ipynb", b"\x00\x05\x16\x07"),
        ("John Smith_4712_assignsubmission_file_/solution.ipynb", notebook("john")),
    ])
    report = collect(course, ASSIGNMENT, source)
    assert report.layout == "moodle"
    assert report.students == ["4711", "4712"]
    assert (submitted(course, "4711") / "hw1.ipynb").read_bytes() == notebook("jane")
    assert not report.duplicates and not report.invalid and not report.ignored and not report.rejected


def test_canvas_late_and_resubmission_suffix_wins(course, tmp_path):
    source = make_zip(tmp_path / "canvas.zip", [
        # the -1 re-upload is the one to keep, even though its zip date is older
        ("doejane_12345_6789012_hw1.ipynb", notebook("first"), STAMP_3),
        ("doejane_12345_6789012_hw1-1.ipynb", notebook("second"), STAMP_1),
        ("smithjohn_LATE_12346_6789013_solution.ipynb", notebook("john"), STAMP_2),
    ])
    report = collect(course, ASSIGNMENT, source, zip_timezone="UTC")

    assert report.layout == "canvas"
    assert report.students == ["12345", "12346"]
    assert (submitted(course, "12345") / "hw1.ipynb").read_bytes() == notebook("second")
    assert (submitted(course, "12345") / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_1)
    assert (submitted(course, "12346") / "hw1.ipynb").read_bytes() == notebook("john")
    [duplicate] = report.duplicates
    assert (duplicate.student_id, duplicate.kept, duplicate.dropped) == (
        "12345", "doejane_12345_6789012_hw1-1.ipynb", ["doejane_12345_6789012_hw1.ipynb"])


def test_ilias_wrapped_folders_with_login_roster(course, tmp_path):
    source = make_zip(tmp_path / "ilias.zip", [
        ("Uebung 1/Doe_Jane_jdoe_4711/hw1.ipynb", notebook("jane")),
        ("Uebung 1/van_Berg_Anna_aberg/solution.ipynb", notebook("anna")),
        ("Uebung 1/Who_Someone_stranger/hw1.ipynb", notebook("stranger")),
    ])
    roster = write_roster(tmp_path / "roster.csv", [
        {"student_id": "s1001", "login": "JDOE", "email": "jane@uni.example"},
        {"student_id": "s1002", "login": "aberg", "email": ""},
        {"student_id": "s1003", "login": "cmiss", "email": "carl@uni.example"},
    ])
    report = collect(course, ASSIGNMENT, source, roster=roster)

    assert report.layout == "ilias"
    assert report.students == ["s1001", "s1002"]
    assert (submitted(course, "s1001") / "hw1.ipynb").read_bytes() == notebook("jane")
    assert (submitted(course, "s1002") / "hw1.ipynb").read_bytes() == notebook("anna")
    assert report.missing == ["s1003"]
    assert report.not_in_roster == ["stranger"]
    assert not submitted(course, "stranger").exists()
    assert "stranger" in report.summary() and "s1003" in report.summary()


def test_plain_folder_source_with_mtime(course, tmp_path):
    source = tmp_path / "export"
    files = {"alice/whatever.ipynb": "alice", "bob/hw1/hw1.ipynb": "bob", "carol.ipynb": "carol"}
    for relative, text in files.items():
        path = source / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(notebook(text))
    (source / "alice" / "data.csv").write_text("1,2\n")
    moment = datetime(2025, 11, 4, 9, 30, 0, tzinfo=timezone.utc).timestamp()
    os.utime(source / "alice" / "whatever.ipynb", (moment, moment))

    report = collect(course, ASSIGNMENT, source)

    assert report.layout == "plain"
    assert report.students == ["alice", "bob", "carol"]
    for student, text in (("alice", "alice"), ("bob", "bob"), ("carol", "carol")):
        assert (submitted(course, student) / "hw1.ipynb").read_bytes() == notebook(text)
    assert (submitted(course, "alice") / "timestamp.txt").read_text() == "2025-11-04 09:30:00.000000 UTC"
    assert report.ignored == ["alice/data.csv"]


def test_single_wrapper_folder_is_stripped(course, tmp_path):
    source = make_zip(tmp_path / "wrapped.zip", [("submissions/alice/a.ipynb", notebook("a")),
                                                 ("submissions/bob/b.ipynb", notebook("b"))])
    report = collect(course, ASSIGNMENT, source)
    assert report.students == ["alice", "bob"]


def test_unknown_layout_names_the_file_and_the_patterns(course, tmp_path):
    source = make_zip(tmp_path / "odd.zip", [("alice/deep/er/x.ipynb", notebook("a")),
                                             ("bob/y.ipynb", notebook("b"))])
    with pytest.raises(ValueError) as error:
        collect(course, ASSIGNMENT, source)
    message = str(error.value)
    assert "alice/deep/er/x.ipynb" in message
    for pattern in ("Moodle", "Canvas", "ILIAS", "<student_id>/<file>.ipynb"):
        assert pattern in message
    assert not (course / "submitted").exists()


def test_forced_layout_that_does_not_fit(course, tmp_path):
    source = make_zip(tmp_path / "plain.zip", [("alice/a.ipynb", notebook("a"))])
    with pytest.raises(ValueError, match="does not fit the canvas layout"):
        collect(course, ASSIGNMENT, source, layout="canvas")


def test_no_notebooks_at_all(course, tmp_path):
    source = make_zip(tmp_path / "pdf.zip", [("alice/report.pdf", b"%PDF")])
    with pytest.raises(ValueError, match=r"no \.ipynb notebooks found.*alice/report.pdf"):
        collect(course, ASSIGNMENT, source)


# ----------------------------------------------------------------------------- duplicates, broken files


def test_broken_notebooks_are_reported_and_an_older_valid_one_is_used(course, tmp_path):
    source = make_zip(tmp_path / "plain.zip", [
        ("alice/old.ipynb", notebook("alice valid"), STAMP_1),
        ("alice/new.ipynb", b'{"cells": [', STAMP_2),  # truncated upload
        ("bob/hw1.ipynb", b"\x89PNG not json", STAMP_1),
        ("carol/hw1.ipynb", b'{"just": "json"}', STAMP_1),
    ])
    report = collect(course, ASSIGNMENT, source)

    assert report.students == ["alice"]
    assert (submitted(course, "alice") / "hw1.ipynb").read_bytes() == notebook("alice valid")
    assert [p.path for p in report.invalid] == ["alice/new.ipynb", "bob/hw1.ipynb", "carol/hw1.ipynb"]
    assert "not JSON" in report.invalid[0].reason
    assert not submitted(course, "bob").exists() and not submitted(course, "carol").exists()
    assert report.missing == []  # no roster: nobody is known to be missing


def test_duplicates_keep_the_newest(course, tmp_path):
    source = make_zip(tmp_path / "plain.zip", [
        ("alice/draft.ipynb", notebook("draft"), STAMP_1),
        ("alice/final.ipynb", notebook("final"), STAMP_3),
        ("alice/middle.ipynb", notebook("middle"), STAMP_2),
    ])
    report = collect(course, ASSIGNMENT, source, zip_timezone="UTC")
    assert (submitted(course, "alice") / "hw1.ipynb").read_bytes() == notebook("final")
    assert (submitted(course, "alice") / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_3)
    [duplicate] = report.duplicates
    assert duplicate.kept == "alice/final.ipynb"
    assert duplicate.dropped == ["alice/middle.ipynb", "alice/draft.ipynb"]
    assert "alice/draft.ipynb" in report.summary()


def test_several_notebooks_are_matched_by_name(course, tmp_path):
    source = make_zip(tmp_path / "plain.zip", [
        ("alice/Part1.ipynb", notebook("p1"), STAMP_1),
        ("alice/part_2.ipynb", notebook("p2"), STAMP_2),
        ("alice/scratch.ipynb", notebook("scratch"), STAMP_3),
    ])
    report = collect(course, "hw2", source, zip_timezone="UTC")
    folder = submitted(course, "alice", "hw2")
    assert sorted(p.name for p in folder.iterdir()) == ["part1.ipynb", "part2.ipynb", "timestamp.txt"]
    assert (folder / "part1.ipynb").read_bytes() == notebook("p1")
    assert (folder / "part2.ipynb").read_bytes() == notebook("p2")
    assert (folder / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_2)  # newest collected notebook
    assert [(p.path, "matches none" in p.reason) for p in report.rejected] == [("alice/scratch.ipynb", True)]


# ----------------------------------------------------------------------------- safety


def test_zip_slip_symlink_and_oversize_entries_are_rejected(course, tmp_path):
    link = zipfile.ZipInfo("mallory/link.ipynb", date_time=STAMP_1)
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    source = make_zip(tmp_path / "evil.zip", [
        ("../../escape.ipynb", notebook("evil")),
        ("/etc/abs.ipynb", notebook("evil")),
        ("alice/../../x.ipynb", notebook("evil")),
        (link, b"/etc/passwd"),
        ("bob/huge.ipynb", notebook("x" * 5000)),
        ("alice/hw1.ipynb", notebook("alice")),
    ])
    report = collect(course, ASSIGNMENT, source, max_file_bytes=2000)

    assert report.students == ["alice"]
    reasons = {p.path: p.reason for p in report.rejected}
    assert "zip slip" in reasons["../../escape.ipynb"]
    assert "zip slip" in reasons["/etc/abs.ipynb"]
    assert "zip slip" in reasons["alice/../../x.ipynb"]
    assert "symbolic link" in reasons["mallory/link.ipynb"]
    assert "per-file limit" in reasons["bob/huge.ipynb"]
    assert not (tmp_path / "escape.ipynb").exists() and not (course / "escape.ipynb").exists()
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice"]


def test_archive_over_the_total_limit_is_refused_before_reading(course, tmp_path):
    source = make_zip(tmp_path / "bomb.zip", [("alice/hw1.ipynb", notebook("a")),
                                              ("alice/zeros.bin", b"\0" * 100_000)])
    with pytest.raises(ValueError, match="max_total_bytes"):
        collect(course, ASSIGNMENT, source, max_total_bytes=50_000)
    assert not (course / "submitted").exists()


def test_student_ids_must_be_safe_folder_names(course, tmp_path):
    for bad in ("..", "a/b", ".previous", "", "a b", "x..y", "a\\b"):
        with pytest.raises(ValueError, match="not a valid student id"):
            validate_student_id(bad)
    assert validate_student_id("s123.doe@uni-x_y") == "s123.doe@uni-x_y"
    source = tmp_path / "export"
    (source / "Jane Doe").mkdir(parents=True)
    (source / "Jane Doe" / "hw1.ipynb").write_bytes(notebook("jane"))
    (source / "bob").mkdir()
    (source / "bob" / "hw1.ipynb").write_bytes(notebook("bob"))
    report = collect(course, ASSIGNMENT, source)
    assert report.students == ["bob"]
    assert [p.path for p in report.rejected] == ["Jane Doe/hw1.ipynb"]
    assert "not a valid student id" in report.rejected[0].reason


def test_zip_extended_timestamp_is_utc_whatever_the_zip_timezone(course, tmp_path):
    info = zipfile.ZipInfo("alice/hw1.ipynb", date_time=(1999, 1, 1, 0, 0, 0))
    utc_seconds = int(datetime(2025, 11, 5, 18, 0, 2, tzinfo=timezone.utc).timestamp())
    info.extra = struct.pack("<HHBI", 0x5455, 5, 1, utc_seconds)
    source = make_zip(tmp_path / "ut.zip", [(info, notebook("a"))])
    collect(course, ASSIGNMENT, source, zip_timezone="UTC")
    assert (submitted(course, "alice") / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_3)


# ----------------------------------------------------------------------------- roster


def test_roster_maps_lms_ids_to_student_ids(course, tmp_path):
    source = make_zip(tmp_path / "moodle.zip", [
        ("Jane Doe_4711_assignsubmission_file_hw1.ipynb", notebook("jane")),
        ("Eve Unknown_9999_assignsubmission_file_hw1.ipynb", notebook("eve")),
    ])
    roster = write_roster(tmp_path / "roster.csv", [
        {"student_id": "s1001", "lms_id": "4711", "first_name": "Jane"},
        {"student_id": "s1002", "lms_id": "4712", "first_name": "John"},
    ])
    report = collect(course, ASSIGNMENT, source, roster=roster)
    assert report.students == ["s1001"]
    assert report.collected[0].lms_id == "4711"
    assert (submitted(course, "s1001") / "hw1.ipynb").read_bytes() == notebook("jane")
    assert report.missing == ["s1002"]
    assert report.not_in_roster == ["9999"]
    assert not (course / "submitted" / "9999").exists()


def test_roster_errors_name_the_problem(tmp_path):
    no_id_column = tmp_path / "a.csv"
    no_id_column.write_text("name,email\nJane,jane@x\n")
    with pytest.raises(ValueError, match="student_id column"):
        read_roster(no_id_column)
    bad_id = tmp_path / "b.csv"
    bad_id.write_text("student_id,lms_id\n../etc,1\n")
    with pytest.raises(ValueError, match="line 2.*not a valid student id"):
        read_roster(bad_id)
    clash = tmp_path / "c.csv"
    clash.write_text("student_id,lms_id\ns1,7\ns2,7\n")
    with pytest.raises(ValueError, match="lms_id '7' belongs to both 's1' and 's2'"):
        read_roster(clash)
    with pytest.raises(ValueError, match="does not exist"):
        read_roster(tmp_path / "missing.csv")


def test_missing_release_and_missing_source(course, tmp_path):
    with pytest.raises(ValueError, match="generate_assignment hw9"):
        collect(course, "hw9", tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        collect(course, ASSIGNMENT, tmp_path / "nope.zip")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a zip"):
        collect(course, ASSIGNMENT, tmp_path / "notes.txt")


# ----------------------------------------------------------------------------- re-running


def test_collecting_the_same_zip_twice_changes_nothing(course, tmp_path):
    source = make_zip(tmp_path / "canvas.zip", [("doejane_12345_6789012_hw1.ipynb", notebook("jane")),
                                                ("smithjohn_12346_6789013_hw1.ipynb", notebook("john"))])
    first = collect(course, ASSIGNMENT, source)
    before = tree(course / "submitted")
    second = collect(course, ASSIGNMENT, source)

    assert [s.status for s in first.collected] == ["new", "new"]
    assert [s.status for s in second.collected] == ["unchanged", "unchanged"]
    assert tree(course / "submitted") == before  # same bytes, not even rewritten
    assert not (course / "submitted" / ".previous").exists()
    assert not list((course / "submitted").glob(".incoming-*"))


def test_a_different_submission_moves_the_old_one_aside(course, tmp_path):
    first = make_zip(tmp_path / "first.zip", [("alice/hw1.ipynb", notebook("alice v1"), STAMP_1),
                                              ("bob/hw1.ipynb", notebook("bob"), STAMP_1)])
    second = make_zip(tmp_path / "second.zip", [("alice/hw1.ipynb", notebook("alice v2"), STAMP_2),
                                                ("bob/hw1.ipynb", notebook("bob"), STAMP_1)])
    collect(course, ASSIGNMENT, first, zip_timezone="UTC")
    report = collect(course, ASSIGNMENT, second, zip_timezone="UTC")

    statuses = {s.student_id: s.status for s in report.collected}
    assert statuses == {"alice": "replaced", "bob": "unchanged"}
    assert (submitted(course, "alice") / "hw1.ipynb").read_bytes() == notebook("alice v2")
    previous = course / "submitted" / ".previous" / "alice" / "hw1-20251103T140712"
    assert report.collected[0].previous == previous
    assert (previous / "hw1.ipynb").read_bytes() == notebook("alice v1")
    assert (previous / "timestamp.txt").read_text() == nbgrader_stamp(STAMP_1)
    assert "previous submission kept in" in report.summary()

    # going back to the first export keeps the second version too, under a new name
    collect(course, ASSIGNMENT, first, zip_timezone="UTC")
    kept = sorted(p.name for p in (course / "submitted" / ".previous" / "alice").iterdir())
    assert kept == ["hw1-20251103T140712", "hw1-20251104T093000"]
    assert (submitted(course, "alice") / "hw1.ipynb").read_bytes() == notebook("alice v1")


def test_dry_run_writes_nothing(course, tmp_path):
    source = make_zip(tmp_path / "plain.zip", [("alice/hw1.ipynb", notebook("a"))])
    report = collect(course, ASSIGNMENT, source, dry_run=True)
    assert report.students == ["alice"] and report.collected[0].status == "new"
    assert not (course / "submitted").exists()
    assert "dry run: nothing was written" in report.summary()
    collect(course, ASSIGNMENT, source)
    again = collect(course, ASSIGNMENT, make_zip(tmp_path / "p2.zip", [("alice/hw1.ipynb", notebook("b"))]),
                    dry_run=True)
    assert again.collected[0].status == "replaced"
    assert (submitted(course, "alice") / "hw1.ipynb").read_bytes() == notebook("a")
    assert not (course / "submitted" / ".previous").exists()
