"""The course website (hepcourse.instructor.site, `make site`).

* unit: links between pages of the site stay, links to other repository files go to GitHub, the
  syllabus comes from the README with exercise folders pointing at their student notebooks;
* integration: a small course (one lecture that draws a figure, one exercise, a card) builds; the
  lecture is executed once and its figure is on the page; a cell that raises, or a link to a
  section that does not exist, fails the build;
* browser: the real site, built by `make test` after the lectures ran (HEPCOURSE_SITE_HTML names
  it; `make site-test`), served on loopback and opened in headless Chromium: the index lists every
  lecture, a lecture shows its figures (loaded, non-zero size), a dataset card renders, and no
  page links to a file or an anchor that is not there.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

pytest_plugins = ["pytester"]

from hepcourse.instructor import site

# the headless Chromium of the JupyterLab tests (tests/ is on sys.path: pytest's default import mode)
from test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401  (browser is a fixture)

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted(p.stem for p in (ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))


# ---- unit --------------------------------------------------------------------------------------

@pytest.mark.unit
def test_links_to_pages_stay_and_other_files_go_to_github():
    pages = {"lectures/01_classification.ipynb", "data/jets.md", "data/README.md"}
    text = ("[lecture 01](../lectures/01_classification.ipynb#3.-The-ladder) [card](jets.md) "
            "[readme](README.md) [code](../hepcourse/data/jets.py) [folder](../deploy/dask/) "
            "[web](https://arxiv.org/abs/1902.09914) [here](#top) ![fig](../lectures/x.png)")
    out = site.rewrite_links(text, "data/showers.md", pages)
    assert "[lecture 01](../lectures/01_classification.ipynb#3.-The-ladder)" in out
    assert "[card](jets.md)" in out and "[readme](README.md)" in out
    assert f"[code]({site.REPOSITORY_URL}/blob/main/hepcourse/data/jets.py)" in out
    assert f"[folder]({site.REPOSITORY_URL}/tree/main/deploy/dask)" in out
    assert "[web](https://arxiv.org/abs/1902.09914)" in out and "[here](#top)" in out
    assert f"![fig]({site.REPOSITORY_URL}/blob/main/lectures/x.png)" in out


@pytest.mark.unit
def test_headings_get_jupyterlabs_anchors():
    assert site.jupyterlab_slug("3.2 ROC, AUC and rejection") == "3.2-ROC,-AUC-and-rejection"


@pytest.mark.unit
def test_an_executed_copy_counts_only_for_the_current_source(tmp_path, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_PROFILE", "quick")
    lecture = tmp_path / "lectures" / "00_x.ipynb"
    lecture.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]), lecture)
    executed = tmp_path / "executed"
    executed.mkdir()
    copy = nbformat.read(lecture, as_version=4)
    copy.metadata[site.EXECUTED_KEY] = {"source_sha256": site.source_hash(lecture), "profile": "quick"}
    nbformat.write(copy, executed / lecture.name)
    assert site.executed_copy(lecture, executed) is not None
    monkeypatch.setenv("HEPCOURSE_PROFILE", "full")
    assert site.executed_copy(lecture, executed) is None  # made in another profile
    monkeypatch.setenv("HEPCOURSE_PROFILE", "quick")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(2)")]), lecture)
    assert site.executed_copy(lecture, executed) is None  # the source changed since


@pytest.mark.notebook
def test_the_test_run_keeps_each_lecture_that_ran_without_an_error(pytester, monkeypatch, tmp_path):
    """conftest.py, with HEPCOURSE_EXECUTED_NOTEBOOKS: a notebook whose cells all pass is written
    with its outputs (a figure as PNG) and its source's stamp; one with a failing cell is not."""
    executed = tmp_path / "executed"
    monkeypatch.setenv("HEPCOURSE_EXECUTED_NOTEBOOKS", str(executed))
    monkeypatch.setenv("HEPCOURSE_PROFILE", "quick")
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    unit: u\n    integration: i\n    data: d\n    notebook: n\n"
                     "    grading: g\n    browser: b\n")
    good = [nbformat.v4.new_code_cell("print('hello')"), nbformat.v4.new_code_cell(FIGURE)]
    nbformat.write(nbformat.v4.new_notebook(cells=good), pytester.path / "good.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0"), nbformat.v4.new_code_cell("2")]),
                   pytester.path / "bad.ipynb")
    result = pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                                           "-p", "no:xdist", "good.ipynb", "bad.ipynb")
    assert result.parseoutcomes().get("failed") == 1, result.stdout.str()
    assert sorted(p.name for p in executed.iterdir()) == ["good.ipynb"]
    kept = nbformat.read(executed / "good.ipynb", as_version=4)
    assert kept.cells[0].outputs[0].text == "hello\n"
    assert any("image/png" in o.get("data", {}) for o in kept.cells[1].outputs), kept.cells[1].outputs
    assert kept.metadata[site.EXECUTED_KEY] == {"source_sha256": site.source_hash(pytester.path / "good.ipynb"),
                                               "profile": "quick"}


# ---- integration: a small course built for real -------------------------------------------------

README = """# A course

Intro text.

## Syllabus

| # | lecture | exercise |
|---|---|---|
| 00 | [lectures/00_demo.ipynb](lectures/00_demo.ipynb) | [exercises/00_demo](exercises/00_demo) |

## For instructors

Release with `hepcourse release`; see [the deployment guide](deploy/README.md).

## Repository map
"""


def _mini_course(tmp_path: Path, lecture_cells: list) -> Path:
    root = tmp_path / "course"
    for folder in ("lectures", "exercises/00_demo", "data", "deploy", "site"):
        (root / folder).mkdir(parents=True)
    (root / "README.md").write_text(README)
    shutil.copy(ROOT / "site" / "conf.py", root / "site" / "conf.py")
    (root / "data" / "README.md").write_text("# Data\n\n[the card](demo.md), [code](../hepcourse/x.py)\n")
    (root / "data" / "demo.md").write_text("# Demo dataset\n\nProcess: none.\n")
    (root / "deploy" / "README.md").write_text("# Deploying\n\nText.\n")
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"}}
    nbformat.write(nbformat.v4.new_notebook(cells=lecture_cells, metadata=metadata), root / "lectures" / "00_demo.ipynb")
    exercise = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Exercise 00\n\n## Task 1"),
                                               nbformat.v4.new_code_cell("answer = None")], metadata=metadata)
    nbformat.write(exercise, root / "exercises" / "00_demo" / "00_demo.ipynb")
    return root


FIGURE = ("import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.title('demo')\nplt.show()")


@pytest.mark.integration
def test_a_small_course_builds_with_its_lecture_executed_once(tmp_path):
    cells = [nbformat.v4.new_markdown_cell("# 00 · Demo\n\n## 1. A figure\n\nSee [section 2](#2.-The-end)."),
             nbformat.v4.new_code_cell(FIGURE),
             nbformat.v4.new_markdown_cell("## 2. The end\n\nThe [card](../data/demo.md).")]
    root = _mini_course(tmp_path, cells)
    html = site.build(root, tmp_path / "out")
    lecture = (html / "lectures" / "00_demo.html").read_text()
    assert re.search(r'<img[^>]+src="\.\./_images/[0-9a-f]+\.png"', lecture), "the lecture's figure is not on its page"
    assert "mybinder.org/v2/gh/" in lecture and "lectures/00_demo.ipynb" in lecture  # launch button
    index = (html / "index.html").read_text()
    assert "lectures/00_demo.html" in index and "exercises/00_demo/00_demo.html" in index
    card_index = (html / "data" / "README.html").read_text()
    assert f"{site.REPOSITORY_URL}/blob/main/hepcourse/x.py" in card_index


@pytest.mark.integration
@pytest.mark.parametrize("cells, message", [
    ([nbformat.v4.new_markdown_cell("# 00 · Demo"), nbformat.v4.new_code_cell("1 / 0")], "ZeroDivisionError"),
    ([nbformat.v4.new_markdown_cell("# 00 · Demo\n\nSee [nowhere](#9.-No-such-section).")], "9.-No-such-section"),
], ids=["cell error", "broken section link"])
def test_the_build_fails_on_a_cell_error_or_a_broken_link(tmp_path, capfd, cells, message):
    root = _mini_course(tmp_path, cells)
    with pytest.raises(RuntimeError, match="sphinx-build failed"):
        site.build(root, tmp_path / "out")
    captured = capfd.readouterr()
    assert message in captured.out + captured.err


# ---- browser: the real site ----------------------------------------------------------------------

SITE_HTML = os.environ.get("HEPCOURSE_SITE_HTML")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script"):
                self.links.append(attrs[key])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="replace"))
    return parser


@pytest.fixture(scope="module")
def served_site():
    if not SITE_HTML:
        pytest.skip("the real site is tested after it is built: `make test` runs `make site-test` "
                    "(HEPCOURSE_SITE_HTML=build/site/html) once the lectures have run")
    html = Path(SITE_HTML)
    assert (html / "index.html").is_file(), f"HEPCOURSE_SITE_HTML={html} has no index.html: run `make site`"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield html, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.browser
def test_no_page_of_the_site_has_a_broken_internal_link(served_site):
    html, _ = served_site
    pages = {p: _parse(p) for p in html.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            url = urlparse(link)
            if url.scheme or url.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(html)} -> {link}")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{page.relative_to(html)} -> {link} (no such anchor)")
    assert len(pages) >= len(LECTURES) + 5
    assert not broken, f"{len(broken)} broken internal links: {broken[:10]}"


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver (`make system`)")
def test_the_site_in_a_browser(served_site, browser):
    from selenium.webdriver.common.by import By

    html, url = served_site
    browser.get(f"{url}/index.html")
    linked = {urlparse(a.get_attribute("href")).path for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")}
    missing = [name for name in LECTURES if f"/lectures/{name}.html" not in linked]
    assert not missing, f"the index does not link these lectures: {missing}"
    assert "Syllabus" in browser.page_source

    for name in LECTURES:
        browser.get(f"{url}/lectures/{name}.html")
        images = [img for img in browser.find_elements(By.CSS_SELECTOR, "img")
                  if "/_images/" in (img.get_attribute("src") or "")]
        assert images, f"lecture {name} shows no figure"
        sizes = [browser.execute_script("return [arguments[0].complete, arguments[0].naturalWidth, "
                                        "arguments[0].naturalHeight]", img) for img in images]
        empty = [s for s in sizes if not (s[0] and s[1] > 0 and s[2] > 0)]
        assert not empty, f"{len(empty)} of the {len(images)} figures of {name} did not load: {empty[:3]}"

    browser.get(f"{url}/data/jets.html")
    heading = browser.find_element(By.CSS_SELECTOR, "article h1").text
    assert "jets" in heading.lower(), heading
    assert browser.find_elements(By.CSS_SELECTOR, "article table"), "the jets card shows no table"
