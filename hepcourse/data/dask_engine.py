"""Shard generation on Dask (dask.distributed): a local cluster, a running scheduler, or a batch system.

The shards of a dataset are independent (`hepcourse.data.sharding`), so any engine can make
them; this module hands them to Dask instead of the local process pool. Each worker runs the
same ``ensure_shard`` as a local run: it generates the shard, writes it atomically into *its*
``HEPCOURSE_DATA`` with the settings and checksum inside, and returns the path. The files, their
bytes and their checksums are therefore those of a serial run (tests/test_dask_engine.py checks
it on a two-worker cluster). Two ways to get them where they are needed:

* workers that share a file system with the client (a LocalCluster; a cluster whose workers
  set ``HEPCOURSE_DATA`` to the same shared folder): nothing to do;
* workers with their own disks: each writes into its own ``HEPCOURSE_DATA``; copy those folders
  back and run ``hepcourse data merge FOLDER ...`` (the same merge as for batch jobs).

``hepcourse data prepare --dask local`` starts a LocalCluster (one process per worker, one
thread each, on loopback); ``--dask tcp://host:8786`` uses a running scheduler. On SLURM or
HTCondor, deploy/dask/prepare_on_batch.py starts the workers as batch jobs with dask-jobqueue
and calls `run_on_dask` (``data/README.md`` explains it).
"""

from __future__ import annotations

from typing import Callable, Sequence

from tqdm.auto import tqdm

from .sharding import default_workers

LOCAL = "local"


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - the course's lock installs it
        raise RuntimeError("Dask is not installed: `pip install distributed` (the course's environment has it)") from None
    return distributed


def connect(scheduler: str, workers: int | None = None):
    """A ``distributed.Client``: ``"local"`` starts a LocalCluster of ``workers`` processes (one
    thread each, on 127.0.0.1, no dashboard); anything else is a scheduler address."""
    distributed = _distributed()
    if scheduler == LOCAL:
        cluster = distributed.LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                                           processes=True, host="127.0.0.1", dashboard_address=None)
        return distributed.Client(cluster)
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"a Dask scheduler is 'local' or an address like tcp://host:8786, got {scheduler!r}")
    return distributed.Client(scheduler, timeout="30s")


def run_on_dask(function: Callable, tasks: Sequence[tuple], client, *, desc: str = "shards",
                unit: str = "shard") -> list:
    """Run ``function(*task)`` for each task on the workers of ``client``; results in task order.

    Tasks are submitted as impure (``pure=False``: every call runs), with a progress bar as they
    finish; the first failure is raised here with the worker's traceback.
    """
    distributed = _distributed()
    if not tasks:
        return []
    futures = [client.submit(function, *task, pure=False, key=f"{desc.replace(' ', '-')}-{i}")
               for i, task in enumerate(tasks)]
    index = {future.key: i for i, future in enumerate(futures)}
    results: list = [None] * len(tasks)
    with tqdm(total=len(tasks), desc=f"{desc} (dask)", unit=unit) as bar:
        for future in distributed.as_completed(futures):
            results[index[future.key]] = future.result()
            bar.update()
    return results

