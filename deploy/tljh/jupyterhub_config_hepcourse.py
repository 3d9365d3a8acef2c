"""JupyterHub settings of the course that tljh-config has no key for.

Installed by setup.sh as /opt/tljh/config/jupyterhub_config.d/hepcourse.py; TLJH loads every
file of that directory after its own configuration (`sudo tljh-config reload` applies it).
Values come from setup.sh through the placeholders below (replaced with sed at install time).
"""

# Every user's server (and so every kernel) finds the shared, read-only quick-profile data
# here, prepared once by setup.sh; nothing is generated per student.
c.Spawner.environment.update({  # noqa: F821  (c is injected by JupyterHub)
    "HEPCOURSE_DATA": "@HEPCOURSE_DATA@",
    "HEPCOURSE_PROFILE": "quick",
})


# Students get the tljh-config limits (limits.memory, limits.cpu); the hub's admins - the
# instructors - get more, because `hepcourse grade WEEK` runs --workers submissions at once
# (default 2), each allowed --memory of resident memory (default 3G; the exercise notebook
# itself peaks at 1.27 GB, benchmarks/notebooks.py): 2 x 3G + the server fits in 8G.
def _instructor_resources(spawner):
    if spawner.user.admin:
        spawner.mem_limit = "@INSTRUCTOR_MEMORY@"
        spawner.cpu_limit = float("@INSTRUCTOR_CPU@")


c.Spawner.pre_spawn_hook = _instructor_resources  # noqa: F821
