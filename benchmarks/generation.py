"""Jet generation speed: the full pipeline against bare `Pythia.next()`, measured in one run.

For each process, on one core: the raw rate (events/s of `pythia.next()` alone, same
settings) and the pipeline rate (events/s through next + pre-filter + particle read-out +
detector model + FastJet clustering + selection + N-subjettiness, initialisation excluded),
their ratio (goal >= 0.8) and the selected jets per second per core. Medians of --repeats runs.

    python benchmarks/generation.py [--jets 100] [--events 300] [--repeats 3]
"""

import argparse
import statistics
import time
from dataclasses import replace

from hepcourse.data import jets
from hepcourse.physics.jets.pythia_events import PROCESSES, make_pythia


def raw_rate(process: str, n_events: int, seed: int) -> float:
    pythia = make_pythia(PROCESSES[process], seed)
    start = time.perf_counter()
    for _ in range(n_events):
        pythia.next()
    return n_events / (time.perf_counter() - start)


def init_seconds(process: str, seed: int) -> float:
    start = time.perf_counter()
    jets.JetEventSource(PROCESSES[process], seed)
    return time.perf_counter() - start


def pipeline_rate(process: str, n_jets: int, seed: int) -> tuple[float, float]:
    settings = replace(jets.JetDatasetSettings(), shard_size=n_jets)
    init = init_seconds(process, seed)
    start = time.perf_counter()
    shard = jets.generate_shard(process, "bench", seed, 0, settings)
    elapsed = time.perf_counter() - start - init
    return int(shard["n_generated"]) / elapsed, n_jets / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jets", type=int, default=100, help="selected jets per pipeline run")
    parser.add_argument("--events", type=int, default=300, help="events per raw next() run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for process in PROCESSES:
        raws, pipes, jet_rates = [], [], []
        for r in range(args.repeats):
            raws.append(raw_rate(process, args.events, 1000 + r))
            events, jets_per_s = pipeline_rate(process, args.jets, 2000 + r)
            pipes.append(events)
            jet_rates.append(jets_per_s)
        raw, pipe = statistics.median(raws), statistics.median(pipes)
        rows.append((process, raw, pipe, pipe / raw, statistics.median(jet_rates)))
    print(f"\nJet generation, one core, medians of {args.repeats} runs")
    print(f"{'process':8s} {'raw next() ev/s':>16s} {'pipeline ev/s':>14s} {'ratio':>6s} {'jets/s/core':>12s}")
    for process, raw, pipe, ratio, jet_rate in rows:
        print(f"{process:8s} {raw:16.1f} {pipe:14.1f} {ratio:6.2f} {jet_rate:12.1f}")
    print("goal: ratio >= 0.80")


if __name__ == "__main__":
    main()
