"""Tests of the reference Keras 3 models: they build with the documented output, are
reproducible under a seed, ignore zero padding and particle order (PFN, EdgeConv), survive a
``.keras`` round trip, and the dense model learns a separable toy problem."""

import keras
import numpy as np
import pytest

from hepcourse.metrics import auc
from hepcourse.models import (
    EdgeConv,
    cnn_classifier,
    dense_classifier,
    edgeconv_classifier,
    particle_flow_network,
)

pytestmark = pytest.mark.unit

N_PARTICLES, N_FEATURES = 12, 4
SMALL = {
    "dense": lambda: dense_classifier(6, hidden=(16, 8)),
    "cnn": lambda: cnn_classifier((16, 16, 1), filters=(4, 8), dense=8),
    "pfn": lambda: particle_flow_network(N_PARTICLES, N_FEATURES, phi_sizes=(16, 16), f_sizes=(16,)),
    "edgeconv": lambda: edgeconv_classifier(N_PARTICLES, N_FEATURES, k=4, channels=((8,), (16,)), dense=8),
}


def padded_jets(n_jets, n_particles=N_PARTICLES, seed=0):
    """Jets with 1..n_particles real particles (no all-zero row), zero-padded at the end."""
    rng = np.random.default_rng(seed)
    jets = np.zeros((n_jets, n_particles, N_FEATURES), "float32")
    for jet, n_real in zip(jets, rng.integers(1, n_particles + 1, n_jets)):
        jet[:n_real] = rng.normal(size=(n_real, N_FEATURES)) + 0.1
    return jets


def inputs_for(name, n=8):
    rng = np.random.default_rng(1)
    shapes = {"dense": (n, 6), "cnn": (n, 16, 16, 1)}
    return rng.random(shapes[name], dtype="float32") if name in shapes else padded_jets(n)


def predict(model, x):
    return model.predict(x, verbose=0)


def with_random_weights(model, seed=0):
    """Fresh Dense layers have zero biases, so Phi(0) = 0 and padding would be invisible
    even without a mask; random weights and biases make the padding tests meaningful."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("name", SMALL)
def test_builds_compiled_with_sigmoid_output(name):
    model = SMALL[name]()
    scores = predict(model, inputs_for(name))
    assert scores.shape == (8, 1)
    assert np.all((scores > 0) & (scores < 1))
    assert model.optimizer is not None and model.loss == "binary_crossentropy"


@pytest.mark.parametrize("name", SMALL)
def test_same_seed_same_model(name):
    outputs = []
    for seed in (7, 7, 8):
        keras.utils.set_random_seed(seed)
        outputs.append(predict(SMALL[name](), inputs_for(name)))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.allclose(outputs[0], outputs[2])


def test_default_sizes_build():
    for model, x in [
        (dense_classifier(5), np.ones((2, 5))),
        (cnn_classifier(), np.ones((2, 40, 40, 1))),
        (particle_flow_network(30, 3), np.ones((2, 30, 3))),
        (edgeconv_classifier(30, 3), np.ones((2, 30, 3))),
    ]:
        assert predict(model, x).shape == (2, 1)


def test_dense_adapts_normalization_to_x_train():
    x_train = np.random.default_rng(2).normal(loc=[100.0, -3.0], scale=[10.0, 0.1], size=(500, 2))
    model = dense_classifier(2, x_train=x_train)
    np.testing.assert_allclose(np.ravel(model.get_layer("normalization").mean), x_train.mean(axis=0), rtol=1e-4)


def test_dense_learns_separable_toy_problem():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 1400)
    x = rng.normal(size=(1400, 4)) * [1, 1, 50, 50] + 1.5 * y[:, None] * [1, 1, 50, 50]  # mixed scales
    model = dense_classifier(4, x_train=x[:400])
    model.fit(x[:400], y[:400], epochs=5, batch_size=32, verbose=0)
    assert auc(y[400:], predict(model, x[400:])) > 0.9


VARIABLE_LENGTH = {
    "pfn": lambda mask_value=0.0: particle_flow_network(
        None, N_FEATURES, phi_sizes=(16, 16), f_sizes=(16,), mask_value=mask_value
    ),
    "edgeconv": lambda: edgeconv_classifier(None, N_FEATURES, k=4, channels=((8,), (16,)), dense=8),
}


@pytest.mark.parametrize("name", ["pfn", "edgeconv"])
def test_padding_and_particle_order_do_not_change_output(name):
    model = with_random_weights(SMALL[name]())
    jets = padded_jets(16)
    reference = predict(model, jets)
    rng = np.random.default_rng(4)
    shuffled = np.stack([jet[rng.permutation(N_PARTICLES)] for jet in jets])  # padding moves inside
    np.testing.assert_allclose(predict(model, shuffled), reference, atol=1e-5)

    # more padding: the same architecture built for any length, with the same weights
    variable = VARIABLE_LENGTH[name]()
    variable.set_weights(model.get_weights())
    extra_padding = np.concatenate([jets, np.zeros((16, 7, N_FEATURES), "float32")], axis=1)
    np.testing.assert_allclose(predict(variable, extra_padding), reference, atol=1e-5)


def test_pfn_output_would_change_if_padding_were_not_masked():
    """Guards the test above: with a mask value that never occurs, padding rows count."""
    unmasked = with_random_weights(VARIABLE_LENGTH["pfn"](mask_value=-999.0))
    jets = padded_jets(16)
    extra_padding = np.concatenate([jets, np.zeros((16, 7, N_FEATURES), "float32")], axis=1)
    assert np.abs(predict(unmasked, extra_padding) - predict(unmasked, jets)).max() > 1e-3


def test_edgeconv_layer_zeroes_padding_and_ignores_padded_neighbours():
    keras.utils.set_random_seed(0)
    layer = EdgeConv(k=3, channels=(5,))
    features = padded_jets(4)
    mask = np.any(features != 0, axis=-1, keepdims=True).astype("float32")
    output = keras.ops.convert_to_numpy(layer([features[..., :2], features, mask]))
    assert output.shape == (4, N_PARTICLES, 5)
    assert np.all(output[mask[..., 0] == 0] == 0)
    # a jet with one real particle has no real neighbour: its output is 0 as well
    lonely = np.zeros((1, N_PARTICLES, N_FEATURES), "float32")
    lonely[0, 0] = 1.0
    lonely_out = layer([lonely[..., :2], lonely, (lonely[..., :1] != 0).astype("float32")])
    assert np.all(keras.ops.convert_to_numpy(lonely_out) == 0)
    assert EdgeConv.from_config(layer.get_config()).get_config() == layer.get_config()


def test_edgeconv_layer_matches_a_direct_edge_by_edge_computation():
    """The layer applies its first Dense per particle and gathers (an exact rewrite for speed);
    here each edge (x_i, x_j - x_i) goes through the MLP one by one, as in the paper."""
    keras.utils.set_random_seed(3)
    layer = EdgeConv(k=3, channels=(6, 5))
    features = padded_jets(5, seed=4)
    mask = np.any(features != 0, axis=-1, keepdims=True).astype("float32")
    layer([features[..., :2], features, mask])  # builds the weights
    rng = np.random.default_rng(2)  # non-zero biases, so that a wrong bias term shows
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    output = keras.ops.convert_to_numpy(layer([features[..., :2], features, mask]))
    weights = layer.get_weights()  # kernel, bias per Dense layer

    def mlp(edge):
        for kernel, bias in zip(weights[::2], weights[1::2]):
            edge = np.maximum(edge @ kernel + bias, 0.0)
        return edge

    for jet, out in zip(features, output):
        real = np.flatnonzero(np.any(jet != 0, axis=-1))
        for i in real:
            others = real[real != i]
            distance = ((jet[others, :2] - jet[i, :2]) ** 2).sum(axis=-1)
            nearest = others[np.argsort(distance, kind="stable")[:3]]
            expected = (np.mean([mlp(np.concatenate([jet[i], jet[j] - jet[i]])) for j in nearest], axis=0)
                        if len(nearest) else np.zeros(5))
            np.testing.assert_allclose(out[i], expected, rtol=1e-4, atol=1e-4)


def test_edgeconv_keras_round_trip(tmp_path):
    keras.utils.set_random_seed(5)
    model = SMALL["edgeconv"]()
    jets = padded_jets(32)
    model.fit(jets, np.arange(32) % 2, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "edgeconv.keras")
    loaded = keras.saving.load_model(tmp_path / "edgeconv.keras")
    assert isinstance(loaded.get_layer("edgeconv_0"), EdgeConv)
    np.testing.assert_array_equal(predict(loaded, jets), predict(model, jets))


def test_edgeconv_classifier_rebuilds_its_graph_in_feature_space():
    """ParticleNet's dynamic graph: the first block searches neighbours in (d_eta, d_phi), the
    second in the first block's output; with dynamic=False both use (d_eta, d_phi)."""
    for dynamic in (True, False):
        model = edgeconv_classifier(N_PARTICLES, N_FEATURES, k=3, channels=((6,), (5,)), dense=4, dynamic=dynamic)
        first, second = model.get_layer("edgeconv_0"), model.get_layer("edgeconv_1")
        points_of_second = second._inbound_nodes[0].input_tensors[0]
        if dynamic:
            assert points_of_second is first.output
        else:
            assert points_of_second is first._inbound_nodes[0].input_tensors[0]
    # the two graphs give different taggers from the same weights
    keras.utils.set_random_seed(5)
    dynamic_model = edgeconv_classifier(N_PARTICLES, N_FEATURES, k=3, channels=((6,), (5,)), dense=4)
    static_model = edgeconv_classifier(N_PARTICLES, N_FEATURES, k=3, channels=((6,), (5,)), dense=4, dynamic=False)
    static_model.set_weights(dynamic_model.get_weights())
    jets = padded_jets(8, seed=6)
    assert np.abs(predict(dynamic_model, jets) - predict(static_model, jets)).max() > 1e-4
