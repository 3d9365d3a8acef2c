"""Datasets of the course: one module per generated dataset, each with its card and `load()`.

Every generated dataset is a `hepcourse.data.sharded.ShardedDataset` (planning, cache,
verification, argument checks); its module keeps its settings, fields and generator, and its
card is ``data/<name>.md`` at the top of the course. Public downloads are registered once in
`hepcourse.data.registry`. `REGISTRY` maps dataset names to modules; the CLI and the profiles
use it, so a new topic's dataset is added here once (with its sizes in `hepcourse.config.TABLE`
and its card in ``data/``).
"""

REGISTRY = {
    "jets": "hepcourse.data.jets",
    "hls4ml_jets": "hepcourse.data.hls4ml_jets",
    "showers": "hepcourse.data.showers",
    "airshowers": "hepcourse.data.airshowers",
}


def dataset(name: str):
    """The `ShardedDataset` of dataset ``name`` (its module imported on first use)."""
    import importlib

    try:
        return importlib.import_module(REGISTRY[name]).DATASET
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; available: {sorted(REGISTRY)}") from None


def profile_status(profile) -> dict[str, tuple[int, int]]:
    """{dataset name: (valid cached shards, shards the profile needs)}, every dataset."""
    out = {}
    for name in sorted(REGISTRY):
        generated = dataset(name)
        tasks = generated.profile_tasks(profile)
        out[name] = (sum(generated.task_status(t) == "ok" for t in tasks), len(tasks))
    return out
