"""Datasets of the course: one module per dataset, each with its card (docstring) and `load()`.

`REGISTRY` maps dataset names to modules; the CLI and the profiles use it, so a new topic's
dataset is added here once.
"""

REGISTRY = {
    "jets": "hepcourse.data.jets",
    "hls4ml_jets": "hepcourse.data.hls4ml_jets",
    "showers": "hepcourse.data.showers",
}


def dataset(name: str):
    """Import and return the module of dataset ``name``."""
    import importlib

    try:
        return importlib.import_module(REGISTRY[name])
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; available: {sorted(REGISTRY)}") from None


def profile_status(profile) -> dict[str, tuple[int, int]]:
    """{dataset name: (valid cached shards, shards the profile needs)}, every dataset."""
    out = {}
    for name in sorted(REGISTRY):
        module = dataset(name)
        tasks = module.profile_tasks(profile)
        out[name] = (sum(module.task_status(t) == "ok" for t in tasks), len(tasks))
    return out
