"""The course website: every lecture with its executed outputs, the syllabus, the dataset cards,
the instructor guide and the student versions of the exercises, rendered by Sphinx + MyST-NB.

Why a site: GitHub shows the lecture notebooks without outputs (they are stored without), so
nobody can read a lecture without running it. The site is built in two steps:

1. ``assemble`` copies what the site shows into a source tree with the repository's own layout
   (``lectures/``, ``exercises/NN/NN.ipynb``, ``data/``, ``deploy/README.md``), so that relative
   links between them stay valid and the Binder/download buttons point at the same paths in the
   repository. A lecture comes with its outputs from ``executed_dir`` (where ``make test``'s
   notebook run leaves each lecture it executed without an error, stamped with the hash of its
   source) when that copy belongs to the current source; otherwise MyST-NB executes it during
   the build, once, and any cell error fails the build. Exercises are released notebooks
   without outputs (no solutions: those live only in solutions/). Links to repository files that
   are not pages of the site become links to the file on GitHub.
2. ``build`` runs ``sphinx-build -W --keep-going``: a warning (a broken cross-reference between
   pages, a missing image, a cell error) fails the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPOSITORY = "hepcourse/hepcourse"
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"
BRANCH = "main"
EXECUTED_KEY = "hepcourse_executed"  # notebook metadata written by the test run (conftest.py)

# A Markdown link or image target: [text](target) / ![alt](target); targets with spaces are not used.
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


def source_hash(path: Path) -> str:
    """sha256 of a notebook's cell sources and types: what an executed copy must have been made from."""
    nb = nbformat.read(path, as_version=4)
    text = json.dumps([(c.cell_type, c.source) for c in nb.cells])
    return hashlib.sha256(text.encode()).hexdigest()


def _site_documents(root: Path) -> dict[str, Path]:
    """Repository-relative path of every page of the site -> its source file."""
    docs = {p.relative_to(root).as_posix(): p for p in sorted((root / "lectures").glob("[0-9][0-9]_*.ipynb"))}
    for folder in sorted((root / "exercises").glob("[0-9][0-9]_*")):
        notebook = folder / f"{folder.name}.ipynb"
        if notebook.exists():
            docs[notebook.relative_to(root).as_posix()] = notebook
    for card in sorted((root / "data").glob("*.md")):
        docs[card.relative_to(root).as_posix()] = card
    docs["deploy/README.md"] = root / "deploy" / "README.md"
    return docs


def rewrite_links(text: str, page: str, pages: set[str]) -> str:
    """Keep links to pages of the site (and to anchors); point every other relative link of a page
    at the repository on GitHub. ``page`` and ``pages`` are repository-relative paths."""
    base = Path(page).parent

    def replace(match: re.Match) -> str:
        head, target, tail = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match.group(0)  # absolute URL, mailto:, anchor on the same page
        path, _, anchor = target.partition("#")
        resolved = _normalise(base / path)
        if resolved is None or resolved in pages:
            return match.group(0)  # outside the repository (left for the build to flag), or a page
        kind = "tree" if (not Path(resolved).suffix or target.endswith("/")) else "blob"
        url = f"{REPOSITORY_URL}/{kind}/{BRANCH}/{resolved}" + (f"#{anchor}" if anchor else "")
        return f"{head}{url}{tail}"

    return _LINK.sub(replace, text)


def _normalise(path: Path) -> str | None:
    parts: list[str] = []
    for part in path.as_posix().split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None  # points outside the repository
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _syllabus(readme: str, pages: set[str]) -> str:
    """README's syllabus section (its table and the sentence after it), links pointing into the site."""
    match = re.search(r"^## Syllabus\n(.*?)(?=^## )", readme, flags=re.S | re.M)
    if not match:
        raise ValueError("README.md has no '## Syllabus' section: the site's index takes its syllabus from there")
    table = match.group(1)
    # an exercise is linked as its folder in the README; on the site it is the student notebook
    table = re.sub(r"\]\((exercises/(\d\d_[a-z_]+))\)", r"](\1/\2.ipynb)", table)
    return rewrite_links(table, "index.md", pages)


def _section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", readme, flags=re.S | re.M)
    if not match:
        raise ValueError(f"README.md has no '## {title}' section")
    return match.group(1)


def _index(root: Path, pages: set[str]) -> str:
    readme = (root / "README.md").read_text()
    intro = readme.split("\n## ", 1)[0].split("\n", 1)[1]  # below the title, above the first section
    intro = "\n".join(line for line in intro.splitlines() if "badge_logo" not in line).strip()
    lectures = sorted(p for p in pages if p.startswith("lectures/"))
    exercises = sorted(p for p in pages if p.startswith("exercises/"))
    cards = ["data/README.md"] + sorted(p for p in pages if p.startswith("data/") and p != "data/README.md")
    toc = lambda caption, docs: "\n".join(["```{toctree}", ":maxdepth: 1", f":caption: {caption}", "",
                                           *docs, "```", ""])
    return "\n".join([
        "# Deep Learning in Particle and Astroparticle Physics", "",
        rewrite_links(intro, "index.md", pages), "",
        "Every lecture below is shown with the outputs and figures of one run in the quick profile "
        "(two CPU cores); the **launch** button (rocket) opens the notebook on Binder and the "
        "**download** button gives the `.ipynb`. The exercises are the student versions, without "
        "solutions.", "",
        "## Syllabus", "",
        _syllabus(readme, pages).strip(), "",
        toc("Lectures", lectures), toc("Exercises (student versions)", exercises),
        toc("Datasets", cards), toc("Instructors", ["instructors.md", "deploy/README.md"]),
    ])


def _instructors(root: Path, pages: set[str]) -> str:
    readme = (root / "README.md").read_text()
    body = rewrite_links(_section(readme, "For instructors"), "instructors.md", pages)
    body = re.sub(r"^### ", "## ", body, flags=re.M)
    return "# For instructors\n\n" + body.strip() + "\n"


def _copy_markdown(src: Path, dest: Path, page: str, pages: set[str]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(rewrite_links(src.read_text(), page, pages))


def _notebook_links(nb, page: str, pages: set[str]) -> None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, page, pages)


def executed_copy(lecture: Path, executed_dir: Path | None):
    """The executed notebook that the test run left for this lecture, if it belongs to its current source."""
    if executed_dir is None:
        return None
    candidate = Path(executed_dir) / lecture.name
    if not candidate.exists():
        return None
    nb = nbformat.read(candidate, as_version=4)
    stamp = nb.metadata.get(EXECUTED_KEY, {})
    from hepcourse.config import profile

    fresh = stamp.get("source_sha256") == source_hash(lecture) and stamp.get("profile") == profile().name
    return nb if fresh else None


def assemble(root: Path, src: Path, executed_dir: Path | None = None, *, require_executed: bool = False,
             execution_timeout: int = 900) -> dict[str, str]:
    """Write the site's source tree to ``src`` (emptied first); return {lecture: 'executed copy' or 'execute'}."""
    root, src = Path(root), Path(src)
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    docs = _site_documents(root)
    pages = set(docs) | {"index.md", "instructors.md"}
    plan = {}
    for page, path in docs.items():
        dest = src / page
        dest.parent.mkdir(parents=True, exist_ok=True)
        if page.startswith("lectures/"):
            nb = executed_copy(path, executed_dir)
            if nb is not None:
                plan[path.name] = "executed copy"
                nb.metadata["mystnb"] = {"execution_mode": "off"}
            elif require_executed:
                raise FileNotFoundError(
                    f"no executed copy of {page} from its current source in {executed_dir}: run the lectures "
                    f"first (make test does), or build without require_executed to execute it")
            else:
                plan[path.name] = "execute"
                nb = nbformat.read(path, as_version=4)
                nb.metadata["mystnb"] = {"execution_mode": "force", "execution_timeout": execution_timeout}
            _notebook_links(nb, page, pages)
            nbformat.write(nb, dest)
        elif page.startswith("exercises/"):
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nb.metadata["mystnb"] = {"execution_mode": "off"}
            _notebook_links(nb, page, pages)
            nbformat.write(nb, dest)
        else:
            _copy_markdown(path, dest, page, pages)
    (src / "index.md").write_text(_index(root, pages))
    (src / "instructors.md").write_text(_instructors(root, pages))
    return plan


def build(root: Path, out: Path, executed_dir: Path | None = None, *, require_executed: bool = False,
          jobs: str = "1") -> Path:
    """Assemble and build the HTML site into ``out``/html; a Sphinx warning or a cell error fails."""
    root, out = Path(root).resolve(), Path(out).resolve()
    src = out / "source"
    plan = assemble(root, src, executed_dir, require_executed=require_executed)
    for name, how in sorted(plan.items()):
        print(f"  {name:34s} {how}")
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-T", "-b", "html", "-c", str(root / "site"),
           "-d", str(out / "doctrees"), "-j", str(jobs), "-q", str(src), str(html)]
    # figures as PNG outputs when MyST-NB executes a lecture (a caller's MPLBACKEND=Agg would drop them)
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    result = subprocess.run(cmd, cwd=root, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed (exit {result.returncode}): see its warnings above")
    return html


def jupyterlab_slug(title: str) -> str:
    """The anchor JupyterLab gives a Markdown heading (its text, spaces replaced by '-'), so that a
    link such as ``01_classification.ipynb#3.-The-ladder-of-taggers`` works in both places."""
    return title.strip().replace(" ", "-")
