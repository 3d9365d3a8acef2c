"""Global nbgrader configuration of a JupyterHub that teaches the course.

Installed as /etc/jupyter/nbgrader_config.py (deploy/tljh/setup.sh does this on The Littlest
JupyterHub; deploy/z2jh/values.yaml mounts the same settings through singleuser.extraFiles and
deploy/docker/Dockerfile copies this file into the image). Every user's nbgrader reads it:
students' assignment list (fetch, submit), the instructor's `hepcourse release/collect/...`
and formgrader. The course's own nbgrader_config.py (at the course root, in the instructor's
checkout) adds the course layout (solutions/, exercises/, ...) and takes precedence there.
"""

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# One course on this hub; its id names the exchange sub-directory and must equal the
# course_id of the course's nbgrader_config.py ("hepcourse").
c.CourseDirectory.course_id = "hepcourse"

# The exchange through which assignments are released, fetched, submitted and collected:
# a directory every user can write (mode 1777, created by setup.sh), or on Kubernetes a
# ReadWriteMany volume mounted at this path in every user's pod.
c.Exchange.root = "/srv/nbgrader/exchange"
