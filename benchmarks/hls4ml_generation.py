"""hls4ml jet generation speed per class, and the projected first generation of a profile.

For each class (g, q, W, Z, t), on one core: Pythia's initialisation time, then one shard of
--jets jets through the whole pipeline (Pythia + pre-filter + read-out + detector + FastJet +
truth match + mMDT + ECFs), as jets per second of wall time and per second of CPU time (the
CPU rate is less sensitive to other load on the machine). The last line projects the wall time
of a profile's first generation on --cores cores from the medians:
sum over shards of (init + shard_size / rate) / cores. Medians of --repeats runs.

    python benchmarks/hls4ml_generation.py [--jets 100] [--repeats 1] [--profile quick] [--cores 2]
"""

import argparse
import statistics
import time

from hepcourse.data import hls4ml_jets
from hepcourse.physics.jets.hls4ml_events import Hls4mlEventSource


def one_run(kind: str, n_jets: int, seed: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    Hls4mlEventSource(kind, 1 + seed)
    init = time.perf_counter() - start
    settings = hls4ml_jets.Hls4mlJetSettings(shard_size=n_jets)
    wall, cpu = time.perf_counter(), time.process_time()
    hls4ml_jets.generate_shard(kind, "bench", seed, 0, settings)
    wall, cpu = time.perf_counter() - wall - init, time.process_time() - cpu - init
    return init, n_jets / wall, n_jets / cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jets", type=int, default=100, help="jets per pipeline run")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    rows = {}
    for kind in hls4ml_jets.CLASSES:
        runs = [one_run(kind, args.jets, 3000 + r) for r in range(args.repeats)]
        rows[kind] = tuple(statistics.median(col) for col in zip(*runs))
    print(f"\nhls4ml jet generation, one core, medians of {args.repeats} run(s) of {args.jets} jets")
    print(f"{'class':6s} {'init s':>7s} {'jets/s wall':>12s} {'jets/s CPU':>11s}")
    for kind, (init, wall_rate, cpu_rate) in rows.items():
        print(f"{kind:6s} {init:7.2f} {wall_rate:12.1f} {cpu_rate:11.1f}")
    per_class = hls4ml_jets.sizes_per_class(args.profile)
    shard = hls4ml_jets.SHARD_SIZE
    n_shards = sum(-(-n // shard) for n in per_class.values())
    for label, column in (("wall", 1), ("CPU", 2)):
        seconds = sum(n_shards * (rows[k][0] + shard / rows[k][column]) for k in rows) / args.cores
        print(f"projected first generation of the {args.profile!r} profile "
              f"({5 * n_shards * shard} jets, {5 * n_shards} shards) on {args.cores} cores, from {label} rates: "
              f"{seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
