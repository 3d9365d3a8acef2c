"""How long a profile's data take to generate: measured per-shard times, extrapolated to N cores.

For every dataset and kind (process, particle, primary) one shard of the profile's settings is
generated in this process (not cached: a seed no profile uses), --repeats times; the median
seconds per shard times the number of shards the profile needs gives the CPU time. The wall
time on C cores is the makespan of the longest-first schedule of all shards on C workers (every
shard is independent: `hepcourse data prepare` on a machine, --dask on a cluster), which also
shows the floor that the slowest single shard sets. Prints one table.

    python benchmarks/cluster_extrapolation.py [--profile full] [--cores 2 100] [--repeats 1]
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import time
from collections import Counter

from hepcourse import config
from hepcourse.data import REGISTRY, dataset

BENCH_SEED = 987_654  # no profile uses it: nothing is read from or written to the cache


def shard_seconds(name: str, kind: str, profile: str, repeats: int) -> float:
    generated = dataset(name)
    settings = generated.profile_tasks(profile)[0].settings
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        generated.generate_shard(kind, "train", BENCH_SEED, r, settings)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def makespan(durations: list[float], cores: int) -> float:
    """Wall time of the longest-first greedy schedule of independent jobs on ``cores`` workers."""
    loads = [0.0] * min(cores, max(len(durations), 1))
    heapq.heapify(loads)
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="full", choices=sorted(config.PROFILES))
    parser.add_argument("--cores", type=int, nargs="+", default=[2, 100])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--dataset", nargs="*", default=sorted(REGISTRY))
    args = parser.parse_args(argv)

    rows, every_shard = [], []
    for name in args.dataset:
        counts = Counter(task[0] for task in dataset(name).profile_tasks(args.profile))
        for kind, n_shards in sorted(counts.items()):
            seconds = shard_seconds(name, kind, args.profile, args.repeats)
            rows.append((name, kind, n_shards, seconds))
            every_shard += [seconds] * n_shards
            print(f"  measured {name}/{kind}: {seconds:.1f} s per shard", flush=True)

    print(f"\nData generation, profile {args.profile}: one shard per kind timed on one core "
          f"(median of {args.repeats}), extrapolated over the profile's shards")
    print(f"{'dataset':12s} {'kind':10s} {'shards':>7s} {'s/shard':>8s} {'CPU h':>7s}")
    for name, kind, n_shards, seconds in rows:
        print(f"{name:12s} {kind:10s} {n_shards:7d} {seconds:8.1f} {n_shards * seconds / 3600:7.2f}")
    total = sum(every_shard)
    print(f"{'all':12s} {'':10s} {len(every_shard):7d} {'':8s} {total / 3600:7.2f}")
    print("cores  wall (longest-first schedule)  floor: slowest shard")
    for cores in args.cores:
        wall = makespan(every_shard, cores)
        print(f"{cores:5d}  {wall / 60:8.1f} min ({wall / 3600:5.2f} h)       {max(every_shard) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
