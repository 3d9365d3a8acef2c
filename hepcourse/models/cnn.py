"""Reference convolutional tagger on jet images (pT-weighted pixels in the rotated eta/phi
frame), small enough to train in seconds per epoch on a 2-core CPU."""

from __future__ import annotations

import keras

from hepcourse.models.common import compile_classifier


def cnn_classifier(image_shape=(40, 40, 1), filters=(8, 16, 32), dense=64, learning_rate=1e-3):
    """Return a compiled (Adam, binary cross-entropy, AUC) CNN with sigmoid output (n, 1):
    one 3x3 Conv2D + 2x2 max-pooling block per entry of ``filters``, then a Dense head."""
    inputs = keras.Input(shape=image_shape, name="image")
    x = inputs
    for n_filters in filters:
        x = keras.layers.Conv2D(n_filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(dense, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    return compile_classifier(keras.Model(inputs, outputs, name="cnn_classifier"), learning_rate)
