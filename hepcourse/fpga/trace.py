"""A float forward pass that records what hls4ml will store in every fixed-point variable.

hls4ml splits ``Dense(..., activation="relu")`` into two layers, ``name`` (the Dense result
before the activation) and ``name_relu``; the types of both must hold their values. This
module replays a Keras model layer by layer in numpy and returns, under the names hls4ml
gives its layers, the weights, biases and results seen on a data sample. Supported: the
layers of fully connected taggers (Input, Dense, Activation/ReLU/Softmax with relu, linear or
softmax, Dropout which hls4ml removes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np


@dataclass
class LayerTrace:
    """What one hls4ml layer computes on the sample: its kind and its arrays."""

    name: str
    kind: str  # "input", "dense", "relu", "softmax", "linear"
    arrays: dict = field(default_factory=dict)  # "result", "weight", "bias" -> np.ndarray
    n_in: int = 0
    n_out: int = 0


def _activation_name(layer) -> str:
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", str(activation))
    if name not in ("relu", "linear", "softmax"):
        raise ValueError(f"layer {layer.name!r}: activation {name!r} is not supported here (relu, linear, softmax)")
    return name


def _apply(kind, z):
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def check_sample(model, sample) -> np.ndarray:
    """The sample as a float64 (n, n_features) array; clear errors for a wrong shape or NaN."""
    sample = np.asarray(sample, dtype=np.float64)
    n_features = model.input_shape[-1]
    if sample.ndim != 2 or sample.shape[1] != n_features or len(sample) == 0:
        raise ValueError(f"the sample must have shape (n_jets, {n_features}) like the model input, got {sample.shape}")
    if not np.all(np.isfinite(sample)):
        raise ValueError(f"the sample contains NaN or inf ({int(np.sum(~np.isfinite(sample)))} entries)")
    return sample


def trace(model: keras.Model, sample, input_name: str = "input_layer") -> list[LayerTrace]:
    """Layer-by-layer float values of ``model`` on ``sample``, named as hls4ml names its layers."""
    x = check_sample(model, sample)
    out = [LayerTrace(input_name, "input", {"result": x}, x.shape[1], x.shape[1])]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dropout):
            continue  # identity at inference; hls4ml removes it
        if isinstance(layer, keras.layers.Dense):
            kernel, *rest = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
            bias = rest[0] if rest else np.zeros(kernel.shape[1])
            z = x @ kernel + bias
            out.append(LayerTrace(layer.name, "dense", {"result": z, "weight": kernel, "bias": bias}, *kernel.shape))
            kind = _activation_name(layer)
            x = z
            if kind != "linear":
                x = _apply(kind, z)
                out.append(LayerTrace(f"{layer.name}_{kind}", kind, {"result": x}, z.shape[1], z.shape[1]))
            continue
        if isinstance(layer, (keras.layers.Activation, keras.layers.ReLU, keras.layers.Softmax)):
            kind = _activation_name(layer)
            x = _apply(kind, x)
            out.append(LayerTrace(layer.name, kind, {"result": x}, x.shape[1], x.shape[1]))
            continue
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) is not supported by hepcourse.fpga; "
            "use Dense, Activation (relu/linear/softmax) and Dropout layers")
    return out
