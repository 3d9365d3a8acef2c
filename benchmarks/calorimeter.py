"""Shower generation speed: the detailed simulation against the lecture's GAN generator, from one run.

Simulator (`hepcourse.physics.calorimeter.simulate`, one core, vectorised over the showers of
one call): ms per shower at the dataset's energy distribution (log-uniform 1-100 GeV) and at
fixed 10 and 50 GeV, in batches of --sim-batch showers, and one 10 GeV shower alone.
GAN: ms per shower of the generator of `lectures/03_generative.ipynb`
(`hepcourse.models.gan.shower_generator` with its default widths and latent size) in a
compiled forward pass at batch 1 and batch 1024, on the CPU and, when TensorFlow sees one, on
the GPU. The weights are freshly initialised: the time of a forward pass depends on the
architecture, not on the values of the weights, so no training is needed. Medians of
--repeats runs; the ratio simulator / GAN uses the dataset-distribution row.

    python benchmarks/calorimeter.py [--sim-batch 100] [--repeats 3]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from hepcourse.physics.calorimeter import GEOMETRY, simulate

GOAL = 30.0  # GAN at batch 1024 on the CPU at least this many times faster per shower


def simulator_ms(energies, repeats, seed=0):
    """Median ms per shower of simulate(energies) over ``repeats`` calls (different seeds)."""
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        simulate(energies, seed=seed + r)
        times.append((time.perf_counter() - start) / len(energies) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sim-batch", type=int, default=100, help="showers per simulate() call")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (medians)")

    import keras
    import tensorflow as tf

    from hepcourse.models.gan import generator_ms_per_shower, shower_generator

    rng = np.random.default_rng(0)
    dataset_energies = np.exp(rng.uniform(np.log(1.0), np.log(100.0), args.sim_batch))
    sim_rows = [
        (f"simulator, log-uniform 1-100 GeV, batch {args.sim_batch}", simulator_ms(dataset_energies, args.repeats)),
        (f"simulator, 10 GeV, batch {args.sim_batch}", simulator_ms(np.full(args.sim_batch, 10.0), args.repeats)),
        (f"simulator, 50 GeV, batch {args.sim_batch}", simulator_ms(np.full(args.sim_batch, 50.0), args.repeats)),
        ("simulator, 10 GeV, one shower", simulator_ms(np.full(1, 10.0), args.repeats)),
    ]
    reference = sim_rows[0][1]

    keras.utils.set_random_seed(0)
    shape = (GEOMETRY.n_layers, GEOMETRY.n_cells, GEOMETRY.n_cells)
    generator = shower_generator(shape)
    devices = [("CPU", "/CPU:0")]
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        devices.append(("GPU", gpus[0].name))
    gan_rows = []
    for label, device in devices:
        for batch in (1, 1024):
            gan_rows.append((f"GAN generator, {label}, batch {batch}", generator_ms_per_shower(generator, batch, device, args.repeats)))

    print(f"\nShower generation, ms per shower, medians of {args.repeats} runs "
          f"({shape[0]} x {shape[1]} x {shape[2]} cells; generator {generator.count_params()} parameters)")
    print(f"{'method':48s} {'ms/shower':>10s} {'sim/this':>9s}")
    for name, ms in sim_rows + gan_rows:
        print(f"{name:48s} {ms:10.4f} {reference / ms:9.1f}")
    if not gpus:
        print("GPU: none visible to TensorFlow, GPU rows skipped")
    cpu_1024 = dict(gan_rows)["GAN generator, CPU, batch 1024"]
    ratio = reference / cpu_1024
    print(f"goal: GAN >= {GOAL:.0f}x faster per shower than the simulator on CPU at batch 1024: "
          f"{ratio:.0f}x, {'met' if ratio >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
