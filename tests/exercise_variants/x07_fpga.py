"""Exercise 07: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points (another way to count the bits, fixed
point in integer codes, a to_fixed that warns when it saturates, another design within the
budget); each plausible mistake loses exactly its own task's points: the sign bit forgotten
(task 1), truncation or no saturation in the cast (task 2), too few bits (3a only: it fits the
budget) and too many bits (3b only: accurate enough but over the budget).

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


_BITS_FREXP = '''
import math


def integer_bits_for(max_abs):
    """Smallest number of integer bits (sign included) of an ap_fixed type that holds |x| <= max_abs."""
    # max_abs = m * 2**e with 0.5 <= m < 1, so 2**(e-1) <= max_abs < 2**e: e bits of magnitude + the sign bit
    _, exponent = math.frexp(max_abs)
    return exponent + 1
'''

_BITS_LOOP = '''
def integer_bits_for(max_abs):
    """Smallest number of integer bits (sign included) of an ap_fixed type that holds |x| <= max_abs."""
    bits = 1  # the sign bit alone: ap_fixed<W,1> covers [-1, 1)
    while 2.0 ** (bits - 1) <= max_abs:  # the range ends below 2^(I-1): too small, add a bit
        bits += 1
    while 2.0 ** (bits - 2) > max_abs:  # one bit fewer still holds it (ranges below 1/2)
        bits -= 1
    return bits
'''

_FIXED_CODES = '''
def to_fixed(x, width, integer):
    """Values of x after a cast to ap_fixed<width, integer, AP_RND, AP_SAT>."""
    # the integer code of a W-bit two's-complement number, in [-2^(W-1), 2^(W-1) - 1]
    scaled = np.asarray(x, dtype=np.float64) * 2.0 ** (width - integer)
    below = np.floor(scaled)
    codes = np.where(scaled - below >= 0.5, below + 1, below)  # to the nearest, halves up
    codes = np.minimum(np.maximum(codes, -(2 ** (width - 1))), 2 ** (width - 1) - 1)
    return codes / 2.0 ** (width - integer)
'''

_FIXED_WARNS = '''
import sys
import warnings


def to_fixed(x, width, integer):
    """Values of x after a cast to ap_fixed<width, integer, AP_RND, AP_SAT>."""
    step = 2.0 ** (integer - width)
    low, high = -(2.0 ** (integer - 1)), 2.0 ** (integer - 1) - step
    x = np.asarray(x, dtype=float)
    rounded = np.floor(x / step + 0.5) * step
    outside = (rounded < low) | (rounded > high)
    if outside.any():
        warnings.warn(f"ap_fixed<{width},{integer}> saturates {outside.sum()} of {x.size} values")
        print(f"to_fixed: largest |x| {np.abs(x).max():.3g}", file=sys.stderr)
    return np.clip(rounded, low, high)
'''

CORRECT = {
    "frexp bits, integer codes": Variant(
        combined(answered("integer_bits", _BITS_FREXP), answered("to_fixed", _FIXED_CODES)),
        "integer bits from math.frexp's exponent; the cast done on integer codes, halves rounded up with np.where "
        "and the codes clipped to the W-bit two's-complement range"),
    "loop bits, a cast that warns": Variant(
        combined(answered("integer_bits", _BITS_LOOP), answered("to_fixed", _FIXED_WARNS)),
        "integer bits counted by a loop; a to_fixed that warns (warnings.warn and a print to stderr) when it "
        "saturates, which it does in the visible test: stderr costs no points"),
    "another design": Variant(
        replaced("choice", _REFERENCE_CHOICE, 'CHOICE = dict(weight=6, result=8, reuse_factor=5)'),
        "6-bit weights and 8-bit results, reuse 5, written with dict(): fewer LUTs than the reference and still "
        "above 0.985 of the float AUC for every class"),
}

WRONG = {
    "sign bit forgotten": Variant(
        replaced("integer_bits", "int(np.floor(np.log2(max_abs))) + 2", "int(np.floor(np.log2(max_abs))) + 1"),
        "integer bits without the sign bit (ap_fixed's I includes it): every range overflows by a factor 2",
        loses={"test_integer_bits": 2}),
    "truncation": Variant(
        replaced("to_fixed", "np.floor(np.asarray(x, dtype=float) / step + 0.5) * step",
                 "np.floor(np.asarray(x, dtype=float) / step) * step"),
        "the cast truncates (AP_TRN, ap_fixed's default) instead of rounding to the nearest (AP_RND)",
        loses={"test_to_fixed": 2}),
    "no saturation": Variant(
        replaced("to_fixed", "return np.clip(np.floor(np.asarray(x, dtype=float) / step + 0.5) * step, low, high)",
                 "return np.floor(np.asarray(x, dtype=float) / step + 0.5) * step"),
        "the cast rounds but never clips to the type's range: values beyond it stay (AP_SAT forgotten)",
        loses={"test_to_fixed": 2}),
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
