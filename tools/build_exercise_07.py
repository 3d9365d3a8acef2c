"""Writes solutions/07_fpga/07_fpga.ipynb (the nbgrader source) for exercise 07.

Cells and their nbgrader metadata are defined here, in one place, so ids and points cannot
drift. The graded emulation compiles one hls4ml model with g++ inside the grader (about
20-40 s on one core); the hls4ml project goes to a fresh temporary folder (tempfile), never
into the notebook's folder. Run: python tools/build_exercise_07.py
"""

from pathlib import Path

from hepcourse.instructor.authoring import code, locked, md, solution, tests, write_source
from hepcourse.instructor.sandbox import Limits

ASSIGNMENT = "07_fpga"
LIMITS = Limits()
# Both limits were set from the reference CHOICE measured over seeds and threads, and from
# careless choices (benchmarks/thresholds.py prints the distributions).
MIN_AUC_RATIO = 0.985    # every class keeps >= 98.5 % of its float AUC in the emulation
BUDGET = 65_000          # estimated LUT + 55 DSP for full points of task 3b
MAX_REUSE = 5            # a new jet every 25 ns at 200 MHz

NO_REFERENCE = '''
import hepcourse.fpga as _fpga_package
import hepcourse.fpga.fixed_point as _reference

def _call_without_reference(function, *args):
    names = ("integer_bits", "quantize", "type_range")
    saved = {name: getattr(_reference, name) for name in names}
    packaged = {name: getattr(_fpga_package, name) for name in names}
    assert not any(value in saved.values() for value in function.__globals__.values() if callable(value)), (
        "solve this task with your own code, not with hepcourse.fpga")

    def _forbidden(*a, **k):
        raise AssertionError("solve this task with your own code, not with hepcourse.fpga")

    try:
        for name in names:
            setattr(_reference, name, _forbidden)
            setattr(_fpga_package, name, _forbidden)
        return function(*args)
    finally:
        for name in names:
            setattr(_reference, name, saved[name])
            setattr(_fpga_package, name, packaged[name])
'''

cells = [
    md(f"""
# Exercise 07: a jet tagger for the Level-1 trigger, as few bits as possible

**What is graded** (8 points, autograded):

| task | what you write | points |
|---|---|---|
| 1 | `integer_bits_for` - integer bits of an `ap_fixed` type for a range | 2 |
| 2 | `to_fixed` - emulate `ap_fixed<W,I,AP_RND,AP_SAT>` in numpy | 2 |
| 3a | `CHOICE`: precision + reuse factor whose emulation keeps {MIN_AUC_RATIO:.1%} of the float AUC of every class | 2 |
| 3b | the same `CHOICE` within the resource budget: estimated LUT + 55 DSP <= {BUDGET}, reuse factor <= {MAX_REUSE} | 2 |

Each test cell is worth its points on its own. Cells marked *read-only* are the tests;
hidden tests run when your notebook is graded (task 3a then uses the held-out **test** jets).

**Limits**: the grader (`hepcourse grade`) runs the whole notebook from the top in a sandbox
that holds only this notebook's folder and the course data, with no network, on one or two
CPU cores: at most {LIMITS.wall_s / 60:.0f} minutes for the notebook, {LIMITS.cell_s / 60:.0f} minutes for one cell and
{LIMITS.memory_bytes / 2**30:.0f} GB of memory. The graded test of task 3 compiles your design with
g++ (hls4ml's bit-accurate emulation, 20-60 s); the reference solution needs about a minute in all.

**Before you submit**: *Kernel > Restart & Run All*, then click **Validate** (or run
`hepcourse validate 07_fpga.ipynb` in a terminal). Write your code only where it says
`YOUR CODE HERE` (delete the `raise NotImplementedError()`). Tasks 1 and 2 must be your own code,
not calls to `hepcourse.fpga`.
"""),
    md("""
## Setup: the float tagger

The 16-64-32-32-5 tagger of lecture 07 (arXiv:1804.06913), trained briefly on the five-class jets
of `hepcourse.data.hls4ml_jets` (g, q, W, Z, t; standardised features). `SAMPLE` is the set of
training jets from which `hepcourse.fpga` derives the integer bits of every type.
"""),
    locked(code("""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")  # the grader scores a test cell that writes to stderr as 0

import keras
import numpy as np
from sklearn.preprocessing import StandardScaler

from hepcourse import fpga
from hepcourse.data import hls4ml_jets
from hepcourse.models.jet_tagger_l1 import jet_tagger_l1

SEED = 0  # seeds every random step of the graded training, so that a rerun grades the same
keras.utils.set_random_seed(SEED)
n = hls4ml_jets.sizes()
X_train, y_train = hls4ml_jets.load(n["train"], split="train")
X_val, y_val = hls4ml_jets.load(n["val"], split="val")
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train).astype("float32"), scaler.transform(X_val).astype("float32")
model = jet_tagger_l1()
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=20, batch_size=256, verbose=0,
          callbacks=[keras.callbacks.EarlyStopping(patience=4, restore_best_weights=True)])
SAMPLE = X_train[:1000]
p_float_val = model.predict(X_val, verbose=0)
print(f"float validation accuracy {np.mean(p_float_val.argmax(1) == y_val):.4f}")
"""), "setup"),
    md("""
## Task 1: integer bits (2 points)

`ap_fixed<W, I>` has I integer bits **including the sign bit**, so it covers
[-2^(I-1), 2^(I-1) - 2^-(W-I)]. Write `integer_bits_for(max_abs)`: the smallest I such that
every x with |x| <= max_abs fits without overflow (for max_abs > 0; it may be zero or negative
for small ranges: `ap_fixed<8,-2>` holds |x| < 1/8). Hint: `np.floor(np.log2(...))`.
"""),
    solution('''
def integer_bits_for(max_abs):
    """Smallest number of integer bits (sign included) of an ap_fixed type that holds |x| <= max_abs."""
    ### BEGIN SOLUTION
    return int(np.floor(np.log2(max_abs))) + 2
    ### END SOLUTION
''', "integer_bits"),
    tests('''
for value, expected in ((1.0, 2), (0.7, 1), (3.0, 3), (5.2, 4), (0.1, -2)):
    got = integer_bits_for(value)
    assert got == expected, (
        f"|x| <= {value} needs ap_fixed<W,{expected}> (range up to 2^{expected - 1} = {2.0 ** (expected - 1)}), "
        f"you returned {got}" + (": did you forget the sign bit?" if got == expected - 1 else ""))
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
_rng = np.random.default_rng(7)
for _value in 2.0 ** _rng.uniform(-6, 8, 40):
    assert _call_without_reference(integer_bits_for, _value) == _reference.integer_bits(_value), _value
### END HIDDEN TESTS
''', "test_integer_bits", 2),
    md("""
## Task 2: emulate a fixed-point cast (2 points)

Write `to_fixed(x, width, integer)` returning the values of the array `x` after a cast to
`ap_fixed<width, integer, AP_RND, AP_SAT>`: multiples of the step 2^-(width-integer), rounded
to the nearest (halves up: floor(x/step + 1/2)), and clipped to the type's range
[-2^(integer-1), 2^(integer-1) - step].
"""),
    solution('''
def to_fixed(x, width, integer):
    """Values of x after a cast to ap_fixed<width, integer, AP_RND, AP_SAT>."""
    ### BEGIN SOLUTION
    step = 2.0 ** -(width - integer)
    low, high = -(2.0 ** (integer - 1)), 2.0 ** (integer - 1) - step
    return np.clip(np.floor(np.asarray(x, dtype=float) / step + 0.5) * step, low, high)
    ### END SOLUTION
''', "to_fixed"),
    tests('''
toy = to_fixed(np.array([0.1, 0.125, -0.3, 1.9, -2.6]), 4, 2)
assert np.allclose(toy, [0.0, 0.25, -0.25, 1.75, -2.0]), (
    "ap_fixed<4,2> has step 0.25 and range [-2, 1.75]: 0.1 -> 0, 0.125 -> 0.25 (half rounds up), -0.3 -> -0.25, "
    f"1.9 -> 1.75 and -2.6 -> -2 (saturated); you returned {np.round(toy, 4).tolist()}")
### BEGIN HIDDEN TESTS
''' + NO_REFERENCE + '''
_x = np.random.default_rng(3).normal(0, 4, 500)
for _w, _i in ((8, 3), (6, 1), (12, 5), (5, -1)):
    _mine = _call_without_reference(to_fixed, _x, _w, _i)
    assert np.allclose(_mine, _reference.quantize(_x, _w, _i)), (_w, _i)
### END HIDDEN TESTS
''', "test_to_fixed", 2),
    md(f"""
## Task 3: choose the design (4 points)

Set `CHOICE = {{"weight": W_w, "result": W_a, "reuse_factor": R}}`: the total bits of every
weight and bias (W_w) and of every layer result (W_a), and the reuse factor R. `hepcourse.fpga`
derives the integer bits of each type from `SAMPLE` (lecture 07, section 5), compiles the
design with hls4ml and emulates it bit-accurately.

* **3a** (2 points): for every class, the AUC of the emulated tagger must be at least
  {MIN_AUC_RATIO} x that of the float model (`result.worst_auc_ratio`, the ratio used in the precision
  scans of arXiv:1804.06913), on the validation jets here and on held-out test jets in the hidden
  test. Why not the accuracy? Rounding flips the argmax of jets with two nearly equal class
  probabilities in both directions, so on 1500 jets the accuracy loss scatters by about +-0.006
  between trainings and designs; the AUC uses every jet's score and falls steadily with the bits.
* **3b** (2 points): the estimated resources (`fpga.estimate_hls`, reported as LUT + 55 DSP)
  must be at most {BUDGET}, and the trigger must accept a new jet every 25 ns at 200 MHz, so
  R <= {MAX_REUSE}.

Explore with the estimates, which cost nothing: `fpga.estimate_hls(model, fpga.hls_config(model,
SAMPLE, precision={{"weight": 8, "result": 12}}, reuse_factor=2)).table()`. Each emulation costs a
g++ compile (`fpga.compile_model(fpga.convert(model, SAMPLE, precision=..., reuse_factor=...))`,
20-60 s): try a few, then write your choice. Think about which multiplications leave the DSPs,
and whether the reuse factor changes the estimated LUT + 55 DSP much.
"""),
    solution('''
### BEGIN SOLUTION
# estimates cost nothing: scan them, then emulate only the most promising candidate
for weight, result, reuse in ((16, 16, 1), (16, 16, 5), (10, 10, 5), (8, 10, 5), (6, 9, 5), (5, 8, 5)):
    est = fpga.estimate_hls(model, fpga.hls_config(model, SAMPLE, precision={"weight": weight, "result": result},
                                                   reuse_factor=reuse))
    print(f"{weight}-bit weights, {result}-bit results, reuse {reuse}: LUT + 55 DSP = {est.lut_equivalent}, "
          f"{est.latency_cycles} cycles")
# the reuse factor divides the multipliers by 5 (a jet every 25 ns is still accepted); below 10 bits the
# products leave the DSPs and cost ~W_w x W_a LUTs each. 6-bit weights keep >= 99.4 % of every class's AUC
# (5-bit weights lose 0.5-1.8 % for the worst class, 4-bit ones 2.5-3.5 %); 9-bit results leave room below
# the budget.
CHOICE = {"weight": 6, "result": 9, "reuse_factor": 5}
### END SOLUTION
''', "choice"),
    tests(f'''
assert set(CHOICE) == {{"weight", "result", "reuse_factor"}}, f"CHOICE needs the keys weight, result, reuse_factor; got {{sorted(CHOICE)}}"
precision = {{"weight": CHOICE["weight"], "result": CHOICE["result"]}}
hls_choice = fpga.compile_model(fpga.convert(model, SAMPLE, precision=precision, reuse_factor=CHOICE["reuse_factor"]))
val_result = fpga.compare(y_val, p_float_val, fpga.predict(hls_choice, X_val), hls4ml_jets.CLASSES)
print(val_result.table())
worst_class = min(val_result.auc_ratio, key=val_result.auc_ratio.get)
assert val_result.worst_auc_ratio >= {MIN_AUC_RATIO}, (
    f"the emulated tagger keeps only {{val_result.worst_auc_ratio:.4f}} of the float AUC for {{worst_class}} jets "
    f"(at least {MIN_AUC_RATIO} needed): {{CHOICE['weight']}}-bit weights / {{CHOICE['result']}}-bit results round too "
    "much away; add bits where the profile (fpga.precision_table) shows precision loss")
### BEGIN HIDDEN TESTS
X_test, y_test = hls4ml_jets.load(n["test"], split="test")
X_test = scaler.transform(X_test).astype("float32")
test_result = fpga.compare(y_test, model.predict(X_test, verbose=0), fpga.predict(hls_choice, X_test), hls4ml_jets.CLASSES)
assert test_result.worst_auc_ratio >= {MIN_AUC_RATIO}, test_result.table()
### END HIDDEN TESTS
''', "test_choice_accuracy", 2),
    tests(f'''
estimate = fpga.estimate_hls(model, fpga.hls_config(model, SAMPLE, precision=precision, reuse_factor=CHOICE["reuse_factor"]))
print(estimate.table())
assert 1 <= CHOICE["reuse_factor"] <= {MAX_REUSE}, (
    f"reuse factor {{CHOICE['reuse_factor']}}: the design accepts a new jet every {{5 * CHOICE['reuse_factor']}} ns, "
    "but bunches cross every 25 ns (at most {MAX_REUSE} cycles of 5 ns)")
assert estimate.lut_equivalent <= {BUDGET}, (
    f"estimated LUT + 55 DSP = {{estimate.lut_equivalent}}, over the budget of {BUDGET}: "
    f"{{estimate.dsp}} multiplications still sit in DSPs (both operands >= {{fpga.estimate.DSP_MIN_BITS}} bits) "
    "and LUT multipliers cost about W_weight x W_input each; use fewer bits")
''', "test_choice_resources", 2),
]

out = write_source(cells, ASSIGNMENT, Path(__file__).resolve().parents[1])
print(f"wrote {out}")
