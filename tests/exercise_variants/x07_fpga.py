"""Exercise 07: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points (the growth of the sum as a bit length or
counted by a loop, the cast on integer codes or with Python's round() that warns when it
saturates, another design within the budget); each plausible mistake loses exactly its own
task's points: floor instead of ceil of log2 n (task 1), halves rounded up or the asymmetric
range of AP_SAT in the cast (task 2), too few bits (3a only: it fits the budget) and too many
bits (3b only: accurate enough but over the budget).

The designs come from the measured worst-class AUC ratios (benchmarks/thresholds.py, README):
4-bit weights / 6-bit results keep 0.965-0.976 (fails 0.985 on every seed), 8/10 bits
0.999-1.000 but need ~86000 LUT + 55 DSP (budget 65000).
"""

from exercise_variants import Variant, answered, combined, replaced

TOTAL = 8

_REFERENCE_CHOICE = 'CHOICE = {"weight": 6, "result": 9, "reuse_factor": 5}'


def _choice(weight, result, reuse):
    make = replaced("choice", _REFERENCE_CHOICE,
                    f'CHOICE = {{"weight": {weight}, "result": {result}, "reuse_factor": {reuse}}}')
    make.__doc__ = f"CHOICE = {weight}-bit weights, {result}-bit results, reuse {reuse}"
    return make


_ACCUMULATOR_BIT_LENGTH = '''
def accumulator_type(input_type, weight_type, bias_type, n_in):
    """(W, I) of the exact accumulator, counted in fractional and integer bits."""
    (w_x, i_x), (w_w, i_w), (w_b, i_b) = input_type, weight_type, bias_type
    fractional = max(w_x - i_x + w_w - i_w, w_b - i_b)
    # ceil(log2 n) for n >= 1 is the number of bits of n - 1
    integer = max(i_x + i_w + (int(n_in) - 1).bit_length(), i_b) + 1
    return integer + fractional, integer
'''

_ACCUMULATOR_LOOP = '''
def accumulator_type(input_type, weight_type, bias_type, n_in):
    """(W, I) of the exact accumulator: the largest sum doubles with every extra bit."""
    growth = 0
    while 2**growth < n_in:  # n terms of magnitude <= m sum to <= n m <= 2^growth m
        growth += 1
    product = (input_type[0] + weight_type[0], input_type[1] + weight_type[1])
    total = (product[0] + growth, product[1] + growth)
    integer = max(total[1], bias_type[1]) + 1
    width = integer + max(total[0] - total[1], bias_type[0] - bias_type[1])
    return width, integer
'''

_CONV_SYM_CODES = '''
def to_fixed_conv_sym(x, width, integer):
    """ap_fixed<width, integer, AP_RND_CONV, AP_SAT_SYM> on integer codes: ties to the even code."""
    scaled = np.asarray(x, dtype=np.float64) * 2.0 ** (width - integer)
    below = np.floor(scaled)
    fraction = scaled - below
    up = (fraction > 0.5) | ((fraction == 0.5) & (below % 2 == 1))  # a tie goes to the even neighbour
    codes = below + up
    largest = 2 ** (width - 1) - 1  # symmetric: -largest .. largest, the code -2^(W-1) unused
    return np.minimum(np.maximum(codes, -largest), largest) / 2.0 ** (width - integer)
'''

_CONV_SYM_ROUND_WARNS = '''
import sys
import warnings


def to_fixed_conv_sym(x, width, integer):
    """Python's round() rounds halves to even, like AP_RND_CONV; a warning when values saturate."""
    step = 2.0 ** (integer - width)
    top = 2.0 ** (integer - 1) - step
    values = np.asarray(x, dtype=float)
    rounded = np.array([round(v / step) * step for v in values.ravel()]).reshape(values.shape)
    outside = np.abs(rounded) > top
    if outside.any():
        warnings.warn(f"ap_fixed<{width},{integer}> saturates {outside.sum()} of {values.size} values")
        print(f"to_fixed_conv_sym: largest |x| {np.abs(values).max():.3g}", file=sys.stderr)
    return np.where(outside, np.sign(rounded) * top, rounded)
'''

CORRECT = {
    "bit_length, integer codes": Variant(
        combined(answered("accumulator_type", _ACCUMULATOR_BIT_LENGTH), answered("to_fixed_conv_sym", _CONV_SYM_CODES)),
        "ceil(log2 n) as (n - 1).bit_length(); the cast on integer codes, ties sent to the even code by hand and "
        "the codes clipped to the symmetric range"),
    "loop, Python round that warns": Variant(
        combined(answered("accumulator_type", _ACCUMULATOR_LOOP), answered("to_fixed_conv_sym", _CONV_SYM_ROUND_WARNS)),
        "the growth of the sum counted by a loop; the cast with Python's round() (halves to even) that warns and "
        "prints to stderr when it saturates, which it does in the visible test: stderr costs no points"),
    "another design": Variant(
        replaced("choice", _REFERENCE_CHOICE, 'CHOICE = dict(weight=6, result=8, reuse_factor=5)'),
        "6-bit weights and 8-bit results, reuse 5, written with dict(): fewer LUTs than the reference and still "
        "above 0.985 of the float AUC for every class"),
}

WRONG = {
    "floor(log2 n)": Variant(
        replaced("accumulator_type", "int(np.ceil(np.log2(n_in)))", "int(np.floor(np.log2(n_in)))"),
        "the growth of the sum as floor(log2 n): 20 products can exceed 16 times the largest one, so a fan-in "
        "that is not a power of two overflows",
        loses={"test_accumulator_type": 2}),
    "halves up (AP_RND)": Variant(
        replaced("to_fixed_conv_sym", "np.rint(np.asarray(x, dtype=float) / step)",
                 "np.floor(np.asarray(x, dtype=float) / step + 0.5)"),
        "every half rounded up (AP_RND, the cast of lecture 07) instead of to the even neighbour",
        loses={"test_to_fixed_conv_sym": 2}),
    "asymmetric saturation (AP_SAT)": Variant(
        replaced("to_fixed_conv_sym", "-top, top)", "-(2.0 ** (integer - 1)), top)"),
        "clipped to [-2^(I-1), MAX] (AP_SAT) instead of the symmetric [-MAX, MAX]: -4.0 stays -4.0 in ap_fixed<6,3>",
        loses={"test_to_fixed_conv_sym": 2}),
    "too few bits": Variant(
        _choice(4, 6, 5),
        "4-bit weights and 6-bit results: far inside the budget, but the worst class keeps only ~0.97 of its "
        "float AUC (task 3a only)",
        loses={"test_choice_accuracy": 2}),
    "over the budget": Variant(
        _choice(8, 10, 5),
        "8-bit weights and 10-bit results, reuse 5: as accurate as float, but ~86000 LUT + 55 DSP, over the "
        "budget of 65000 (task 3b only)",
        loses={"test_choice_resources": 2}),
}

CARELESS = {"4/6 bits, reuse 5": _choice(4, 6, 5), "5/8 bits, reuse 5": _choice(5, 8, 5),
            "8/10 bits, reuse 5": _choice(8, 10, 5)}
