"""Fixed-point numbers as the FPGA sees them: ``ap_fixed<W, I>`` types and their numpy emulation.

``ap_fixed<W, I>`` (Xilinx's arbitrary-precision type, used by hls4ml) has W bits in total, I of
them integer bits *including the sign bit*, so W - I fractional bits: it represents the
multiples of 2^-(W-I) in [-2^(I-1), 2^(I-1) - 2^-(W-I)]. ``ap_ufixed<W, I>`` has no sign bit
and covers [0, 2^I - 2^-(W-I)]. What happens at the edges is part of the type: rounding
(``AP_TRN``: towards minus infinity, the default; ``AP_RND``: to the nearest, halves up) and
overflow (``AP_WRAP``: two's-complement wrap-around, the default; ``AP_SAT``: clip to the range).
"""

from __future__ import annotations

import math
import re

import numpy as np

ROUNDING = ("TRN", "RND")
OVERFLOW = ("WRAP", "SAT")
_TYPE = re.compile(r"^\s*ap_(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*(?:,\s*AP_(\w+)\s*)?(?:,\s*AP_(\w+)\s*)?>\s*$")


def integer_bits(max_abs: float, signed: bool = True) -> int:
    """Smallest I such that ``ap_fixed<W, I>`` (``ap_ufixed`` if not signed) holds |x| <= max_abs.

    The signed range ends at 2^(I-1) (minus one step), so I = floor(log2(max_abs)) + 1, plus
    one for the sign bit. It may be zero or negative for ranges below 1/2 (ap_fixed allows it:
    all bits are then fractional and the leading ones are known to be zero).
    """
    max_abs = float(max_abs)
    if not np.isfinite(max_abs) or max_abs < 0:
        raise ValueError(f"max_abs must be a finite number >= 0, got {max_abs}")
    if max_abs == 0:
        return 1 if signed else 0
    return int(math.floor(math.log2(max_abs))) + 1 + int(signed)


def type_name(width: int, integer: int, signed: bool = True, rounding: str = "RND", overflow: str = "SAT") -> str:
    """The C++ type string, e.g. ``ap_fixed<16,6,AP_RND,AP_SAT>``."""
    _check_type(width, integer, rounding, overflow)
    return f"ap_{'' if signed else 'u'}fixed<{width},{integer},AP_{rounding},AP_{overflow}>"


def parse_type(name: str) -> dict:
    """``"ap_fixed<16,6,AP_RND,AP_SAT>"`` -> dict(width, integer, signed, rounding, overflow)."""
    match = _TYPE.match(str(name))
    if not match:
        raise ValueError(f"{name!r} is not an ap_fixed<W,I[,AP_rounding[,AP_overflow]]> or ap_ufixed type")
    unsigned, width, integer, rounding, overflow = match.groups()
    out = dict(width=int(width), integer=int(integer), signed=not unsigned,
               rounding=rounding or "TRN", overflow=overflow or "WRAP")
    if out["overflow"].startswith("SAT"):
        out["overflow"] = "SAT"
    _check_type(out["width"], out["integer"], out["rounding"] if out["rounding"] in ROUNDING else "RND", out["overflow"])
    return out


def type_range(width: int, integer: int, signed: bool = True) -> tuple[float, float, float]:
    """(smallest value, largest value, step) of ``ap_(u)fixed<width, integer>``."""
    step = 2.0 ** -(width - integer)
    if signed:
        return -(2.0 ** (integer - 1)), 2.0 ** (integer - 1) - step, step
    return 0.0, 2.0 ** integer - step, step


def quantize(x, width: int, integer: int, signed: bool = True, rounding: str = "RND", overflow: str = "SAT"):
    """Emulate the cast of ``x`` to ``ap_(u)fixed<width, integer, AP_rounding, AP_overflow>``."""
    _check_type(width, integer, rounding, overflow)
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf: a fixed-point number cannot represent them")
    low, high, step = type_range(width, integer, signed)
    ticks = np.floor(x / step + (0.5 if rounding == "RND" else 0.0))
    if overflow == "SAT":
        return np.clip(ticks * step, low, high)
    n_codes = 2 ** width
    offset = -low / step  # wrap the integer code like two's complement (or modulo 2^W unsigned)
    return (np.mod(ticks + offset, n_codes) - offset) * step


def _check_type(width, integer, rounding="RND", overflow="SAT"):
    if not isinstance(width, (int, np.integer)) or not 1 <= width <= 64:
        raise ValueError(f"width must be an integer number of bits in 1..64, got {width!r}")
    if not isinstance(integer, (int, np.integer)) or not -64 <= integer <= 64:
        raise ValueError(f"integer bits must be an integer in -64..64, got {integer!r}")
    if rounding not in ROUNDING:
        raise ValueError(f"rounding must be one of {ROUNDING}, got {rounding!r}")
    if overflow not in OVERFLOW:
        raise ValueError(f"overflow must be one of {OVERFLOW}, got {overflow!r}")
