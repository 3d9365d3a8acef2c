"""`hepcourse check-source`: is an nbgrader source notebook fit to release and grade?

The source notebook ``solutions/<assignment>/<assignment>.ipynb`` is the one source of an
exercise: instructors edit it as a notebook (JupyterLab with nbgrader's *Create Assignment*
toolbar). Markdown cannot call code, so what the header states about the cells - the point table
and the grader's limits - is checked here against the cells and :class:`~.sandbox.Limits`:

* every nbgrader cell has a grade id, and no two share one;
* every graded cell carries points (> 0), and every test cell is read-only (locked);
* ``### BEGIN SOLUTION`` / ``### END SOLUTION`` are balanced and only in solution cells,
  ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` balanced and only in test cells;
* no outputs or execution counts are stored;
* the header (the markdown cell with ``**What is graded** (N points``) states the total of the
  cells' points, and its table (``| task | what you write | points |``) gives each task the sum
  of the graded cells under its ``Task <id>`` heading (a heading ``Task 3`` covers rows ``3a``,
  ``3b`` ... in cell order); a heading's own ``(N points)`` matches too;
* the stderr policy: the first locked code cell (the setup) calls
  ``hepcourse.instructor.guards.stderr_as_output()``, so that a warning never costs points;
* the limits sentence (``at most N minutes for the notebook, N minutes for one cell and N GB of
  memory``) matches ``Limits()``, what ``hepcourse grade`` enforces by default;
* the committed release ``exercises/<assignment>/`` equals what ``nbgrader generate_assignment``
  makes of the source now (run in a temporary copy of the course), and holds no solution text.

``fix_header`` (``hepcourse check-source --fix``) rewrites the numbers of the header (total,
table rows that one heading determines, headings, limits) from the cells and ``Limits()``.
"""

from __future__ import annotations

import dataclasses
import filecmp
import json
import math
import re
import tempfile
from pathlib import Path

import nbformat

from .course import Course, NbgraderError, find_leaks, generate_in_copy
from .guards import STDERR_POLICY_CALL
from .sandbox import Limits

MARKER_PAIRS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
HEADER = re.compile(r"\*\*What is graded\*\*\s*\((?P<points>\d+(?:\.\d+)?) points?")
TABLE_ROW = re.compile(r"^\|\s*(?P<task>\d+[a-z]?)\s*\|.*\|\s*(?P<points>\d+(?:\.\d+)?)\s*\|\s*$")
HEADING = re.compile(r"^#{1,6}\s+Task\s+(?P<task>\d+[a-z]?)\b[^\n]*?(?:\((?P<points>\d+(?:\.\d+)?) points?\))?\s*$",
                     re.M)
LIMITS = re.compile(r"at\s+most\s+(?P<wall>\S+)\s+minutes\s+for\s+the\s+notebook,\s+(?P<cell>\S+)\s+minutes\s+for"
                    r"\s+one\s+cell\s+and\s+(?P<memory>\S+)\s+GB\s+of\s+memory")


@dataclasses.dataclass(frozen=True)
class SourceProblem:
    """One thing wrong with a source notebook: where (notebook, cell) and what."""

    notebook: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.notebook}: {self.cell}: {self.message}"


def limits_text(limits: Limits | None = None) -> dict[str, str]:
    """The numbers the header's limits sentence must state, as written there."""
    limits = limits or Limits()
    return {"wall": f"{limits.wall_s / 60:.0f}", "cell": f"{limits.cell_s / 60:.0f}",
            "memory": f"{limits.memory_bytes / 2**30:.0f}"}


def _where(index: int, cell) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else f" ({cell.cell_type})")


def _number(value: float) -> str:
    return f"{value:g}"


def _points_word(value: float) -> str:
    return f"{_number(value)} point" + ("" if value == 1 else "s")


# --------------------------------------------------------------------------- the cells


def _check_cells(nb, problem) -> None:
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        where = _where(index, cell)
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type == "code":
            if cell.get("outputs"):
                problem(where, f"{len(cell.outputs)} output(s) stored: clear all outputs before saving the source")
            if cell.get("execution_count") is not None:
                problem(where, f"execution count {cell.execution_count} stored: clear all outputs before saving")
        if meta:
            grade_id = meta.get("grade_id")
            if not grade_id:
                problem(where, "nbgrader cell without a grade id")
            elif grade_id in seen:
                problem(where, f"grade id {grade_id!r} is also used by cell {seen[grade_id]}")
            else:
                seen[grade_id] = index
            if meta.get("grade"):
                points = meta.get("points")
                if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
                    problem(where, f"graded cell without points (points: {points!r})")
                if not meta.get("solution") and not meta.get("locked"):
                    problem(where, "test cell is not locked (read-only): students could edit the test")
        _check_markers(index, cell, meta or {}, problem)


def _check_markers(index: int, cell, meta: dict, problem) -> None:
    where = _where(index, cell)
    lines = cell.source.splitlines()
    for begin, end in MARKER_PAIRS:
        hidden = begin == "BEGIN HIDDEN TESTS"
        found = [(number, line.strip()) for number, line in enumerate(lines, 1)
                 if begin in line or end in line]
        if not found:
            continue
        allowed = (meta.get("grade") and not meta.get("solution")) if hidden else meta.get("solution")
        if not allowed:
            kind = "graded test cells (grade, locked)" if hidden else "solution cells (autograded answer)"
            problem(where, f"'### {begin}' / '### {end}' may only be in {kind}; this is "
                           f"{'a ' + cell.cell_type + ' cell without nbgrader metadata' if not meta else 'not one'}")
        open_line = None
        for number, line in found:
            keyword = begin if begin in line else end
            if line != f"### {keyword}":
                problem(where, f"line {number}: marker {line!r} must be written exactly '### {keyword}'")
            if keyword == begin:
                if open_line is not None:
                    problem(where, f"line {number}: '### {begin}' again before '### {end}' (opened on line "
                                   f"{open_line})")
                open_line = number
            else:
                if open_line is None:
                    problem(where, f"line {number}: '### {end}' without a '### {begin}' before it")
                open_line = None
        if open_line is not None:
            problem(where, f"line {open_line}: '### {begin}' is never closed by '### {end}'")


# --------------------------------------------------------------------------- the header


@dataclasses.dataclass
class _Header:
    index: int
    total: float | None
    rows: dict[str, float]  # task id -> points, in table order


def _header(nb) -> _Header | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and HEADER.search(cell.source):
            rows = {}
            for line in cell.source.splitlines():
                match = TABLE_ROW.match(line.strip())
                if match:
                    rows[match["task"]] = float(match["points"])
            return _Header(index, float(HEADER.search(cell.source)["points"]), rows)
    return None


def _task_groups(nb) -> tuple[list[tuple[str, int, float | None, list[tuple[int, float]]]], list[int]]:
    """[(task id, heading cell, heading points, [(graded cell, points), ...])] in order, and the
    graded cells that come before any Task heading."""
    groups: list = []
    orphans: list[int] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for match in HEADING.finditer(cell.source):
                if groups and groups[-1][0] == match["task"]:
                    continue  # a second heading of the same task (a sub-section) continues it
                groups.append((match["task"], index, float(match["points"]) if match["points"] else None, []))
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and isinstance(meta.get("points"), (int, float)):
            (groups[-1][3] if groups else orphans).append((index, float(meta["points"])))
    return groups, orphans


def _task_sum(task: str, groups) -> float:
    """The points of the graded cells under ``Task <task>`` and its sub-tasks' headings."""
    return sum(points for other, _, _, cells in groups
               if other == task or (other.startswith(task) and other[len(task):].isalpha())
               for _, points in cells)


def _rows_of(task: str, rows: dict[str, float], headings: set[str]) -> list[str]:
    """The table rows a heading ``Task <task>`` covers: its own row, or its sub-tasks' rows that
    have no heading of their own."""
    if task in rows:
        return [task]
    return [row for row in rows if row.startswith(task) and row[len(task):].isalpha() and row not in headings]


def _check_header(nb, problem, limits: Limits | None) -> None:
    header = _header(nb)
    if header is None:
        problem("header", "no markdown cell with the '**What is graded** (N points, autograded)' header")
        return
    where = f"cell {header.index} (header)"
    graded = [float(c.metadata["nbgrader"]["points"]) for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")
              and isinstance(c.metadata["nbgrader"].get("points"), (int, float))]
    total = sum(graded)
    if not math.isclose(header.total, total):
        problem(where, f"says {_points_word(header.total)} in all; the graded cells have {_number(total)}")
    if not header.rows:
        problem(where, "no point table (rows like '| 1a | what you write | 2 |')")
    elif not math.isclose(sum(header.rows.values()), total):
        problem(where, f"the table's points add up to {_number(sum(header.rows.values()))}; the graded cells "
                       f"have {_number(total)}")
    groups, orphans = _task_groups(nb)
    for index, _ in orphans:
        problem(_where(index, nb.cells[index]), "graded cell before any '## Task <id>' heading: which task is it?")
    headings = {task for task, *_ in groups}
    covered: set[str] = set()
    for task, heading, heading_points, cells in groups:
        cell_sum = sum(points for _, points in cells)
        heading_where = f"cell {heading} (Task {task})"
        task_sum = _task_sum(task, groups)
        if heading_points is not None and not math.isclose(heading_points, task_sum):
            problem(heading_where, f"the heading says {_points_word(heading_points)}; its graded cells have "
                                   f"{_number(task_sum)}")
        if not cells:
            continue
        rows = _rows_of(task, header.rows, headings)
        covered.update(rows)
        if not rows:
            problem(heading_where, f"task {task} has graded cells ({_number(cell_sum)} points) but no row in the "
                                   "header's point table")
            continue
        table_sum = sum(header.rows[row] for row in rows)
        if not math.isclose(table_sum, cell_sum):
            problem(where, f"the table gives task {'+'.join(rows)} {_number(table_sum)} point(s); the graded cells "
                           f"under 'Task {task}' have {_number(cell_sum)}")
            continue
        # several rows under one heading: the cells, in order, must split into the rows' points
        remaining = [header.rows[row] for row in rows]
        running = 0.0
        for _, points in cells:
            running += points
            if remaining and math.isclose(running, remaining[0]):
                remaining.pop(0)
                running = 0.0
        if remaining:
            problem(where, f"the graded cells under 'Task {task}' ({', '.join(_number(p) for _, p in cells)} "
                           f"points, in order) do not split into the table's rows "
                           f"{', '.join(f'{r}={_number(header.rows[r])}' for r in rows)}")
    for row in header.rows:
        if row not in covered:
            problem(where, f"table row {row!r} ({_points_word(header.rows[row])}) has no graded cell under a "
                           f"'Task {row}' heading")
    _check_limits(nb.cells[header.index].source, where, problem, limits)


def _check_limits(text: str, where: str, problem, limits: Limits | None) -> None:
    expected = limits_text(limits)
    match = LIMITS.search(text)
    if match is None:
        problem(where, "no limits sentence ('at most {wall} minutes for the notebook, {cell} minutes for one cell "
                       "and {memory} GB of memory', from hepcourse.instructor.sandbox.Limits())".format(**expected))
        return
    stated = {key: match[key].rstrip(".,") for key in expected}
    if stated != expected:
        problem(where, "the limits say {wall} min per notebook, {cell} min per cell, {memory} GB; ".format(**stated)
                + "Limits() enforces {wall}, {cell}, {memory} (run `hepcourse check-source --fix`)".format(**expected))


# --------------------------------------------------------------------------- public


def check_notebook(path: Path, *, limits: Limits | None = None, name: str | None = None) -> list[SourceProblem]:
    """Problems of one source notebook (cells, markers, header), without running nbgrader."""
    path = Path(path)
    label = name or str(path)
    problems: list[SourceProblem] = []

    def problem(cell: str, message: str) -> None:
        problems.append(SourceProblem(label, cell, message))

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many kinds for a malformed notebook
        problem("-", f"cannot be read as a notebook ({type(error).__name__}: {error})")
        return problems
    _check_cells(nb, problem)
    _check_stderr_policy(nb, problem)
    _check_header(nb, problem, limits)
    return problems


def _check_stderr_policy(nb, problem) -> None:
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
            if STDERR_POLICY_CALL not in cell.source:
                problem(_where(index, cell), f"the setup cell does not call {STDERR_POLICY_CALL} "
                        "(hepcourse.instructor.guards): a correct answer that warns would lose its points")
            return
    problem("-", "no locked setup cell (read-only, not graded) before the tasks")


def _cell_differences(committed, fresh) -> list[str]:
    keys = sorted(set(committed) | set(fresh))
    return [key for key in keys if json.dumps(committed.get(key), sort_keys=True) != json.dumps(fresh.get(key),
                                                                                               sort_keys=True)]


def check_release(course: Course, assignment: str) -> list[SourceProblem]:
    """Problems of the committed release: it must equal a fresh ``nbgrader generate_assignment``
    of the source (run in a temporary copy of the course) and leak no solution text."""
    committed_dir = course.release / assignment
    label = f"exercises/{assignment}"
    problems: list[SourceProblem] = []
    with tempfile.TemporaryDirectory(prefix="hepcourse-check-source-") as tmp:
        try:
            copy = generate_in_copy(course.root, assignment, Path(tmp) / "course")
        except NbgraderError as error:
            return [SourceProblem(f"solutions/{assignment}", "-", f"nbgrader generate_assignment fails: {error}")]
        fresh_dir = copy / "exercises" / assignment
        fresh_files = {p.relative_to(fresh_dir).as_posix() for p in fresh_dir.rglob("*") if p.is_file()}
        committed_files = ({p.relative_to(committed_dir).as_posix() for p in committed_dir.rglob("*")
                            if p.is_file() and ".ipynb_checkpoints" not in p.parts}
                           if committed_dir.is_dir() else set())
        for missing in sorted(fresh_files - committed_files):
            problems.append(SourceProblem(f"{label}/{missing}", "-", "missing from the committed release: "
                                          "regenerate it (`make release` or `hepcourse release`)"))
        for extra in sorted(committed_files - fresh_files):
            problems.append(SourceProblem(f"{label}/{extra}", "-", "in the committed release but not generated "
                                          "from the source: delete it or add it to solutions/"))
        for name in sorted(fresh_files & committed_files):
            where = f"{label}/{name}"
            if not name.endswith(".ipynb"):
                if not filecmp.cmp(fresh_dir / name, committed_dir / name, shallow=False):
                    problems.append(SourceProblem(where, "-", "differs from the source's copy: regenerate the release"))
                continue
            committed = nbformat.read(committed_dir / name, as_version=4)
            fresh = nbformat.read(fresh_dir / name, as_version=4)
            if len(committed.cells) != len(fresh.cells):
                problems.append(SourceProblem(where, "-", f"{len(committed.cells)} cells; a fresh generate_assignment "
                                              f"gives {len(fresh.cells)}: regenerate the release"))
            for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
                differences = _cell_differences(old, new)
                if differences:
                    problems.append(SourceProblem(where, _where(index, new), f"differs from a fresh generate_assignment "
                                                  f"({', '.join(differences)}): regenerate the release"))
            if _cell_differences(committed.metadata, fresh.metadata):
                problems.append(SourceProblem(where, "metadata", "notebook metadata differs from a fresh "
                                              "generate_assignment: regenerate the release"))
            source_nb = course.source / assignment / name
            if source_nb.is_file():
                for leak in find_leaks(source_nb, committed_dir / name)[:5]:
                    problems.append(SourceProblem(where, "-", f"solution or hidden-test text in the release: {leak}"))
    return problems


def check_sources(course: Course, assignments: list[str] | None = None, *, release: bool = True,
                  limits: Limits | None = None) -> list[SourceProblem]:
    """Every problem of the named assignments' sources (default: all under solutions/)."""
    names = [course.assignment(a) for a in assignments] if assignments else course.assignments()
    problems: list[SourceProblem] = []
    for assignment in names:
        for notebook in course.notebooks(assignment):
            path = course.source / assignment / f"{notebook}.ipynb"
            problems += check_notebook(path, limits=limits, name=f"solutions/{assignment}/{notebook}.ipynb")
        if release:
            problems += check_release(course, assignment)
    return problems


def fix_header(path: Path, *, limits: Limits | None = None) -> list[str]:
    """Rewrite the header's numbers (total, the table rows one heading determines, the headings'
    own points, the limits sentence) from the cells and ``Limits()``; return what changed.
    Writes the notebook only when something changed."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    header = _header(nb)
    if header is None:
        return []
    changes: list[str] = []
    cell = nb.cells[header.index]
    text = cell.source
    total = sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade")
                and isinstance(c.metadata["nbgrader"].get("points"), (int, float)))
    match = HEADER.search(text)
    if not math.isclose(float(match["points"]), total):
        text = text[:match.start("points")] + _number(total) + " points" + text[match.end():]
        changes.append(f"total {match['points']} -> {_number(total)}")
    groups, _ = _task_groups(nb)
    headings = {task for task, *_ in groups}
    sums = {}
    for task, heading, heading_points, cells in groups:
        if cells:
            rows = _rows_of(task, header.rows, headings)
            if rows == [task]:
                sums[task] = sum(points for _, points in cells)
        cell_sum = _task_sum(task, groups)
        if heading_points is not None and cell_sum:
            if not math.isclose(heading_points, cell_sum):
                source = nb.cells[heading].source
                nb.cells[heading].source = re.sub(
                    rf"^(#{{1,6}}\s+Task\s+{task}\b[^\n]*?)\(\d+(?:\.\d+)? points?\)",
                    lambda m: f"{m[1]}({_points_word(cell_sum)})", source, count=1, flags=re.M)
                changes.append(f"heading Task {task}: {_number(heading_points)} -> {_number(cell_sum)}")
    lines = text.split("\n")
    for number, line in enumerate(lines):
        row = TABLE_ROW.match(line.strip())
        if row and row["task"] in sums and not math.isclose(float(row["points"]), sums[row["task"]]):
            start, end = line.rstrip().rfind("|", 0, len(line.rstrip()) - 1), len(line.rstrip())
            lines[number] = f"{line[:start]}| {_number(sums[row['task']])} |"
            changes.append(f"table row {row['task']}: {row['points']} -> {_number(sums[row['task']])}")
    text = "\n".join(lines)
    expected = limits_text(limits)
    match = LIMITS.search(text)
    if match is not None:
        for key in ("memory", "cell", "wall"):  # from the end, so earlier offsets stay valid
            if match[key] != expected[key]:
                text = text[:match.start(key)] + expected[key] + text[match.end(key):]
                changes.append(f"limits {key}: {match[key]} -> {expected[key]}")
    if changes:
        cell.source = text
        nbformat.write(nb, path)
    return changes
