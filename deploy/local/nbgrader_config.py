"""nbgrader configuration for the single-machine setup (deploy/local/).

Read by nbgrader (the command line, the formgrader and the assignment list in JupyterLab)
when this directory is on JUPYTER_CONFIG_PATH; see jupyter_server_config.py next to it.
The course's own nbgrader_config.py at the course root (layout: solutions/, exercises/,
submitted/, ...) is read as well, from the working directory, and takes precedence.

    HEPCOURSE_EXCHANGE   the exchange directory through which assignments are released,
                         fetched, submitted and collected. Default:
                         $XDG_DATA_HOME/hepcourse/exchange (~/.local/share/hepcourse/exchange),
                         created if missing. For several accounts on one machine use a
                         directory all of them can write, e.g. /srv/nbgrader/exchange with
                         mode 1777, and point HEPCOURSE_EXCHANGE there.
    HEPCOURSE_COURSE_ID  default "hepcourse" (the course_id of the course's nbgrader_config.py).
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

_data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
exchange = os.path.abspath(os.path.expanduser(
    os.environ.get("HEPCOURSE_EXCHANGE") or os.path.join(_data_home, "hepcourse", "exchange")))

# nbgrader refuses an exchange that does not exist; create it for the single-user case.
try:
    os.makedirs(exchange, exist_ok=True)
except OSError:
    pass  # nbgrader reports "Unwritable directory ..." with the path

c.Exchange.root = exchange
c.CourseDirectory.course_id = os.environ.get("HEPCOURSE_COURSE_ID", "hepcourse")
