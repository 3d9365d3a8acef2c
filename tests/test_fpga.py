"""hepcourse.fpga: fixed-point arithmetic, the hls4ml precision config (the 'auto' softmax
failure and its fix), bit-accurate emulation with g++, HGQ2 QAT through hls4ml, profiling,
resource/latency estimates, pruning, and the clear errors without g++ or vendor tools.

The data are a made-up toy (16 Gaussian-blob features, 5 classes) for the 4389-parameter
tagger's architecture; hls4ml compiles take 20-60 s each, so the compiled models are built
once per module, in parallel.
"""

import os

import keras
import numpy as np
import pytest

from hepcourse import fpga
from hepcourse.models.jet_tagger_l1 import jet_tagger_l1, jet_tagger_l1_qat


N_FEATURES, N_CLASSES = 16, 5


def toy_jets(n, seed=0):
    """Five Gaussian blobs in 16 dimensions, standardised (a stand-in, for tests only)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(0, 1.0, (N_CLASSES, N_FEATURES))
    y = rng.integers(0, N_CLASSES, n)
    X = centres[y] + rng.normal(0, 1.5, (n, N_FEATURES))
    return ((X - 0.0) / 1.8).astype("float32"), y


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    X, y = toy_jets(4000)
    model = jet_tagger_l1()
    model.fit(X, y, epochs=4, batch_size=256, verbose=0)
    return model, X, y


@pytest.fixture(scope="module")
def qat_model():
    keras.utils.set_random_seed(0)
    X, y = toy_jets(4000)
    model = jet_tagger_l1_qat(beta=1e-5)
    model.fit(X, y, epochs=3, batch_size=256, verbose=0)
    return model


@pytest.fixture(scope="module")
def compiled(trained, qat_model, tmp_path_factory):
    """hls4ml's 'auto' config, ours at 16 bits, and the HGQ2 model, compiled in parallel."""
    import hls4ml

    model, X, _ = trained
    auto = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis",
                                                default_precision="ap_fixed<16,6>")
    hls_auto = hls4ml.converters.convert_from_keras_model(
        model, hls_config=auto, output_dir=str(tmp_path_factory.mktemp("auto")), backend="Vitis", io_type="io_parallel")
    hls_16 = fpga.convert(model, X[:1000], precision=16, output_dir=tmp_path_factory.mktemp("p16"))
    hls_qat = fpga.convert(qat_model, X[:1000], precision=None)
    fpga.compile_models([hls_auto, hls_16, hls_qat])
    return {"auto": hls_auto, "16": hls_16, "qat": hls_qat}


# ---- fixed point --------------------------------------------------------------------------------

@pytest.mark.parametrize("max_abs, signed, expected", [(1.0, True, 2), (0.7, True, 1), (3.0, True, 3),
                                                       (0.1, True, -2), (7.9, False, 3), (8.0, False, 4), (0, True, 1)])
@pytest.mark.unit
def test_integer_bits_hold_the_value(max_abs, signed, expected):
    bits = fpga.integer_bits(max_abs, signed)
    assert bits == expected
    low, high, _ = fpga.type_range(16, bits, signed)
    assert high >= max_abs - 2.0 ** -(16 - bits) and (not signed or low <= -max_abs)
    if max_abs:  # one bit fewer would overflow
        assert fpga.type_range(16, bits - 1, signed)[1] < max_abs


@pytest.mark.unit
def test_quantize_rounding_and_overflow_modes():
    # ap_fixed<4,2>: step 0.25, range [-2, 1.75]
    x = np.array([0.1, 0.125, -0.3, 1.9, -2.6])
    assert np.allclose(fpga.quantize(x, 4, 2, rounding="RND", overflow="SAT"), [0.0, 0.25, -0.25, 1.75, -2.0])
    assert np.allclose(fpga.quantize(x, 4, 2, rounding="TRN", overflow="SAT"), [0.0, 0.0, -0.5, 1.75, -2.0])
    # wrap-around: 1.9 -> code 8 -> -2.0 (the sign flips), -2.6 -> -2.5 + 4 = 1.5
    assert np.allclose(fpga.quantize(x, 4, 2, rounding="RND", overflow="WRAP"), [0.0, 0.25, -0.25, -2.0, 1.5])
    assert np.allclose(fpga.quantize([3.3], 4, 2, signed=False), [3.25])
    with pytest.raises(ValueError, match="NaN"):
        fpga.quantize([np.nan], 8, 3)
    with pytest.raises(ValueError, match="rounding"):
        fpga.quantize([1.0], 8, 3, rounding="CONV")


@pytest.mark.unit
def test_type_names_round_trip_and_bad_input():
    name = fpga.type_name(10, 3, signed=False)
    assert name == "ap_ufixed<10,3,AP_RND,AP_SAT>"
    assert fpga.parse_type(name) == dict(width=10, integer=3, signed=False, rounding="RND", overflow="SAT")
    assert fpga.parse_type("ap_fixed<16,6>")["overflow"] == "WRAP"
    with pytest.raises(ValueError, match="ap_fixed"):
        fpga.parse_type("float")
    with pytest.raises(ValueError, match="bits"):
        fpga.parse_precision(1)
    with pytest.raises(ValueError, match="'weight' and 'result'"):
        fpga.parse_precision({"weight": 8})
    assert fpga.parse_precision({"weight": 6, "result": 10}) == {"weight": 6, "result": 10}


# ---- fixed point against hls4ml, the quantizers package and the ap_fixed C++ header ---------------

# (width, integer, signed): negative and zero integer bits, I > W, unsigned, 1-bit and wide types
REFERENCE_TYPES = [(1, 1, True), (2, 0, False), (3, -1, True), (4, 2, True), (4, 2, False), (6, 8, True),
                   (8, -2, True), (8, 3, True), (8, 3, False), (12, 12, False), (16, 6, True), (18, 8, True),
                   (24, -4, False), (32, 10, True)]


def _reference_inputs(width, integer, signed, seed=0):
    """Random values over three times the range, plus every half step around both ends and zero
    (the ties and the edges where rounding and overflow modes differ)."""
    low, high, step = fpga.type_range(width, integer, signed)
    span = max(abs(low), abs(high)) + step
    edges = np.concatenate([c + step / 2 * np.arange(-6, 7) for c in (low, 0.0, high, -high, 2 * span, -2 * span)])
    return np.concatenate([np.random.default_rng(seed).uniform(-3 * span, 3 * span, 3000), edges])


@pytest.mark.unit
@pytest.mark.parametrize("rounding", ["TRN", "RND"])
@pytest.mark.parametrize("overflow", ["WRAP", "SAT"])
def test_quantize_matches_the_quantizers_package_bit_for_bit(rounding, overflow):
    """`quantizers` (hls4ml's and HGQ2's fixed-point library) takes k = sign bit, i = integer bits
    without the sign, f = fractional bits: ap_fixed<W, I> is k=1, i=I-1, f=W-I."""
    from quantizers import get_fixed_quantizer_np

    reference = get_fixed_quantizer_np(rounding, overflow)
    for width, integer, signed in REFERENCE_TYPES:
        x = _reference_inputs(width, integer, signed)
        ours = fpga.quantize(x, width, integer, signed, rounding=rounding, overflow=overflow)
        theirs = reference(x, np.float64(signed), np.float64(integer - signed), np.float64(width - integer))
        bad = np.flatnonzero(ours != theirs)
        assert bad.size == 0, (f"ap_{'' if signed else 'u'}fixed<{width},{integer},AP_{rounding},AP_{overflow}>: "
                               f"x={x[bad[:3]]} -> ours {ours[bad[:3]]}, quantizers {theirs[bad[:3]]}")


@pytest.mark.unit
def test_type_range_and_integer_bits_match_hls4ml():
    from hls4ml.model.types import FixedPrecisionType, find_minimum_width

    for width, integer, signed in REFERENCE_TYPES:
        t = FixedPrecisionType(width, integer, signed)
        assert fpga.type_range(width, integer, signed) == (t.min, t.max, 2.0 ** -t.fractional), t
    rng = np.random.default_rng(1)
    for max_abs in np.concatenate([[0.5, 1.0, 2.0, 4.0, 1024.0], 2.0 ** rng.uniform(-1, 12, 200)]):
        for signed in (True, False):
            assert fpga.integer_bits(max_abs, signed) == find_minimum_width(np.array([max_abs]), signed), (max_abs, signed)
    # below 1/2 hls4ml never goes under 0 integer bits (+ sign); ours may, and still holds the value
    for max_abs in 2.0 ** rng.uniform(-12, -1, 100):
        for signed in (True, False):
            ours = fpga.integer_bits(max_abs, signed)
            assert ours <= find_minimum_width(np.array([max_abs]), signed)
            t = FixedPrecisionType(24, ours, signed)
            assert t.max >= max_abs - 2.0 ** -t.fractional and (not signed or t.min <= -max_abs)


@pytest.mark.integration  # compiles a small C++ program with g++
def test_quantize_matches_the_ap_fixed_cpp_header_bit_for_bit(tmp_path):
    """The ground truth: Xilinx's ap_fixed.h as shipped with hls4ml (what its C simulation compiles),
    every rounding and overflow mode of REFERENCE_TYPES, one small g++ build (~2 s)."""
    import shutil
    import subprocess
    from pathlib import Path

    import hls4ml

    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ is not installed (the hls4ml emulation tests need it too)")
    headers = Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"
    cases = [(w, i, s, r, o) for (w, i, s) in REFERENCE_TYPES for r in ("TRN", "RND") for o in ("WRAP", "SAT")]
    calls = "\n".join(f"  run<ap_{'' if s else 'u'}fixed<{w},{i},AP_{r},AP_{o}> >(x, n);" for w, i, s, r, o in cases)
    (tmp_path / "cast.cpp").write_text(
        "#include <cstdio>\n#include <vector>\n#include \"ap_fixed.h\"\n"
        "template <class T> void run(const std::vector<double>& x, int n) {\n"
        "  for (int k = 0; k < n; ++k) { T v = x[k]; std::printf(\"%a\\n\", v.to_double()); }\n}\n"
        "int main() {\n  int n; if (std::scanf(\"%d\", &n) != 1) return 1;\n  std::vector<double> x(n);\n"
        "  for (int k = 0; k < n; ++k) if (std::scanf(\"%la\", &x[k]) != 1) return 1;\n" + calls + "\n  return 0;\n}\n")
    build = subprocess.run([gxx, "-O0", "-std=c++14", f"-I{headers}", "cast.cpp", "-o", "cast"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    x = np.concatenate([_reference_inputs(w, i, s, seed=2)[::10] for (w, i, s) in REFERENCE_TYPES])
    stdin = f"{x.size}\n" + "\n".join(v.hex() for v in x.tolist()) + "\n"
    run = subprocess.run([str(tmp_path / "cast")], input=stdin, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    cpp = np.array([float.fromhex(v) for v in run.stdout.split()]).reshape(len(cases), x.size)
    for (w, i, s, r, o), theirs in zip(cases, cpp):
        ours = fpga.quantize(x, w, i, s, rounding=r, overflow=o)
        bad = np.flatnonzero(ours != theirs)
        assert bad.size == 0, (f"ap_{'' if s else 'u'}fixed<{w},{i},AP_{r},AP_{o}>: x={x[bad[:3]]} -> "
                               f"ours {ours[bad[:3]]}, ap_fixed.h {theirs[bad[:3]]}")


# ---- trace and config -----------------------------------------------------------------------------

@pytest.mark.unit
def test_trace_uses_hls4ml_layer_names_and_reproduces_keras(trained):
    import hls4ml

    model, X, _ = trained
    names = list(hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")["LayerName"])
    layers = fpga.trace(model, X[:200], input_name=names[0])
    assert [layer.name for layer in layers] == names
    assert np.allclose(layers[-1].arrays["result"], model.predict(X[:200], verbose=0), atol=1e-5)
    assert model.count_params() == 4389


@pytest.mark.unit
def test_bad_sample_and_unsupported_layers_are_named(trained):
    model, X, _ = trained
    with pytest.raises(ValueError, match=r"shape \(n_jets, 16\)"):
        fpga.hls_config(model, X[:, :4])
    bad = X[:10].copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fpga.hls_config(model, bad)
    conv = keras.Sequential([keras.Input((16,)), keras.layers.Reshape((16, 1)), keras.layers.Conv1D(2, 3)])
    with pytest.raises(ValueError, match="not supported"):
        fpga.trace(conv, X[:10])
    with pytest.raises(ValueError, match="needs a precision"):
        fpga.convert(model, X[:10], precision=None)


@pytest.mark.unit
def test_config_types_hold_the_sample(trained):
    model, X, _ = trained
    config = fpga.hls_config(model, X[:1000], precision={"weight": 8, "result": 12}, reuse_factor=2)
    table = fpga.precision_table(model, X[:1000], config)
    assert set(table.quantity) == {"weight", "bias", "result"}
    dense = table[(table.quantity != "result") | ~table.layer.str.endswith("softmax")]
    assert (dense.overflow_fraction == 0).all(), dense[dense.overflow_fraction > 0]
    assert config["LayerName"]["output_softmax"]["Implementation"] == "stable"
    assert config["Model"]["ReuseFactor"] == 2
    # the Dense before the softmax keeps twice its largest logit (max - z_i must fit)
    logit = table[(table.layer == "output") & (table.quantity == "result")].iloc[0]
    assert logit.type_max >= 2 * max(abs(logit["min"]), abs(logit["max"])) - logit.step


@pytest.mark.unit
def test_precision_table_flags_overflow_and_lost_precision(trained):
    model, X, _ = trained
    config = fpga.hls_config(model, X[:500], precision=16)
    config["LayerName"]["dense_2"]["Precision"]["result"] = "ap_fixed<16,1>"   # range [-1, 1)
    config["LayerName"]["dense_1"]["Precision"]["weight"] = "ap_fixed<4,1>"   # step 1/8, range [-1, 7/8]
    table = fpga.precision_table(model, X[:500], config).set_index(["layer", "quantity"])
    assert table.loc[("dense_2", "result"), "verdict"] == "OVERFLOW"
    assert table.loc[("dense_1", "weight"), "verdict"] == "precision loss"
    assert table.loc[("dense_3", "weight"), "verdict"] == "ok"


@pytest.mark.unit
def test_fixed_point_ranges_plot(trained):
    from hepcourse import plotting

    model, X, _ = trained
    values = fpga.layer_values(model, X[:300], fpga.hls_config(model, X[:300], precision=8))
    ax = plotting.fixed_point_ranges(values)
    assert len(ax.get_yticklabels()) == len(values)
    with pytest.raises(ValueError, match="empty"):
        plotting.fixed_point_ranges([])


# ---- emulation ------------------------------------------------------------------------------------

@pytest.mark.integration  # compiles three hls4ml projects with g++ (the `compiled` fixture)
def test_auto_precision_breaks_the_softmax_and_our_config_fixes_it(trained, compiled):
    model, _, _ = trained
    X, y = toy_jets(2000, seed=1)
    p_float = model.predict(X, verbose=0)
    broken = fpga.compare(y, p_float, fpga.predict(compiled["auto"], X))
    fixed = fpga.compare(y, p_float, fpga.predict(compiled["16"], X))
    # 'auto' gives the last Dense a ~40-bit result; the softmax table sees only its top bits
    assert broken.argmax_agreement < 0.5, broken.table()
    assert fixed.argmax_agreement >= 0.99, fixed.table()
    assert abs(fixed.accuracy_loss) <= 0.01 and fixed.max_abs_deviation < 0.2
    assert all(abs(fixed.auc_float[c] - fixed.auc_emulated[c]) < 0.01 for c in fixed.auc_float)


@pytest.mark.integration  # compiles three hls4ml projects with g++ (the `compiled` fixture)
def test_hgq2_model_is_bit_exact_in_hls4ml(qat_model, compiled):
    X, y = toy_jets(1000, seed=2)
    emulated = fpga.predict(compiled["qat"], X)
    keras_out = qat_model.predict(X, verbose=0)
    assert np.max(np.abs(emulated - keras_out)) < 1e-6
    assert fpga.compare(y, fpga.softmax(keras_out), fpga.softmax(emulated)).argmax_agreement == 1.0
    with pytest.raises(ValueError, match="own bit widths"):
        fpga.convert(qat_model, X[:10], precision=8)


@pytest.mark.unit
def test_compare_checks_its_inputs():
    y = np.array([0, 1, 2, 1])
    p = np.eye(3)[[0, 1, 2, 2]]
    result = fpga.compare(y, p, p, classes=["a", "b", "c"])
    assert result.accuracy_float == result.accuracy_emulated == 0.75
    assert result.argmax_agreement == 1.0 and result.max_abs_deviation == 0.0
    assert "accuracy" in result.table()
    with pytest.raises(ValueError, match="expected"):
        fpga.compare(y, p, p[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        fpga.compare(y, p, p * np.nan)
    with pytest.raises(ValueError, match="labels"):
        fpga.compare(y + 5, p, p)


@pytest.mark.unit
def test_missing_gxx_says_how_to_install_it(trained, monkeypatch, tmp_path):
    model, X, _ = trained
    hls_model = fpga.convert(model, X[:100], precision=8, output_dir=tmp_path / "prj")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(fpga.CompilerNotFound, match="apt-get install g\\+\\+") as info:
        fpga.compile_model(hls_model)
    assert "conda install" in str(info.value) and "xcode-select --install" in str(info.value)
    with pytest.raises(RuntimeError, match="not compiled"):
        fpga.predict(hls_model, X[:5])


@pytest.mark.unit
def test_build_is_skipped_without_vendor_tools(trained, monkeypatch, tmp_path, capsys):
    model, X, _ = trained
    monkeypatch.setenv("PATH", str(tmp_path))
    assert fpga.vendor_tool() is None
    result = fpga.build(fpga.convert(model, X[:100], precision=8, output_dir=tmp_path / "prj"))
    assert result.skipped and "skipped: no vendor tools" in result.message
    assert "skipped: no vendor tools" in capsys.readouterr().out
    fake = tmp_path / "vitis_hls"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert fpga.vendor_tool() == "vitis_hls"


# ---- estimates and pruning ----------------------------------------------------------------------

@pytest.mark.unit
def test_dense_estimate_by_hand():
    # 2 inputs x 3 outputs, one pruned weight: 5 products of 8x6 bits in LUTs, 3 adders of 8+6+1 bits
    bits = np.full((2, 3), 8)
    bits[0, 0] = 0
    est = fpga.dense_estimate("d", bits, 6)
    assert (est.n_mult, est.dsp, est.ebops) == (5, 0, 5 * 48)
    assert est.lut == 5 * 48 + 2 * 15
    assert est.latency_cycles == 1 + 1 + 1
    wide = fpga.dense_estimate("d", np.full((2, 3), 16), 16, reuse_factor=3)
    assert (wide.dsp, wide.multipliers, wide.latency_cycles) == (2, 2, 2 + 1 + 1 + 2)


@pytest.mark.unit
def test_estimates_of_the_4389_parameter_tagger(trained):
    model, X, _ = trained
    e16 = fpga.estimate_hls(model, fpga.hls_config(model, X[:500], precision=16))
    e8 = fpga.estimate_hls(model, fpga.hls_config(model, X[:500], precision=8))
    e16_rf4 = fpga.estimate_hls(model, fpga.hls_config(model, X[:500], precision=16, reuse_factor=4))
    low, high = fpga.PUBLISHED["latency_ns"][0]
    assert low <= e16.latency_ns <= high, e16.table()
    assert e8.dsp == 0 < e16.dsp and e8.ebops < e16.ebops / 3
    assert e16_rf4.dsp <= e16.dsp / 4 + 4 and e16_rf4.latency_cycles == e16.latency_cycles + 4 * 3
    assert "latency" in e16.table()


@pytest.mark.unit
def test_qat_estimate_matches_hgq2_ebops(qat_model):
    X, _ = toy_jets(1000, seed=3)
    est = fpga.estimate_qat(qat_model, X)
    hgq = sum(float(layer.ebops) for layer in qat_model.layers if hasattr(layer, "ebops"))
    assert est.ebops == pytest.approx(hgq, rel=1e-3)
    assert 0 < est.lut_equivalent


@pytest.mark.unit
def test_magnitude_pruning_reaches_its_target_and_saves_multiplications(trained):
    model, X, y = trained
    keras.utils.set_random_seed(1)
    pruned = jet_tagger_l1()
    pruned.set_weights(model.get_weights())
    pruned.fit(X, y, epochs=3, batch_size=256, verbose=0, callbacks=[fpga.MagnitudePruning(0.7, begin=0, end=2)])
    assert fpga.sparsity(pruned) == pytest.approx(0.7, abs=0.01)
    assert np.mean(pruned.predict(X, verbose=0).argmax(1) == y) > 0.6
    full = fpga.estimate_hls(model, fpga.hls_config(model, X[:500], precision=16))
    less = fpga.estimate_hls(pruned, fpga.hls_config(pruned, X[:500], precision=16))
    assert sum(l.n_mult for l in less.layers) <= 0.31 * sum(l.n_mult for l in full.layers)
    with pytest.raises(ValueError, match="sparsity"):
        fpga.MagnitudePruning(1.2)
