"""The `hepcourse` command line (also `python -m hepcourse`).

Data (students and instructors):
    hepcourse data list                   datasets and the state of their cache
    hepcourse data prepare [--shard i/N] [--dask local|tcp://host:port]
                                          generate what the profile needs (parallel, progress bar)
    hepcourse data merge DIR [DIR ...]    take valid shards that batch jobs wrote elsewhere
    hepcourse data verify                 re-check every cached file of the profile (checksums)
    hepcourse data info jets              the dataset card (data/jets.md)
    hepcourse data clear jets --yes       delete a dataset's cache
    hepcourse check                       environment doctor: versions, data, sandbox, g++, GPU

A week of teaching (in the course folder, or with --course DIR):
    hepcourse release 01                  student version -> exercises/ (and --exchange DIR)
    hepcourse collect 01 --from moodle.zip  LMS export (Moodle, Canvas, ILIAS, folder) -> submitted/
    hepcourse grade 01 --workers 2        autograde everything new, each submission in a sandbox
    hepcourse feedback 01                 HTML feedback per student -> feedback/
    hepcourse grades --csv grades.csv     the grades table for the LMS

The course website (maintainers; `make site`):
    hepcourse site --executed build/executed  lectures with outputs, cards, exercises -> build/site/html

Students, before submitting:
    hepcourse validate exercises/01_classification/01_classification.ipynb

The profile comes from --profile or HEPCOURSE_PROFILE (quick by default), the cache from
HEPCOURSE_DATA. Shards are independent files: `prepare --shard i/N` can run as N batch jobs
that share HEPCOURSE_DATA, or that each write their own and are merged with `data merge`;
the result is the same as one local run. `hepcourse COMMAND --help` explains each command.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from . import config
from .data import REGISTRY, dataset, profile_status


def _tasks(args) -> list[tuple[object, tuple]]:
    """(dataset, shard) pairs of the profile, for one dataset or all."""
    names = [args.dataset] if getattr(args, "dataset", None) else sorted(REGISTRY)
    out = []
    for name in names:
        generated = dataset(name)
        out += [(generated, task) for task in generated.profile_tasks(config.profile(args.profile))]
    return out


def cmd_list(args) -> int:
    prof = config.profile(args.profile)
    print(f"cache: {config.data_dir()}   profile: {prof.name}")
    for name, (ready, needed) in profile_status(prof).items():
        print(f"  {name:10s} {ready}/{needed} shards ready  {dataset(name).title()}")
    return 0


def cmd_prepare(args) -> int:
    from .data.sharding import parse_shard, run_parallel, select_shard

    tasks = _tasks(args)
    if args.shard:
        index, total = parse_shard(args.shard)
        tasks = select_shard(tasks, index, total)
    todo = [(d, t) for d, t in tasks if d.task_status(t) != "ok"]
    print(f"profile {config.profile(args.profile).name}: {len(tasks) - len(todo)}/{len(tasks)} shards "
          f"already cached in {config.data_dir()}; generating {len(todo)}")
    by_dataset: dict = {}
    for generated, task in todo:
        by_dataset.setdefault(generated, []).append(task)
    if not args.dask:
        for generated, its_tasks in by_dataset.items():
            run_parallel(generated.ensure_shard, its_tasks, workers=args.workers, desc=f"{generated.name} shards")
        return 0
    if not todo:
        return 0
    from .data.dask_engine import connect, run_on_dask

    with connect(args.dask, args.workers) as client:
        print(f"dask: {client}")
        for generated, its_tasks in by_dataset.items():
            run_on_dask(generated.ensure_shard, its_tasks, client, desc=f"{generated.name} shards")
        if args.dask == "local":
            client.cluster.close()
    elsewhere = [d.task_label(t) for d, t in todo if d.task_status(t) != "ok"]
    if elsewhere:  # the workers wrote into their own HEPCOURSE_DATA
        print(f"{len(elsewhere)} shards were written on the workers' disks, not into {config.data_dir()} "
              f"(e.g. {elsewhere[0]}): give the workers a shared HEPCOURSE_DATA, or copy their cache folders "
              f"here and run `hepcourse data merge FOLDER ...`")
        return 1
    return 0


def cmd_verify(args) -> int:
    from .data.cache import forget_verified

    forget_verified()  # re-hash every file, even those this process already verified
    bad = 0
    for generated, task in _tasks(args):
        status = generated.task_status(task)
        if status != "ok":
            bad += 1
            print(f"  {generated.task_label(task)}: {status}")
    print(f"{bad} problem(s) found" if bad else "all cached files are valid")
    return 1 if bad else 0


def cmd_merge(args) -> int:
    from .data.sharding import merge_caches

    report = merge_caches(_tasks(args), args.sources, config.data_dir())
    for key in ("copied", "kept", "missing", "invalid"):
        print(f"  {key:8s} {len(report[key])}")
    for line in report["invalid"][:10]:
        print(f"  invalid: {line}")
    print(f"cache: {config.data_dir()}")
    return 1 if report["missing"] or report["invalid"] else 0


def cmd_info(args) -> int:
    sys.stdout.write(dataset(args.dataset).card())  # data/NAME.md, byte for byte
    return 0


def cmd_clear(args) -> int:
    path = config.data_dir() / args.dataset
    dataset(args.dataset)  # unknown names fail with the list of datasets
    if not args.yes:
        print(f"would delete {path}; add --yes to do it")
        return 1
    shutil.rmtree(path, ignore_errors=True)
    print(f"deleted {path}")
    return 0


def cmd_check(args) -> int:
    from .doctor import run_checks

    return run_checks()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hepcourse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="prepare, verify and inspect the course datasets")
    data_sub = data.add_subparsers(dest="action", required=True)
    for name, func, help_ in [("list", cmd_list, "datasets and their cache state"),
                              ("prepare", cmd_prepare, "generate what the profile needs"),
                              ("verify", cmd_verify, "re-check every cached file")]:
        p = data_sub.add_parser(name, help=help_)
        p.add_argument("--profile", choices=sorted(config.PROFILES), default=None)
        if name != "list":
            p.add_argument("--dataset", choices=sorted(REGISTRY), default=None)
        if name == "prepare":
            p.add_argument("--workers", type=int, default=None, help="worker processes (default: all CPUs)")
            p.add_argument("--shard", default=None, help="only shard i of N, e.g. 0/4 (for batch systems)")
            p.add_argument("--dask", default=None, metavar="SCHEDULER",
                           help="generate on Dask: 'local' (a LocalCluster of --workers processes) or a scheduler "
                                "address such as tcp://host:8786")
        p.set_defaults(func=func)
    p = data_sub.add_parser("merge", help="copy valid shards from other cache folders (batch jobs) into the cache")
    p.add_argument("sources", nargs="+", help="cache folders that `prepare --shard i/N` wrote (their HEPCOURSE_DATA)")
    p.add_argument("--profile", choices=sorted(config.PROFILES), default=None)
    p.add_argument("--dataset", choices=sorted(REGISTRY), default=None)
    p.set_defaults(func=cmd_merge)
    p = data_sub.add_parser("info", help="show a dataset card (data/NAME.md)")
    p.add_argument("dataset", choices=sorted(REGISTRY))
    p.set_defaults(func=cmd_info)
    p = data_sub.add_parser("clear", help="delete a dataset's cache")
    p.add_argument("dataset", choices=sorted(REGISTRY))
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_clear)
    sub.add_parser("check", help="environment doctor: what works, what does not, how to fix it").set_defaults(func=cmd_check)
    from .instructor.commands import add_commands

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, RuntimeError) as problem:  # CourseError, SandboxError, bad input: say what is wrong
        print(f"hepcourse: error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
