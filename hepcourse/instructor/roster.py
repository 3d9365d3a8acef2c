"""The course's student ids and the roster that maps LMS ids to them.

Student ids are nbgrader's (the folder names under submitted/); they must be safe folder names
(see :func:`validate_student_id`).

Roster (optional CSV, UTF-8, header row)
----------------------------------------
Maps the ids the LMS uses to the course's student ids (the nbgrader student ids)::

    student_id,lms_id,login,email,first_name,last_name
    s1234567,4711,jdoe,jane.doe@uni.example,Jane,Doe

``student_id`` is required, plus at least one of ``lms_id`` (Moodle participant id, Canvas
user id), ``login`` (ILIAS login) or ``email``; other columns are ignored. An LMS id is looked
up in ``lms_id``, then ``login``, then ``email`` (both case-insensitive), then ``student_id``.
A file whose LMS id is not in the roster is not collected (``report.not_in_roster``); roster
students with no notebook at all are ``report.missing``. Without a roster the LMS id is the
student id. Student ids must be safe folder names (see :func:`validate_student_id`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

_SAFE_ID = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9._@+-]{0,99}$")


def validate_student_id(student_id: str) -> str:
    """Return ``student_id`` if it is a safe folder name, else raise ``ValueError``.

    Safe: 1-100 characters of letters, digits and ``. _ - @ +``, starting with a letter, digit
    or ``@`` (so no hidden folders), and no ``..`` - nothing that can leave submitted/.
    """
    if not isinstance(student_id, str) or not _SAFE_ID.match(student_id) or ".." in student_id:
        raise ValueError(
            f"{student_id!r} is not a valid student id: use 1-100 letters, digits and . _ - @ + "
            "(no spaces, slashes or '..', not starting with '.'); map LMS ids with a roster")
    return student_id


@dataclass
class Roster:
    """The roster CSV: LMS ids -> course student ids (see the module docstring)."""

    student_ids: list[str]
    by_lms_id: dict[str, str]
    by_login: dict[str, str]
    by_email: dict[str, str]

    def lookup(self, lms_id: str) -> str | None:
        for table, key in ((self.by_lms_id, lms_id), (self.by_login, lms_id.lower()),
                           (self.by_email, lms_id.lower())):
            if key in table:
                return table[key]
        return lms_id if lms_id in self.student_ids else None


def read_roster(path: Path) -> Roster:
    """Read and check a roster CSV; errors name the file, the line and the problem."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster {path} does not exist")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if "student_id" not in header or not {"lms_id", "login", "email"} & set(header):
            raise ValueError(
                f"roster {path}: the header must have a student_id column and at least one of "
                f"lms_id, login, email; it has {', '.join(header) or 'nothing'}")
        reader.fieldnames = header
        roster = Roster([], {}, {}, {})
        for line, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(values.values()):
                continue
            student_id = values.get("student_id", "")
            try:
                validate_student_id(student_id)
            except ValueError as error:
                raise ValueError(f"roster {path}, line {line}: {error}") from None
            if student_id in roster.student_ids:
                raise ValueError(f"roster {path}, line {line}: student_id {student_id!r} appears twice")
            roster.student_ids.append(student_id)
            for column, table, fold in (("lms_id", roster.by_lms_id, False), ("login", roster.by_login, True),
                                        ("email", roster.by_email, True)):
                key = values.get(column, "")
                key = key.lower() if fold else key
                if not key:
                    continue
                if table.get(key, student_id) != student_id:
                    raise ValueError(f"roster {path}, line {line}: {column} {key!r} belongs to both "
                                     f"{table[key]!r} and {student_id!r}")
                table[key] = student_id
    if not roster.student_ids:
        raise ValueError(f"roster {path} lists no students")
    return roster
