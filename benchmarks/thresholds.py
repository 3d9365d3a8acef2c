"""Every graded threshold of every exercise, against the reference solution over seeds and threads.

A correct solution must never fail by chance, on any machine, and a careless one must still
fail. This script executes each exercise's nbgrader source (the reference solution with its
hidden tests) on a fresh kernel for several values of the notebook's ``SEED`` and with 1 and
2 CPU threads (the grader gives each of two parallel submissions one thread), and also the
careless answers of ``tests/exercise_variants`` (2 threads); after the last cell it reads the
quantity each threshold compares. It prints, per threshold: the limit, the reference's
min / median / max, the margin (the reference's worst value minus the limit, counted in the
direction that passes, so it must be > 0) and the careless answers' values (they must fail).

    python benchmarks/thresholds.py [--seeds 5] [--threads 1 2] [--exercise 07_fpga ...]

Measured with the data cache prepared (`make data`); about 30 minutes on 2 cores for all four
exercises. tests/test_thresholds.py checks that every limit below is the one written in the
exercise's test cell.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import exercise_variants  # noqa: E402  (tests/exercise_variants: the careless answers)

SEED_LINE = "SEED = 0"
MARKER = "THRESHOLDS_JSON "


@dataclass(frozen=True)
class Threshold:
    """One graded comparison: ``measure`` (an expression evaluated in the graded kernel after
    the last cell) must be ``>=`` or ``<=`` ``limit`` for the points of test cell ``cell``."""

    cell: str
    what: str
    measure: str
    op: str
    limit: float
    written: str  # how the limit is written in the test cell (checked by written_limits_problems)

    def passes(self, value: float | None) -> bool:
        if value is None:
            return False
        return value >= self.limit if self.op == ">=" else value <= self.limit

    def margin(self, value: float) -> float:
        """How far ``value`` is on the passing side of the limit (negative: it fails)."""
        return value - self.limit if self.op == ">=" else self.limit - value


@dataclass(frozen=True)
class Exercise:
    name: str
    thresholds: tuple[Threshold, ...]
    setup: str = ""  # code the measuring cell runs first (imports its expressions need)


EXERCISES = {
    "01_classification": Exercise("01_classification", (
        Threshold("test_cnn_auc_partial", "AUC, validation jets (visible test)",
                  "roc_auc_score(y_val, val_score)", ">=", 0.90,
                  "check_classifier_auc(y_val, val_score, 0.9,"),
        Threshold("test_cnn_auc_partial", "AUC, test jets (1 point)", "roc_auc_score(y_test, test_score)", ">=", 0.90,
                  "check_classifier_auc(y_test, test_score, 0.9,"),
        Threshold("test_cnn_auc_target", "AUC, test jets (2 points)", "roc_auc_score(y_test, test_score)", ">=", 0.95,
                  "check_classifier_auc(y_test, test_score, 0.95,"),
    ), setup="from sklearn.metrics import roc_auc_score"),
    "02_regression": Exercise("02_regression", (
        Threshold("test_unbinned_toy", "worst |pull| of the unbinned toy fit (toy seeded by SEED)",
                  "float(np.max(np.abs(toy_pulls)))", "<=", 4.0, "np.max(np.abs(toy_pulls)) < 4"),
        Threshold("test_unbinned_toy", "worst |ln(errors / expected errors)|, toy fit", "toy_error_ratio", "<=",
                  0.2624, "toy_error_ratio < np.log(1.3)"),
        Threshold("test_unbinned_real", "worst |unbinned - binned| / combined error, real showers", "real_tension",
                  "<=", 3.0, "real_tension < 3"),
        Threshold("test_layer_weights", "median response of the layer-weighted sum (12 layers), validation",
                  "abs(weighted_response - 1)", "<=", 0.03, "0.97 < weighted_response < 1.03"),
        Threshold("test_layer_weights", "mean sigma/E, layer-weighted / single-k sum (12 layers), validation",
                  "weighted_ratio", "<=", 0.95, "weighted_ratio < 0.95"),
        Threshold("test_regressor_partial", "mean sigma/E, validation / calibrated sum (visible test)",
                  "metrics.binned_resolution(E_val, E_pred_val.ravel(), bins=8).mean_resolution()"
                  " / compact_sum.mean_resolution()", "<=", 1.0,
                  "target=compact_sum.mean_resolution()"),
        Threshold("test_regressor_partial", "worst |response - 1| over 8 bins, test showers",
                  "float(np.max(np.abs(metrics.binned_resolution(E_test, E_pred_test.ravel(), bins=8).response - 1)))",
                  "<=", 0.1, "check_energy_regressor(E_test, E_pred_test, target=_sum_test"),
        Threshold("test_regressor_partial", "mean sigma/E, test / calibrated sum (1 point)",
                  "metrics.binned_resolution(E_test, E_pred_test.ravel(), bins=8).mean_resolution() / _sum_test",
                  "<=", 1.0, "target=_sum_test"),
        Threshold("test_regressor_target", "mean sigma/E, test / calibrated sum (2 points)",
                  "metrics.binned_resolution(E_test, E_pred_test.ravel(), bins=8).mean_resolution() / _sum_test",
                  "<=", 0.90, "target=0.90 * _sum_test"),
    )),
    "03_generative": Exercise("03_generative", (
        Threshold("test_training_partial", "W1(response) untrained / trained, validation (visible test)",
                  "distance_untrained / distance_trained", ">=", 2.0,
                  "distance_trained <= distance_untrained / 2.0"),
        Threshold("test_training_partial", "W1(response) untrained / trained, test (1 point)",
                  "distance_test_untrained / distance_test", ">=", 2.0,
                  "distance_test <= distance_test_untrained / 2.0"),
        Threshold("test_training_target", "W1(response) untrained / trained, test (2 points)",
                  "distance_test_untrained / distance_test", ">=", 4.0,
                  "distance_test <= distance_test_untrained / 4.0"),
        Threshold("test_training_resolution", "lowest sigma/E ratio generated/simulated, validation (visible)",
                  "ratios_val.min()", ">=", 0.5, "ratios_val.min() >= 0.5"),
        Threshold("test_training_resolution", "highest sigma/E ratio generated/simulated, validation (visible)",
                  "ratios_val.max()", "<=", 12.0, "ratios_val.max() <= 12.0"),
        Threshold("test_training_resolution", "lowest sigma/E ratio generated/simulated, test (1 point)",
                  "ratios_test.min()", ">=", 0.5, "ratios_test.min() >= 0.5"),
        Threshold("test_training_resolution", "highest sigma/E ratio generated/simulated, test (1 point)",
                  "ratios_test.max()", "<=", 12.0, "ratios_test.max() <= 12.0"),
    )),
    "05_uncertainties": Exercise("05_uncertainties", tuple(
        Threshold(cell, f"pull width, {lo:.0f}-{hi:.0f} GeV, {which} ({what})",
                  f"widths_{which}[({lo}, {hi})].width", op, limit, written)
        for cell, which, what, op, limit, written in (
            ("test_pulls_partial", "val", "visible", ">=", 0.8, "0.8 <= pulls.width <= 1.25"),
            ("test_pulls_partial", "val", "visible", "<=", 1.25, "0.8 <= pulls.width <= 1.25"),
            ("test_pulls_target", "test", "2 points", ">=", 0.85, "0.85 <= pulls.width <= 1.15"),
            ("test_pulls_target", "test", "2 points", "<=", 1.15, "0.85 <= pulls.width <= 1.15"))
        for lo, hi in ((1.0, 5.0), (5.0, 20.0), (20.0, 100.0))
    ) + tuple(
        Threshold("test_pulls_target", f"68% coverage, {lo:.0f}-{hi:.0f} GeV, test (2 points)",
                  f"widths_test[({lo}, {hi})].coverage_68", op, limit, "0.60 <= pulls.coverage_68 <= 0.78")
        for op, limit in ((">=", 0.60), ("<=", 0.78))
        for lo, hi in ((1.0, 5.0), (5.0, 20.0), (20.0, 100.0))
    )),
    "04_anomaly_detection": Exercise("04_anomaly_detection", (
        Threshold("test_t2", "AUC of Hotelling's T^2, PCA-10, validation (deterministic)",
                  "metrics.auc(y_val, t2_val)", ">=", 0.45, "check_classifier_auc(y_val, t2_val, 0.45,"),
        Threshold("test_autoencoder_auc_partial", "AUC, validation jets (visible test)",
                  "metrics.auc(y_val, score_val)", ">=", 0.75, "check_classifier_auc(y_val, score_val, 0.75,"),
        Threshold("test_autoencoder_auc_partial", "AUC, test jets (1 point)", "metrics.auc(y_test, test_score)",
                  ">=", 0.75, "check_classifier_auc(y_test, test_score, 0.75,"),
        Threshold("test_autoencoder_auc_target", "AUC, test jets (2 points)", "metrics.auc(y_test, test_score)",
                  ">=", 0.87, "check_classifier_auc(y_test, test_score, 0.87,"),
    )),
    "06_decorrelation": Exercise("06_decorrelation", (
        Threshold("test_udcor_bias", "|mean dCor^2_u|, 1000 independent batches of 10 (deterministic)",
                  "abs(u_mean)", "<=", 0.03, "abs(u_mean) < 0.03"),
        Threshold("test_tagger_decorrelated", "1/JSD50, test jets (2 points)", 'test_result["inverse_JSD50"]',
                  ">=", 6.0, 'test_result["inverse_JSD50"] >= 6'),
        Threshold("test_tagger_tradeoff", "R50, test jets (2 points, with 1/JSD50 >= 6)", 'test_result["R50"]',
                  ">=", 6.0, 'test_result["R50"] >= 6'),
    )),
    "07_fpga": Exercise("07_fpga", (
        Threshold("test_choice_accuracy", "worst AUC ratio emulated/float, validation jets",
                  "val_result.worst_auc_ratio", ">=", 0.985, "val_result.worst_auc_ratio >= 0.985"),
        Threshold("test_choice_accuracy", "worst AUC ratio emulated/float, test jets (hidden)",
                  "test_result.worst_auc_ratio", ">=", 0.985, "test_result.worst_auc_ratio >= 0.985"),
        Threshold("test_choice_resources", "estimated LUT + 55 DSP", "estimate.lut_equivalent", "<=", 65_000,
                  "estimate.lut_equivalent <= 65000"),
    )),
    "08_astroparticle": Exercise("08_astroparticle", (
        Threshold("test_plane_fit", "median angle to the graders' plane fit, test (deterministic)", "agreement_deg",
                  "<=", 0.01, "agreement_deg < 0.01"),
        Threshold("test_plane_fit_resolution", "68 % space angle to the true direction, test (deterministic)",
                  "angle68_test", "<=", 3.2, "angle68_test <= 3.2"),
        Threshold("test_energy_partial", "sigma(ln E) %, validation events (visible test)", "resolution_val", "<=",
                  20.0, "resolution_val <= 20"),
        Threshold("test_energy_partial", "sigma(ln E) %, test events (2 points)", "resolution_test", "<=", 20.0,
                  "resolution_test <= 20"),
        Threshold("test_energy_target", "sigma(ln E) %, test events (2 more points)", "resolution_test", "<=", 14.0,
                  "resolution_test <= 14"),
    )),
}


def written_limits_problems(name: str) -> list[str]:
    """Thresholds of exercise ``name`` whose limit is not written as stated in its test cell."""
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    problems = []
    for t in EXERCISES[name].thresholds:
        if t.cell not in cells:
            problems.append(f"{name}: no graded cell {t.cell!r}")
        elif t.written not in cells[t.cell]:
            problems.append(f"{name} {t.cell}: the limit {t.written!r} is not in the cell (changed? update "
                            f"benchmarks/thresholds.py and measure again)")
    return problems


def _measure_cell(exercise: Exercise) -> str:
    expressions = {f"{k}": t.measure for k, t in enumerate(exercise.thresholds)}
    return "\n".join([
        "import json as _json",
        exercise.setup,
        "_values = {}",
        f"for _key, _expression in {expressions!r}.items():",
        "    try:",
        "        _values[_key] = float(eval(_expression))",
        "    except Exception:",
        "        _values[_key] = None",
        f"print({MARKER!r} + _json.dumps(_values))",
    ])


def with_seed(nb, seed: int):
    """The notebook with its ``SEED = 0`` line (in the setup cell) set to ``seed``."""
    hits = [(cell, i) for cell in nb.cells if cell.cell_type == "code"
            for i, line in enumerate(cell.source.splitlines()) if line.startswith(SEED_LINE)]
    if len(hits) != 1:
        raise ValueError(f"expected exactly one line starting {SEED_LINE!r}, found {len(hits)}")
    cell, i = hits[0]
    lines = cell.source.splitlines()
    lines[i] = f"SEED = {seed}" + lines[i][len(SEED_LINE):]
    cell.source = "\n".join(lines)
    return nb


def execute(exercise: Exercise, nb, seed: int, threads: int) -> tuple[dict, float]:
    """Run ``nb`` (all cells, errors allowed, as the grader does) and return the measured values."""
    nb = with_seed(nbformat.from_dict(json.loads(json.dumps(nb))), seed)
    nb.cells.append(nbformat.v4.new_code_cell(_measure_cell(exercise)))
    env = dict(os.environ)
    env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")})
    env["NBGRADER_EXECUTION"] = "autograde"  # as `hepcourse grade` runs it: explore-only cells skip
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="thresholds_") as tmp:
        client = NotebookClient(nb, timeout=1200, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": tmp}})
        client.execute(cwd=tmp, env=env)  # passed on to the kernel manager's start_kernel
    wall = time.perf_counter() - start
    text = "".join(out.get("text", "") for out in nb.cells[-1].get("outputs", []) if out.get("name") == "stdout")
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"{exercise.name} seed {seed}: the measuring cell printed nothing: {nb.cells[-1].outputs}")
    values = json.loads(line[len(MARKER):])
    return {exercise.thresholds[int(k)]: v for k, v in values.items()}, wall


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 of the reference (default 5)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--careless-seeds", type=int, default=3, help="seeds of each careless answer (2 threads)")
    parser.add_argument("--exercise", nargs="*", default=sorted(EXERCISES))
    parser.add_argument("--json", type=Path, help="also write every measured value to this file")
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    problems = [p for name in args.exercise for p in written_limits_problems(name)]
    if problems:
        parser.error("\n".join(problems))

    jobs = []  # (exercise, who, notebook, seed, threads)
    for name in args.exercise:
        exercise = EXERCISES[name]
        source = ROOT / "solutions" / name / f"{name}.ipynb"
        reference = nbformat.read(source, as_version=4)
        for threads in args.threads:
            jobs += [(exercise, "reference", reference, seed, threads) for seed in range(args.seeds)]
        for who, make in exercise_variants.variants(name).CARELESS.items():
            jobs += [(exercise, who, make(source), seed, max(args.threads)) for seed in range(args.careless_seeds)]

    results = []  # (exercise, who, seed, threads, values, wall)

    def run(job):
        exercise, who, nb, seed, threads = job
        values, wall = execute(exercise, nb, seed, threads)
        print(f"  {exercise.name:18s} {who:28s} seed {seed} threads {threads}: {wall:5.0f} s", flush=True)
        return exercise, who, seed, threads, values, wall

    # as many notebooks at once as their threads fill the CPUs
    for threads in sorted({job[4] for job in jobs}):
        batch = [job for job in jobs if job[4] == threads]
        with ThreadPoolExecutor(max_workers=max(1, cpus // threads)) as pool:
            results += list(pool.map(run, batch))

    status = 0
    print(f"\nGraded thresholds: reference solution over seeds 0..{args.seeds - 1} x threads "
          f"{'/'.join(map(str, args.threads))} ({args.seeds * len(args.threads)} runs), careless answers over "
          f"{args.careless_seeds} seeds; margin = reference's worst minus the limit (> 0 passes)")
    header = f"{'exercise':18s} {'threshold':58s} {'limit':>10s} {'min':>8s} {'median':>8s} {'max':>8s} {'margin':>8s}  careless answers"
    print(header)
    for name in args.exercise:
        exercise = EXERCISES[name]
        for t in exercise.thresholds:
            ref = [r[4][t] for r in results if r[0] is exercise and r[1] == "reference"]
            known = [v for v in ref if v is not None]
            worst = min(known, key=t.margin) if known else None
            margin = t.margin(worst) if worst is not None and len(known) == len(ref) else None
            careless = []
            for who in exercise_variants.variants(name).CARELESS:
                vals = [r[4][t] for r in results if r[0] is exercise and r[1] == who]
                if any(v is not None for v in vals):
                    fails = sum(not t.passes(v) for v in vals)
                    careless.append(f"{who} {'/'.join(_fmt(v) for v in vals)} (fails {fails}/{len(vals)})")
            ok = margin is not None and margin > 0
            status |= not ok
            print(f"{name:18s} {(t.op + ' ' + t.what)[:58]:58s} {_fmt(t.limit):>10s} "
                  f"{_fmt(min(known) if known else None):>8s} {_fmt(statistics.median(known) if known else None):>8s} "
                  f"{_fmt(max(known) if known else None):>8s} {_fmt(margin):>8s}  {'; '.join(careless) or '-'}"
                  + ("" if ok else "   <-- the reference fails"))
    walls = [r[5] for r in results]
    print(f"{len(results)} notebook runs, median {statistics.median(walls):.0f} s each")
    if args.json:
        args.json.write_text(json.dumps([
            {"exercise": r[0].name, "who": r[1], "seed": r[2], "threads": r[3], "wall_s": r[5],
             "values": {f"{t.cell}: {t.what}": v for t, v in r[4].items()}} for r in results], indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
