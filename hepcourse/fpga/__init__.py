"""hls4ml helpers: fixed-point types, a correct-by-construction precision config, conversion,
bit-accurate emulation (g++), profiling, resource/latency estimates, pruning, synthesis when
vendor tools exist. One concern per module:

fixed_point  ap_fixed<W, I> arithmetic in numpy       precision  hls4ml config from data ranges
trace        float per-layer values, hls4ml names     hls        convert / compile / predict / build
profiling    ranges vs types (overflow, lost bits)    emulation  float vs emulated comparison
estimate     analytic DSP/LUT/FF/latency + EBOPs      pruning    magnitude pruning for Keras 3
"""

from hepcourse.fpga.emulation import Comparison, compare, softmax
from hepcourse.fpga.estimate import PUBLISHED, Estimate, dense_estimate, estimate_hls, estimate_qat
from hepcourse.fpga.fixed_point import integer_bits, parse_type, quantize, type_name, type_range
from hepcourse.fpga.hls import (
    BuildResult,
    CompilerNotFound,
    build,
    compile_model,
    compile_models,
    convert,
    is_qat_model,
    predict,
    require_compiler,
    vendor_tool,
)
from hepcourse.fpga.precision import hls_config, parse_precision
from hepcourse.fpga.profiling import layer_values, precision_table
from hepcourse.fpga.pruning import MagnitudePruning, magnitude_masks, sparsity
from hepcourse.fpga.trace import trace

__all__ = [
    "PUBLISHED", "BuildResult", "Comparison", "CompilerNotFound", "Estimate", "MagnitudePruning", "build",
    "compare", "compile_model", "compile_models", "convert", "dense_estimate", "estimate_hls", "estimate_qat",
    "hls_config", "integer_bits", "is_qat_model", "layer_values", "magnitude_masks", "parse_precision",
    "parse_type", "precision_table", "predict", "quantize", "require_compiler", "softmax", "sparsity", "trace",
    "type_name", "type_range", "vendor_tool",
]
