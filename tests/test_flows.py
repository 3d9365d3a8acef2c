"""Tests of the conditional RealNVP flow and the factorised shower generator (hepcourse.models.flows):
invertibility and the log-determinant against autodiff, the density normalisation of a 1-D flow,
that training raises the likelihood, a .keras round trip, bad inputs, and the generator's shapes,
zero suppression and layer-energy bookkeeping on small toy showers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hepcourse.models import flows

pytestmark = pytest.mark.unit


def perturbed_flow(dim=4, n_couplings=3, seed=0):
    flow = flows.ConditionalRealNVP(dim, 1, n_couplings=n_couplings, hidden=(8,), seed=seed)
    x = np.zeros((2, dim), "float32")
    flow([x, np.zeros((2, 1), "float32")])
    rng = np.random.default_rng(seed + 1)
    for layer in flow.couplings:  # the zero-initialised couplings are the identity: perturb them
        layer.set_weights([w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    return flow


def test_inverse_and_log_determinant():
    flow = perturbed_flow()
    x = tf.constant(np.random.default_rng(2).normal(size=(6, 4)).astype("float32"))
    c = tf.constant(np.linspace(-1, 1, 6).astype("float32")[:, None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        z, log_det = flow.forward(x, c)
    jacobian = tape.batch_jacobian(z, x).numpy()
    assert np.allclose(flow.inverse(z, c).numpy(), x.numpy(), atol=1e-5)
    assert np.allclose(log_det.numpy(), np.linalg.slogdet(jacobian)[1], atol=1e-4)


def test_density_of_a_one_dimensional_flow_integrates_to_one():
    flow = perturbed_flow(dim=2, n_couplings=2)
    grid = np.linspace(-12, 12, 241).astype("float32")
    xx, yy = np.meshgrid(grid, grid)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    log_p = flow([points, np.full((len(points), 1), 0.3, "float32")]).numpy()
    assert np.sum(np.exp(log_p)) * (grid[1] - grid[0]) ** 2 == pytest.approx(1.0, abs=0.02)


def test_training_learns_a_conditional_gaussian_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    c = rng.uniform(-1, 1, (4000, 1)).astype("float32")
    x = np.column_stack([2 + 3 * c[:, 0] + 0.5 * rng.normal(size=4000), rng.normal(size=4000)]).astype("float32")
    flow = flows.ConditionalRealNVP(2, 1, n_couplings=4, hidden=(16,))
    flow.compile(keras.optimizers.Adam(1e-2), loss=flows.negative_log_likelihood)
    history = flow.fit([x, c], np.zeros(len(x)), batch_size=256, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] - 0.5
    samples = flow.sample(np.full((3000, 1), 0.5, "float32"), seed=1)
    assert samples[:, 0].mean() == pytest.approx(3.5, abs=0.3)
    assert np.array_equal(samples, flow.sample(np.full((3000, 1), 0.5, "float32"), seed=1))
    path = tmp_path / "flow.keras"
    flow.save(path)
    loaded = keras.models.load_model(path)
    assert np.allclose(loaded([x[:10], c[:10]]).numpy(), flow([x[:10], c[:10]]).numpy(), atol=1e-5)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="mask"):
        flows.AffineCoupling([1, 1, 1])
    with pytest.raises(ValueError, match="dim"):
        flows.alternating_masks(1, 2)
    flow = perturbed_flow()
    with pytest.raises(ValueError, match="NaN"):
        flow.sample(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="components"):
        flows.AffineCoupling([0, 1]).build(((None, 3), (None, 1)))


def toy_showers(n, seed=0, n_layers=6, n_cells=5):
    rng = np.random.default_rng(seed)
    energies = np.exp(rng.uniform(0, np.log(100), n))
    depth = np.exp(-0.5 * ((np.arange(n_layers)[None] - 2 - 0.3 * np.log(energies)[:, None]) / 1.5) ** 2)
    r = np.hypot(*np.meshgrid(np.arange(n_cells) - n_cells // 2, np.arange(n_cells) - n_cells // 2))
    showers = depth[:, :, None, None] * np.exp(-r)[None, None] * rng.gamma(4.0, 0.25, (n, n_layers, n_cells, n_cells))
    showers *= (0.02 * energies * (1 + 0.1 * rng.normal(size=n)))[:, None, None, None] / showers.sum(axis=(1, 2, 3),
                                                                                                        keepdims=True)
    showers[showers < 1e-4] = 0
    return showers.astype("float32"), energies


def test_factorised_generator_on_toy_showers():
    keras.utils.set_random_seed(0)
    X, E = toy_showers(300)
    Xv, Ev = toy_showers(100, seed=1)
    gen = flows.FactorisedShowerGenerator(n_layers=6, n_cells=5, threshold_GeV=1e-4, n_couplings=2, hidden=(8,))
    history = gen.fit(X, E, Xv, Ev, epochs=3, shape_epochs=2, copies=1, patience=2)
    assert set(history) == {"flow", "shape"} and gen.spot_GeV.shape == (6,) and np.all(gen.spot_GeV > 0)
    out = gen.generate(Ev, seed=3)
    assert out.shape == Xv.shape and out.dtype == np.float32
    assert np.all(out >= 0) and np.all((out == 0) | (out >= 1e-4))  # zero-suppressed like the readout
    assert np.array_equal(out, gen.generate(Ev, seed=3))
    layers = gen.generate_layers(Ev, seed=4)
    cells = gen.cells_from_layers(layers, Ev, seed=5)
    sums = cells.sum(axis=(2, 3))
    kept = sums > 0  # a layer whose every cell falls below threshold reads zero, as in the readout
    assert kept.mean() > 0.9 and np.allclose(sums[kept], layers[kept], rtol=1e-4)  # cells keep their layer's energy
    with pytest.raises(ValueError, match="energies"):
        gen.generate(np.array([1.0, -2.0]))
    with pytest.raises(ValueError, match="layers"):
        gen.fit(X[:, :3], E, Xv, Ev)
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[0, 0, 0, 0] = np.nan
        gen.fit(bad, E, Xv, Ev)
    with pytest.raises(RuntimeError, match="fit"):
        flows.FactorisedShowerGenerator(n_layers=6, n_cells=5).generate(Ev)
