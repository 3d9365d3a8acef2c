"""Generate a profile's datasets on a batch system (SLURM or HTCondor) with Dask.

dask-jobqueue submits one batch job per Dask worker (one core, one process, one thread: a
shard is single-threaded); this script then hands every missing shard to the workers with
`hepcourse.data.dask_engine.run_on_dask`. The workers write into ``--cache``, which must be a
folder on a file system that the batch nodes and this machine share (each job exports
``HEPCOURSE_DATA`` there); the files are the same bytes as a local run.

    python deploy/dask/prepare_on_batch.py --batch slurm --jobs 100 --profile full \\
        --cache /shared/hepcourse-cache --venv /shared/course/.venv --queue short --dry-run
    # read the job script it prints, then run the same line without --dry-run

Without a shared file system, give each job a local HEPCOURSE_DATA, copy the folders back and
run ``hepcourse data merge FOLDER ...``. Run the script on a login node (the Dask scheduler
lives in this process); the jobs leave when it ends.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def make_cluster(batch: str, cache: str, venv: str, *, memory: str = "2GB", walltime: str = "02:00:00",
                 queue: str | None = None, account: str | None = None, log_directory: str | None = None):
    """The dask-jobqueue cluster of one-core workers whose jobs use the course's environment and cache."""
    import dask_jobqueue

    prologue = [f"source {Path(venv) / 'bin' / 'activate'}", f"export HEPCOURSE_DATA={cache}",
                "export OMP_NUM_THREADS=1"]
    common = {"cores": 1, "processes": 1, "memory": memory, "job_script_prologue": prologue,
              "log_directory": log_directory, "python": str(Path(venv) / "bin" / "python")}
    if batch == "slurm":
        return dask_jobqueue.SLURMCluster(queue=queue, account=account, walltime=walltime, **common)
    if batch == "htcondor":  # HTCondor has no queue or wall time per job here; disk for the worker's spill
        return dask_jobqueue.HTCondorCluster(disk="2GB", **common)
    raise ValueError(f"unknown batch system {batch!r}: slurm or htcondor")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", choices=("slurm", "htcondor"), required=True)
    parser.add_argument("--jobs", type=int, default=10, help="batch jobs = Dask workers (one core each)")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--dataset", default=None, help="one dataset (default: all)")
    parser.add_argument("--cache", required=True, help="shared folder: HEPCOURSE_DATA of the jobs and of this script")
    parser.add_argument("--venv", default=str(Path(__file__).resolve().parents[2] / ".venv"),
                        help="the course's environment, as the batch nodes see it")
    parser.add_argument("--memory", default="2GB")
    parser.add_argument("--walltime", default="02:00:00")
    parser.add_argument("--queue", default=None)
    parser.add_argument("--account", default=None)
    parser.add_argument("--dry-run", action="store_true", help="print the job script and the shards to make, submit nothing")
    args = parser.parse_args(argv)

    import os

    os.environ["HEPCOURSE_DATA"] = args.cache
    from hepcourse import config
    from hepcourse.data import REGISTRY, dataset
    from hepcourse.data.dask_engine import run_on_dask

    cluster = make_cluster(args.batch, args.cache, args.venv, memory=args.memory, walltime=args.walltime,
                           queue=args.queue, account=args.account)
    print(cluster.job_script())
    todo = {}
    for name in [args.dataset] if args.dataset else sorted(REGISTRY):
        generated = dataset(name)
        tasks = [t for t in generated.profile_tasks(config.profile(args.profile)) if generated.task_status(t) != "ok"]
        if tasks:
            todo[generated] = tasks
    print(f"profile {args.profile}: {sum(map(len, todo.values()))} shards to make in {args.cache} "
          f"({', '.join(f'{g.name} {len(t)}' for g, t in todo.items()) or 'none'})")
    if args.dry_run or not todo:
        cluster.close()
        return 0
    from distributed import Client

    cluster.scale(jobs=args.jobs)
    with Client(cluster) as client:
        for generated, tasks in todo.items():
            run_on_dask(generated.ensure_shard, tasks, client, desc=f"{generated.name} shards")
    cluster.close()
    bad = [g.task_label(t) for g, tasks in todo.items() for t in tasks if g.task_status(t) != "ok"]
    print(f"{len(bad)} shards missing or invalid in {args.cache}" if bad else "all shards valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
