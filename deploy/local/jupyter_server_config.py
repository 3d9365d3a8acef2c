"""JupyterLab / jupyter-server configuration for teaching the course on ONE machine.

This directory (deploy/local/) is a Jupyter *config directory*: put it on JUPYTER_CONFIG_PATH
and both jupyter-server and nbgrader read it (nbgrader looks for nbgrader_config.py in the
same directories; the nbgrader_config.py next to this file sets the exchange)::

    cd /path/to/course                  # a checkout of this repository (the course root)
    JUPYTER_CONFIG_PATH=$PWD/deploy/local .venv/bin/jupyter lab

Nothing here is specific to a machine; every path comes from the environment:

    HEPCOURSE_COURSE_ROOT   the course root (the directory with nbgrader_config.py, solutions/,
                            exercises/); the server's root_dir. Default: the current directory.
    HEPCOURSE_EXCHANGE      nbgrader's exchange directory (see nbgrader_config.py here).
    HEPCOURSE_IP            the address to listen on. Default 127.0.0.1 (this machine only).
    HEPCOURSE_DATA          the dataset cache that kernels read (hepcourse.config); inherited
                            by every kernel started by this server.
    JUPYTER_PORT, JUPYTER_TOKEN   read by jupyter-server itself (port, login token).

tests/test_deploy.py and tests/test_browser.py start a server with exactly this directory.
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets when Jupyter loads this file)

course_root = os.path.abspath(os.path.expanduser(os.environ.get("HEPCOURSE_COURSE_ROOT") or os.getcwd()))

c.ServerApp.root_dir = course_root
c.ServerApp.ip = os.environ.get("HEPCOURSE_IP", "127.0.0.1")
c.ServerApp.open_browser = False

# Open the lectures when the course has them (a bare nbgrader course directory may not).
if os.path.isdir(os.path.join(course_root, "lectures")):
    c.LabApp.default_url = "/lab/tree/lectures"

# nbgrader's server extensions, on explicitly (pip enables them too, but an image or a
# sys-prefix config may have switched some off): the formgrader for the instructor
# (/formgrader), the assignment and course lists for students (/assignments, /courses),
# the Validate button. `.update` adds to whatever else is enabled (jupyterlab, ...).
c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": True,
    "nbgrader.server_extensions.validate_assignment": True,
})

# No calls home: JupyterLab would otherwise fetch its news feed and check PyPI for updates
# (a class on a machine with no or bad network, students asked to "update JupyterLab").
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"

# A shared teaching machine: shut down kernels that have been idle for an hour (a trained
# quick-profile kernel holds up to ~1.3 GB, benchmarks/notebooks.py), checked every 5 min.
c.MappingKernelManager.cull_idle_timeout = int(os.environ.get("HEPCOURSE_CULL_IDLE_S", "3600"))
c.MappingKernelManager.cull_interval = 300
