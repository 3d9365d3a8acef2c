"""Sphinx configuration of the course website (`make site`; hepcourse/instructor/site.py assembles
the source tree this configuration is applied to)."""

from hepcourse.instructor.site import BRANCH, REPOSITORY_URL

project = "Deep Learning in Particle and Astroparticle Physics"
author = "the course authors"
copyright = "2026, the course authors"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# Lectures come executed from the test run, or are executed here (their notebook metadata says
# which); a cell that raises fails the build, as does any warning (sphinx-build -W).
nb_execution_mode = "off"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 900
nb_merge_streams = True

# "[lecture 01, section 3](01_classification.ipynb#3.-The-ladder-of-taggers)" works in JupyterLab
# and here: headings get JupyterLab's anchors (spaces -> '-'), and MyST checks every such link.
myst_heading_anchors = 4
myst_heading_slug_func = "hepcourse.instructor.site.jupyterlab_slug"
myst_enable_extensions = ["dollarmath", "amsmath"]

html_theme = "sphinx_book_theme"
html_title = "DL in Particle & Astroparticle Physics"
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}
