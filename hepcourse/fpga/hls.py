"""hls4ml conversion, bit-accurate emulation with g++, and synthesis when vendor tools exist.

* ``convert`` turns a float Keras model (with ``precision``: types from ``hls_config``) or an
  HGQ2 quantization-aware model (types from its own quantizers; ``precision=None``) into an
  hls4ml project in a fresh temporary folder (never the notebook's folder).
* ``compile_model`` builds the project's C++ with g++ into a library that ``predict`` calls:
  the same arithmetic the FPGA does, bit for bit. Without g++ it raises ``CompilerNotFound``
  saying how to install one.
* ``build`` runs C synthesis when ``vitis_hls`` or ``vivado_hls`` is on PATH and returns the
  parsed report; without them it returns a ``BuildResult`` that says it was skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from hepcourse.fpga.precision import hls_config
from hepcourse.fpga.trace import check_sample

DEFAULT_PART = "xcvu13p-flga2577-2-e"  # a Virtex UltraScale+ of the kind used in CMS L1 trigger boards
CLOCK_NS = 5.0  # 200 MHz
VENDOR_TOOLS = ("vitis_hls", "vivado_hls")
INSTALL_GXX = ("install a C++ compiler: `sudo apt-get install g++` (Debian/Ubuntu), "
               "`conda install -c conda-forge gxx` (conda), or `xcode-select --install` (macOS)")


class CompilerNotFound(RuntimeError):
    """No g++ on PATH: hls4ml cannot build its bit-accurate emulation library."""


def is_qat_model(model) -> bool:
    """True for a model built from HGQ2 quantized layers."""
    return any(type(layer).__module__.startswith("hgq.") for layer in model.layers)


def convert(model, sample, precision=16, reuse_factor: int = 1, backend: str = "Vitis", output_dir=None,
            part: str = DEFAULT_PART, strategy: str = "Latency", clock_period_ns: float = CLOCK_NS):
    """An (uncompiled) hls4ml ModelGraph of ``model``, written under ``output_dir`` (default: a new temp dir).

    Float models need ``precision`` (bits; see ``hepcourse.fpga.precision``); ``sample`` (input
    rows, e.g. 1000 training jets) sets the integer bits. For an HGQ2 model pass
    ``precision=None``: ``sample`` calibrates its activation ranges (HGQ2's trace_minmax) and
    hls4ml reads every type from the quantizers.
    """
    import hls4ml

    sample = check_sample(model, sample)
    output_dir = output_dir or tempfile.mkdtemp(prefix="hls4ml_prj_")
    if is_qat_model(model):
        if precision is not None:
            raise ValueError("an HGQ2 model carries its own bit widths: call convert(..., precision=None)")
        from hgq.utils import trace_minmax

        trace_minmax(model, sample.astype(np.float32), verbose=0)
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend)
        config["Model"].update({"ReuseFactor": int(reuse_factor), "Strategy": strategy})
    else:
        if precision is None:
            raise ValueError("a float model needs a precision, e.g. convert(model, sample, precision=16)")
        config = hls_config(model, sample, precision, reuse_factor=reuse_factor, strategy=strategy)
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(output_dir), backend=backend, part=part,
        io_type="io_parallel", clock_period=clock_period_ns)


def require_compiler() -> str:
    """Path of g++, or CompilerNotFound with installation instructions."""
    path = shutil.which("g++")
    if path is None:
        raise CompilerNotFound(f"hls4ml's bit-accurate emulation needs g++, which is not on PATH "
                               f"({os.environ.get('PATH', '')!r}); {INSTALL_GXX}")
    return path


def compile_model(hls_model):
    """Build the emulation library of ``hls_model`` with g++ (about 20-60 s); returns hls_model."""
    require_compiler()
    hls_model.compile()
    return hls_model


def compile_models(hls_models, workers: int | None = None) -> list:
    """Compile several projects at once (g++ runs in separate processes), in the given order."""
    require_compiler()
    workers = workers or min(len(hls_models), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        return list(pool.map(compile_model, hls_models))


def predict(hls_model, X) -> np.ndarray:
    """Outputs of the compiled (bit-accurate) model for inputs ``X`` (n, n_features)."""
    if getattr(hls_model, "_top_function_lib", None) is None:
        raise RuntimeError("the hls4ml model is not compiled: call hepcourse.fpga.compile_model(hls_model) first")
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError(f"X must be a finite (n_jets, n_features) array, got shape {X.shape}")
    out = np.asarray(hls_model.predict(X), dtype=np.float64)
    return out.reshape(len(X), -1)


def vendor_tool() -> str | None:
    """Name of the first Xilinx HLS tool found on PATH (vitis_hls, vivado_hls), else None."""
    return next((tool for tool in VENDOR_TOOLS if shutil.which(tool)), None)


@dataclass
class BuildResult:
    """Outcome of ``build``: skipped (with the reason) or the parsed synthesis report."""

    skipped: bool
    message: str
    report: dict = field(default_factory=dict)


def build(hls_model, synth: bool = True, vsynth: bool = False) -> BuildResult:
    """Run HLS C synthesis (and optionally logic synthesis) if vendor tools are installed."""
    tool = vendor_tool()
    if tool is None:
        result = BuildResult(True, "skipped: no vendor tools (neither vitis_hls nor vivado_hls is on PATH); "
                                   "resources and latency here are estimates (hepcourse.fpga.estimate)")
        print(result.message)
        return result
    import hls4ml

    hls_model.build(csim=False, synth=synth, vsynth=vsynth)
    report = hls4ml.report.parse_vivado_report(hls_model.config.get_output_dir())
    return BuildResult(False, f"synthesised with {tool}", report or {})
