"""Reference fully connected tagger on high-level jet features (mass, N-subjettiness, ...).

The first layer standardises the features (keras Normalization), so students can feed raw
physical quantities of very different scales.
"""

from __future__ import annotations

import keras

from hepcourse.models.common import compile_classifier


def dense_classifier(n_features, hidden=(64, 64, 32), dropout=0.1, x_train=None, learning_rate=1e-3):
    """Return a compiled (Adam, binary cross-entropy, AUC) Dense net with sigmoid output (n, 1).

    The first layer, named ``"normalization"``, must learn the feature means and variances:
    pass ``x_train`` to adapt it here, or call ``model.get_layer("normalization").adapt(x_train)``
    yourself BEFORE the first ``fit``/``predict`` (Keras caches the compiled step, so a later
    adapt is silently ignored). Without adapting, the layer is the identity.
    """
    inputs = keras.Input(shape=(n_features,), name="features")
    normalization = keras.layers.Normalization(name="normalization")
    if x_train is not None:
        normalization.adapt(x_train)
    x = normalization(inputs)
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return compile_classifier(keras.Model(inputs, outputs, name="dense_classifier"), learning_rate)
