"""W/Z groomed-mass resolution of the hls4ml jets for several calorimeter granularities.

For each detector configuration: one shard of --jets W jets and one of Z jets; among jets with
60 < m_mmdt < 120 GeV, the median groomed mass and IQR/1.35 (a Gaussian-equivalent width),
and the accuracy of the best single mass cut (halfway between the two medians) in telling W
from Z. This is the measurement behind the choice of ``hls4ml_jets.DETECTOR`` in the dataset
card.

    python benchmarks/hls4ml_detector.py [--jets 150]
"""

import argparse

import numpy as np

from hepcourse.data import hls4ml_jets
from hepcourse.physics.jets.detector import DetectorSettings

CONFIGS = {
    "0.1 x 10 deg (top-tagging jets)": DetectorSettings(),
    "0.087 x 5 deg (CMS HCAL)": DetectorSettings(cell_size=0.087, cell_phi_bins=72),
    "0.05 x 5 deg (hls4ml_jets)": hls4ml_jets.DETECTOR,
    "no detector": DetectorSettings(enabled=False),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jets", type=int, default=150)
    args = parser.parse_args()
    print(f"\nW/Z groomed mass, {args.jets} jets per class, jets with 60 < m_mmdt < 120 GeV")
    print(f"{'towers':34s} {'W median':>9s} {'W width':>8s} {'Z median':>9s} {'Z width':>8s} {'W/Z by mass':>12s}")
    for label, detector in CONFIGS.items():
        settings = hls4ml_jets.Hls4mlJetSettings(detector=detector, shard_size=args.jets)
        core = {}
        for kind in "wz":
            m = hls4ml_jets.generate_shard(kind, "bench", 5, 0, settings)["features"][:, 14]
            core[kind] = m[(m > 60) & (m < 120)]
        cut = (np.median(core["w"]) + np.median(core["z"])) / 2
        accuracy = (np.mean(core["w"] < cut) + np.mean(core["z"] >= cut)) / 2
        widths = {k: np.subtract(*np.percentile(v, [75, 25])) / 1.35 for k, v in core.items()}
        print(f"{label:34s} {np.median(core['w']):9.1f} {widths['w']:8.1f} {np.median(core['z']):9.1f} "
              f"{widths['z']:8.1f} {accuracy:12.2f}")


if __name__ == "__main__":
    main()
