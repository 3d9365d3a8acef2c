"""An hls4ml configuration whose fixed-point types are right by construction.

hls4ml's ``'auto'`` precision gives every Dense result the exact accumulator type (about 40
bits for a 16-bit network). The softmax after the last Dense then indexes its exp lookup
table with the *top* 10 bits of that wide number: every logit of a jet lands in the same
table entry, all classes get the same probability and the argmax agrees with the float
model for about 1 jet in 5 (reproduced in tests/test_fpga.py). Here every type is derived
from the values it must hold, measured on a data sample (``hepcourse.fpga.trace``):

* weights and biases: ``ap_fixed<W_w, I>`` with I = ``integer_bits(max |w|)`` per layer;
* Dense results and activations: ``ap_fixed<W_a, I>`` (``ap_ufixed`` after a ReLU) with I from
  the largest value on the sample plus ``margin_bits``, rounding to nearest and saturating
  (a value beyond the sample's range is clipped, never wrapped to the opposite sign);
* the Dense before a softmax: I from twice its largest |logit|, because the 'stable'
  softmax computes max(z) - z_i in a type derived from it;
* the softmax: 'stable' implementation, exp table of ``ap_ufixed<18,1>`` (its values are
  exp(z_i - max z) in (0, 1]), the sum of the exponentials in ``ap_ufixed<18, k>`` with
  2^k > n_classes, the inverse table ``ap_ufixed<18,1>`` (1/sum is in [1/n, 1]), and
  probabilities as ``ap_ufixed<16,1>``: 16 bits whatever W_a, so that two close classes do
  not round to the same probability (the softmax is a lookup table; its output width costs
  almost nothing).
"""

from __future__ import annotations

import math

import numpy as np

from hepcourse.fpga.fixed_point import integer_bits, type_name
from hepcourse.fpga.trace import trace

SOFTMAX_TABLE_SIZE = 1024
MIN_BITS, MAX_BITS = 2, 32


def parse_precision(precision) -> dict[str, int]:
    """``16`` or ``{"weight": 8, "result": 12}`` -> {"weight": W_w, "result": W_a}."""
    if isinstance(precision, (int, np.integer)) and not isinstance(precision, bool):
        spec = {"weight": int(precision), "result": int(precision)}
    elif isinstance(precision, dict):
        unknown = set(precision) - {"weight", "result"}
        if unknown or len(precision) != 2:
            raise ValueError(f"precision dict needs exactly the keys 'weight' and 'result' (bits), got {sorted(precision)}")
        spec = {key: precision[key] for key in ("weight", "result")}
    else:
        raise ValueError(f"precision must be a number of bits (e.g. 16) or {{'weight': bits, 'result': bits}}, got {precision!r}")
    for key, bits in spec.items():
        if not isinstance(bits, (int, np.integer)) or isinstance(bits, bool) or not MIN_BITS <= bits <= MAX_BITS:
            raise ValueError(f"precision[{key!r}] must be an integer number of bits in {MIN_BITS}..{MAX_BITS}, got {bits!r}")
        spec[key] = int(bits)
    return spec


def _max_abs(array) -> float:
    return float(np.max(np.abs(array))) if np.size(array) else 0.0


def hls_config(model, sample, precision=16, reuse_factor: int = 1, strategy: str = "Latency",
               margin_bits: int = 0) -> dict:
    """hls4ml configuration (granularity "name") for a float Keras model, types from ``sample``.

    ``precision``: total bits, one number for everything or ``{"weight": W_w, "result": W_a}``.
    ``reuse_factor``: how many times each multiplier is reused (1 = fully parallel).
    """
    import hls4ml

    spec = parse_precision(precision)
    if not isinstance(reuse_factor, (int, np.integer)) or reuse_factor < 1:
        raise ValueError(f"reuse_factor must be an integer >= 1, got {reuse_factor!r}")
    if strategy not in ("Latency", "Resource"):
        raise ValueError(f"strategy must be 'Latency' or 'Resource', got {strategy!r}")
    base = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    names = list(base["LayerName"])
    layers = trace(model, sample, input_name=names[0])
    missing = [layer.name for layer in layers if layer.name not in base["LayerName"]]
    if missing:
        raise ValueError(f"hls4ml names the layers {names}, the trace found {missing} in addition: "
                         "give the model's layers unique names")
    w_w, w_a = spec["weight"], spec["result"]
    config = {"Model": {"Precision": {"default": type_name(w_a, min(6, w_a))}, "ReuseFactor": int(reuse_factor),
                        "Strategy": strategy, "BramFactor": 1_000_000_000, "TraceOutput": False},
              "LayerName": {}}
    for index, layer in enumerate(layers):
        entry = {"Trace": False, "ReuseFactor": int(reuse_factor)}
        result = layer.arrays["result"]
        feeds_softmax = index + 1 < len(layers) and layers[index + 1].kind == "softmax"
        if layer.kind == "softmax":
            k = math.ceil(math.log2(layer.n_in + 1))
            # the table types are layer-level "<name>_t" keys in hls4ml (not "Precision" entries)
            entry["Precision"] = {"result": "ap_ufixed<16,1,AP_RND,AP_SAT>"}
            entry["exp_table_t"] = "ap_ufixed<18,1,AP_RND,AP_SAT>"
            entry["inv_table_t"] = "ap_ufixed<18,1,AP_RND,AP_SAT>"
            entry["inv_inp_t"] = f"ap_ufixed<18,{k},AP_RND,AP_SAT>"
            entry["accum_t"] = f"ap_ufixed<{18 + k},{1 + k},AP_RND,AP_SAT>"
            entry["Implementation"] = "stable"
            entry["TableSize"] = min(SOFTMAX_TABLE_SIZE, 2 ** w_a)  # hls4ml caps it at 2^(input bits)
        elif layer.kind == "relu":
            integer = integer_bits(_max_abs(result), signed=False) + margin_bits
            entry["Precision"] = {"result": type_name(w_a, integer, signed=False)}
        else:
            span = 2 * _max_abs(result) if feeds_softmax else _max_abs(result)
            entry["Precision"] = {"result": type_name(w_a, integer_bits(span) + margin_bits)}
        if layer.kind == "dense":
            entry["Precision"]["weight"] = type_name(w_w, integer_bits(_max_abs(layer.arrays["weight"])))
            entry["Precision"]["bias"] = type_name(w_w, integer_bits(_max_abs(layer.arrays["bias"])))
            entry["Precision"]["accum"] = "auto"
        config["LayerName"][layer.name] = entry
    for name in names:  # layers hls4ml knows that carry no value of their own (e.g. Dropout)
        config["LayerName"].setdefault(name, base["LayerName"][name])
    return config
