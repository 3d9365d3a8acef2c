"""FPGA resources and latency estimated without vendor tools - an analytic model, stated here.

For each Dense layer (n_in inputs, n_out outputs) in hls4ml's fully parallel ``Latency``
strategy with ``io_parallel``, every weight is a constant wired into its own multiplier:

* **multiplications**: the weights that are non-zero *after* quantization (a weight that
  rounds to 0, or is pruned, or has 0 bits in an HGQ2 model, costs nothing: HLS removes a
  product with the constant 0). With reuse factor R, one multiplier serves R products in R
  successive clock cycles: ceil(n_mult / R) multipliers.
* **cost of a multiplication** of a b_x-bit input by a b_w-bit constant: a DSP48 slice when
  both operands have at least ``DSP_MIN_BITS`` (10) bits, otherwise about b_x * b_w LUTs
  (one LUT per partial-product bit; synthesis often does better with shifts and adds, so
  this is an upper estimate). A rule of thumb, not what Vivado decides case by case.
* **adder tree**: per output, n_mult_j - 1 additions of the accumulator width
  b_x + b_w + ceil(log2 n_in), one LUT per bit (carry chain), shared by R as well.
* **flip-flops**: one pipeline register per clock cycle of latency on the layer's outputs
  (n_out * accumulator width per stage).
* **latency** in cycles at 200 MHz: 1 for a LUT multiplication or 2 for a DSP one, then
  ceil(log2(n_in) / 3) for the adder tree (about three levels of adders fit in 5 ns),
  1 output register, and R - 1 more cycles to feed R products through each multiplier.
  ReLU adds no cycle (it is merged into the registers); a softmax adds 3 (two table
  look-ups and a multiplication).
* **EBOPs** (effective bit operations, arXiv:2405.00645): sum over products of b_x * b_w (plus
  the bias terms), for QAT models the exact count HGQ2 computes from its per-weight and
  per-input bit widths. HGQ's authors find EBOPs ~ LUT + 55 * DSP after place and route,
  which is why ``lut_equivalent`` = LUT + 55 DSP is the single number compared here.

These are estimates to compare designs with each other: HLS synthesis (``hepcourse.fpga.build``
with vendor tools) is the measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hepcourse.fpga.fixed_point import parse_type, quantize

DSP_MIN_BITS = 10
DSP_TO_LUT = 55  # HGQ (arXiv:2405.00645): EBOPs ~ LUT + 55 DSP
ADDER_LEVELS_PER_CYCLE = 3
SOFTMAX_CYCLES = 3
CLOCK_MHZ = 200.0


@dataclass
class LayerEstimate:
    name: str
    n_in: int
    n_out: int
    n_mult: int
    multipliers: int
    dsp: int
    lut: int
    ff: int
    latency_cycles: int
    ebops: float


@dataclass
class Estimate:
    """Per-layer estimates and their totals (see the module docstring for the model)."""

    layers: list = field(default_factory=list)
    extra_cycles: int = 0  # softmax

    @property
    def dsp(self) -> int:
        return sum(layer.dsp for layer in self.layers)

    @property
    def lut(self) -> int:
        return sum(layer.lut for layer in self.layers)

    @property
    def ff(self) -> int:
        return sum(layer.ff for layer in self.layers)

    @property
    def ebops(self) -> float:
        return float(sum(layer.ebops for layer in self.layers))

    @property
    def lut_equivalent(self) -> int:
        return self.lut + DSP_TO_LUT * self.dsp

    @property
    def latency_cycles(self) -> int:
        return sum(layer.latency_cycles for layer in self.layers) + self.extra_cycles

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles * 1e3 / CLOCK_MHZ

    def table(self) -> str:
        head = f"{'layer':10s} {'n_in':>5s} {'n_out':>5s} {'mults':>6s} {'DSP':>5s} {'LUT':>7s} {'FF':>7s} {'cycles':>6s} {'EBOPs':>9s}"
        rows = [f"{l.name:10s} {l.n_in:5d} {l.n_out:5d} {l.n_mult:6d} {l.dsp:5d} {l.lut:7d} {l.ff:7d} "
                f"{l.latency_cycles:6d} {l.ebops:9.0f}" for l in self.layers]
        total = (f"{'total':10s} {'':5s} {'':5s} {sum(l.n_mult for l in self.layers):6d} {self.dsp:5d} {self.lut:7d} "
                 f"{self.ff:7d} {self.latency_cycles:6d} {self.ebops:9.0f}")
        return "\n".join([head, *rows, total,
                          f"latency {self.latency_cycles} cycles = {self.latency_ns:.0f} ns at {CLOCK_MHZ:.0f} MHz "
                          f"(softmax {self.extra_cycles} cycles); LUT + {DSP_TO_LUT} DSP = {self.lut_equivalent}"])


def dense_estimate(name, weight_bits, input_bits, reuse_factor=1, bias_bits=None) -> LayerEstimate:
    """Estimate one Dense layer from its per-weight bit widths (n_in, n_out; 0 = no product) and
    per-input bit widths (n_in,)."""
    weight_bits = np.asarray(weight_bits, dtype=np.float64)
    input_bits = np.broadcast_to(np.asarray(input_bits, dtype=np.float64), weight_bits.shape[:1])
    if weight_bits.ndim != 2:
        raise ValueError(f"weight_bits must have shape (n_in, n_out), got {weight_bits.shape}")
    if not isinstance(reuse_factor, (int, np.integer)) or reuse_factor < 1:
        raise ValueError(f"reuse_factor must be an integer >= 1, got {reuse_factor!r}")
    n_in, n_out = weight_bits.shape
    active = weight_bits > 0
    bx = np.broadcast_to(input_bits[:, None], weight_bits.shape)
    on_dsp = active & (weight_bits >= DSP_MIN_BITS) & (bx >= DSP_MIN_BITS)
    on_lut = active & ~on_dsp
    n_mult = int(active.sum())
    r = int(reuse_factor)
    acc_bits = float(np.max(bx[active] + weight_bits[active])) + math.ceil(math.log2(max(n_in, 2))) if n_mult else 0.0
    adders = max(int(np.sum(np.maximum(active.sum(axis=0) - 1, 0))), 0)
    dsp = math.ceil(int(on_dsp.sum()) / r)
    lut = math.ceil((float(np.sum(bx[on_lut] * weight_bits[on_lut])) + adders * acc_bits) / r)
    mult_cycles = 2 if on_dsp.any() else 1
    cycles = mult_cycles + math.ceil(math.log2(max(n_in, 2)) / ADDER_LEVELS_PER_CYCLE) + 1 + (r - 1)
    ebops = float(np.sum(bx * weight_bits))
    if bias_bits is not None:
        ebops += float(np.mean(bias_bits)) * n_out
    return LayerEstimate(name, n_in, n_out, n_mult, math.ceil(n_mult / r), dsp, int(lut),
                         int(n_out * acc_bits * cycles), cycles, ebops)


def estimate_hls(model, config) -> Estimate:
    """Estimate for a float Keras model with an hls4ml config from ``hepcourse.fpga.hls_config``."""
    import keras

    layers = config["LayerName"]
    names = list(layers)
    out = Estimate()
    previous_width = parse_type(layers[names[0]]["Precision"]["result"])["width"]
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            entry = layers[layer.name]["Precision"]
            w_type, b_type = parse_type(entry["weight"]), parse_type(entry["bias"])
            kernel, *rest = layer.get_weights()
            quantized = quantize(kernel, w_type["width"], w_type["integer"])
            bits = np.where(quantized != 0, w_type["width"], 0)
            reuse = int(layers[layer.name].get("ReuseFactor", config["Model"]["ReuseFactor"]))
            out.layers.append(dense_estimate(layer.name, bits, previous_width, reuse, bias_bits=b_type["width"]))
            previous_width = parse_type(entry["result"])["width"]
        if getattr(getattr(layer, "activation", None), "__name__", "") == "softmax" or isinstance(layer, keras.layers.Softmax):
            out.extra_cycles += SOFTMAX_CYCLES
        elif isinstance(layer, keras.layers.Activation) and layer.name in layers:
            previous_width = parse_type(layers[layer.name]["Precision"]["result"])["width"]
    return out


def estimate_qat(model, sample=None, reuse_factor: int = 1) -> Estimate:
    """Estimate for an HGQ2 model from its learned bit widths; ``sample`` recalibrates the
    activation ranges first (HGQ2's trace_minmax), which also makes its EBOPs exact."""
    from keras import ops

    from hgq.layers import QDense

    if sample is not None:
        from hgq.utils import trace_minmax

        trace_minmax(model, np.asarray(sample, dtype=np.float32), verbose=0)
    out = Estimate()
    for layer in model.layers:
        if not isinstance(layer, QDense):
            continue
        n_in = layer.kernel.shape[0]
        w_bits = ops.convert_to_numpy(layer.kq.bits_(ops.shape(layer.kernel)))
        x_bits = np.ravel(ops.convert_to_numpy(layer.iq.bits_((1, n_in))))
        b_bits = ops.convert_to_numpy(layer.bq.bits_(ops.shape(layer.bias))) if layer.bq is not None else None
        out.layers.append(dense_estimate(layer.name, np.broadcast_to(w_bits, layer.kernel.shape),
                                         x_bits, reuse_factor, bias_bits=b_bits))
    return out


# Published figures quoted next to the estimates (the course's seeds, with their sources).
PUBLISHED = {
    "parameters": (4389, "arXiv:1804.06913 (16-64-32-32-5 jet tagger)"),
    "latency_ns": ((75, 150), "arXiv:1804.06913: 75-150 ns at 200 MHz, compressed 16-bit model, reuse 1-"),
    "accuracy_float": (0.766, "fastml-science jet-classify baseline (hls4ml LHC jet dataset, arXiv:1804.06913)"),
    "accuracy_qkeras_6bit": (0.764, "fastml-science jet-classify baseline, QKeras 6-bit weights"),
    "hgq_resource_reduction": (20, "arXiv:2405.00645: up to 20x fewer resources than uniform quantization at equal accuracy"),
}
