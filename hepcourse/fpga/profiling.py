"""Per-layer ranges of weights and activations against the fixed-point types chosen for them.

``precision_table`` says, for every variable hls4ml stores (weights, biases, results), the
range seen on a data sample, the range and step of its type, and two verdicts: **overflow**
(values beyond the type's largest value: saturated, or wrapped to the wrong sign) and
**precision loss** (the fraction of non-zero values smaller than half a step, which round to
0). ``hepcourse.plotting.fixed_point_ranges`` draws the same as box plots. This is what
``hls4ml.model.profiling.numerical`` shows, on the course's own trace and types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hepcourse.fpga.fixed_point import parse_type, type_range
from hepcourse.fpga.trace import trace


def layer_values(model, sample, config) -> list[tuple[str, str, np.ndarray, str]]:
    """[(layer, quantity, values, type)] for every typed variable, in network order."""
    names = list(config["LayerName"])
    out = []
    for layer in trace(model, sample, input_name=names[0]):
        precision = config["LayerName"][layer.name]["Precision"]
        for quantity in ("weight", "bias", "result"):
            if quantity in layer.arrays and quantity in precision:
                out.append((layer.name, quantity, np.ravel(layer.arrays[quantity]), precision[quantity]))
    return out


def precision_table(model, sample, config) -> pd.DataFrame:
    """One row per (layer, quantity): observed range, type range, overflow and precision loss."""
    rows = []
    for name, quantity, values, type_str in layer_values(model, sample, config):
        t = parse_type(type_str)
        low, high, step = type_range(t["width"], t["integer"], t["signed"])
        nonzero = np.abs(values[values != 0])
        overflow = float(np.mean((values > high) | (values < low)))
        lost = float(np.mean(nonzero < step / 2)) if nonzero.size else 0.0
        rows.append({"layer": name, "quantity": quantity, "type": type_str.split(",AP_")[0] + ">",
                     "min": float(values.min()), "max": float(values.max()), "type_min": low, "type_max": high,
                     "step": step, "overflow_fraction": overflow, "below_step_fraction": lost,
                     "verdict": "OVERFLOW" if overflow > 0 else ("precision loss" if lost > 0.05 else "ok")})
    return pd.DataFrame(rows)
