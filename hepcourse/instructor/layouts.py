"""The layouts of LMS exports: whose notebook a file is, read from its path.

Layouts recognised (``layout="auto"`` tries them in this order; the first that explains
every ``.ipynb`` in the source wins; pass ``layout=`` to force one)
---------------------------------------------------------------------------------------------
``moodle``  Moodle "Download all submissions", flat or "in folders"; id = participant id::

                Jane Doe_4711_assignsubmission_file_01_classification.ipynb
                Jane Doe_4711_assignsubmission_file_/01_classification.ipynb

``canvas``  Canvas "Download submissions" (flat); id = Canvas user id. Late submissions carry
            ``LATE``; Canvas appends ``-1``, ``-2`` to a re-uploaded file of the same name::

                doejane_12345_6789012_01_classification.ipynb
                doejane_LATE_12345_6789013_01_classification-1.ipynb

``ilias``   ILIAS exercise "Download all submissions": one folder per student,
            ``<Lastname>_<Firstname>_<login>[_<user id>]``; id = login (the last
            ``_``-separated field once a trailing numeric user id is dropped)::

                Doe_Jane_jdoe_4711/01_classification.ipynb

``plain``   one folder per student (optionally with an ``<assignment>/`` folder inside, as
            nbgrader lays it out), or one flat notebook per student; id = the name::

                s1234567/my_solution.ipynb
                s1234567/01_classification/01_classification.ipynb
                s1234567.ipynb

Up to three wrapping folders that hold everything (e.g. ILIAS's ``<exercise>/``) are
stripped. A source whose notebooks fit no layout raises a ``ValueError`` that names the first
file that does not fit and the patterns above. A student id that would be read the same way
under two layouts (a plain folder ``a_b_c/``) is read by the first; force ``layout="plain"``.

Notebook names
--------------
nbgrader grades ``submitted/<student>/<assignment>/<name>.ipynb`` for the notebook names of
the release, ``exercises/<assignment>/*.ipynb``. With one released notebook, whatever single
notebook a student sent is renamed to it; with several, a student's file is matched to a
released notebook by name (case, punctuation and Canvas's ``-N`` suffix ignored).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

LAYOUTS = ("moodle", "canvas", "ilias", "plain")
LAYOUT_PATTERNS = {
    "moodle": "Moodle: 'Full Name_<participant id>_assignsubmission_file_<file>' "
              "(flat) or 'Full Name_<participant id>_assignsubmission_file_/<file>'",
    "canvas": "Canvas: '<lastfirst>_[LATE_]<user id>_<submission id>_<file>' (flat)",
    "ilias": "ILIAS: '<Lastname>_<Firstname>_<login>[_<id>]/<file>'",
    "plain": "plain: '<student_id>/<file>.ipynb', '<student_id>/<assignment>/<file>.ipynb' "
             "or '<student_id>.ipynb'",
}

_MOODLE = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<rest>.*))?$")
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_CANVAS_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<number>\d+)$")


@dataclass
class Attribution:
    """What a layout reads from a file's path: whose it is and what the student called it."""

    lms_id: str
    name: str  # the student's name as the LMS wrote it ("" if it does not say)
    filename: str  # the uploaded file name, LMS prefixes removed
    resubmission: int = 0  # Canvas's -N suffix


def _moodle(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    match = _MOODLE.match(parts[0])
    if not match:
        return None
    filename = match["rest"] if len(parts) == 1 else parts[-1]
    return Attribution(match["id"], match["name"], filename) if filename else None


def _canvas(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    match = _CANVAS.match(parts[0]) if len(parts) == 1 else None
    if not match:
        return None
    stem, suffix = os.path.splitext(match["file"])
    resubmission = _CANVAS_RESUBMISSION.match(stem)
    return Attribution(match["user"], match["name"], match["file"],
                       int(resubmission["number"]) if resubmission else 0)


def _ilias(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    fields = parts[0].split("_")
    if len(parts) != 2 or len(fields) < 3 or not all(fields):
        return None
    if len(fields) >= 4 and fields[-1].isdigit():
        fields = fields[:-1]
    return Attribution(fields[-1], " ".join(reversed(fields[:2])), parts[-1])


def _plain(parts: tuple[str, ...], assignment: str) -> Attribution | None:
    if len(parts) == 1:
        stem, suffix = os.path.splitext(parts[0])
        return Attribution(stem, "", parts[0]) if suffix.lower() == ".ipynb" and stem else None
    if len(parts) == 2 or (len(parts) == 3 and parts[1] == assignment):
        return Attribution(parts[0], "", parts[-1])
    return None


MATCHERS = {"moodle": _moodle, "canvas": _canvas, "ilias": _ilias, "plain": _plain}


def is_notebook_name(path: str) -> bool:
    """Whether a path names a notebook (by its extension, case ignored)."""
    return path.lower().endswith(".ipynb")


def detect_layout(notebooks: list[tuple[str, ...]], layout: str, assignment: str,
                  source: Path) -> tuple[str, int]:
    """The layout that explains every notebook path and how many wrapper folders to strip."""
    candidates = LAYOUTS if layout == "auto" else (layout,)
    for depth in range(4):
        if depth and (any(len(p) <= depth for p in notebooks) or len({p[:depth] for p in notebooks}) > 1):
            break
        for name in candidates:
            if all(MATCHERS[name](p[depth:], assignment) for p in notebooks):
                return name, depth
    best = max(candidates, key=lambda n: sum(bool(MATCHERS[n](p, assignment)) for p in notebooks))
    misfit = next(p for p in notebooks if not MATCHERS[best](p, assignment))
    patterns = "\n  ".join(LAYOUT_PATTERNS[name] for name in candidates)
    raise ValueError(
        f"{source}: cannot tell whose notebook '{'/'.join(misfit)}' is; "
        f"{'no layout fits' if layout == 'auto' else f'it does not fit the {layout} layout'}. "
        f"Expected every notebook to match one of:\n  {patterns}")


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def target_notebook(attribution: Attribution, released: list[str]) -> str | None:
    """The released notebook name this file is for (see "Notebook names" above)."""
    if len(released) == 1:
        return released[0]
    stem = os.path.splitext(attribution.filename)[0]
    stems = [stem]
    resubmission = _CANVAS_RESUBMISSION.match(stem)
    if resubmission:
        stems.append(resubmission["stem"])
    for candidate in stems:
        for notebook in released:
            if _normalised(candidate) == _normalised(os.path.splitext(notebook)[0]):
                return notebook
    return None
