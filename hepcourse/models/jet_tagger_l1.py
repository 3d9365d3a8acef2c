"""The Level-1 trigger jet tagger of arXiv:1804.06913: 16 features -> 64-32-32 ReLU -> 5 classes.

4389 parameters (16*64+64 + 64*32+32 + 32*32+32 + 32*5+5), small enough to run fully parallel
on an FPGA in about 100 ns. ``jet_tagger_l1`` is the float Keras 3 model (softmax output);
``jet_tagger_l1_qat`` the same network from HGQ2 layers for quantization-aware training: every
weight and every activation gets its own trainable bit width, and the loss adds beta * EBOPs
(the network's cost in bit operations), so training trades accuracy against FPGA resources.
It outputs logits (the softmax is monotone; a trigger cuts on the logits or their argmax).
Inputs are standardised features (``sklearn.preprocessing.StandardScaler``): the scaling is a
fixed affine map done before the network, where firmware would fold it into the inputs.
"""

from __future__ import annotations

import keras

HIDDEN = (64, 32, 32)


def jet_tagger_l1(n_features: int = 16, n_classes: int = 5, hidden=HIDDEN, learning_rate: float = 3e-3) -> keras.Model:
    """Compiled float tagger (Adam, sparse categorical cross-entropy, accuracy); softmax output (n, n_classes)."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs, name="jet_tagger_l1")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def jet_tagger_l1_qat(n_features: int = 16, n_classes: int = 5, hidden=HIDDEN, beta: float = 1e-5,
                      learning_rate: float = 3e-3) -> keras.Model:
    """Compiled HGQ2 tagger with trainable bit widths; logits output; ``beta`` weighs EBOPs in the loss.

    Weights: fixed-point quantizers with trainable bits per weight (symmetric saturation);
    activations: trainable integer and fractional bits per input, wrap-around overflow with the
    ranges calibrated on data (``hgq.utils.trace_minmax``, done by ``hepcourse.fpga.convert``).
    """
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    with (QuantizerConfigScope(place="weight", q_type="kbi", overflow_mode="SAT_SYM"),
          QuantizerConfigScope(place="bias", q_type="kbi", overflow_mode="SAT_SYM"),
          QuantizerConfigScope(place="datalane", q_type="kif", overflow_mode="WRAP"),
          LayerConfigScope(enable_ebops=True, beta0=beta)):
        inputs = keras.Input(shape=(n_features,), name="features")
        x = inputs
        for i, units in enumerate(hidden, start=1):
            x = QDense(units, activation="relu", name=f"qdense_{i}")(x)
        outputs = QDense(n_classes, name="qoutput")(x)
    model = keras.Model(inputs, outputs, name="jet_tagger_l1_qat")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model
