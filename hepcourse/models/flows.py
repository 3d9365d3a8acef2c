"""A fast calorimeter simulation from a conditional normalising flow and a lateral-shape network.

The generator of lecture 03 factorises a shower the way the physics does (per-layer energy
normalisation, as in CaloFlow, Krause and Shih, arXiv:2106.05285):

    p(shower | E) = p(layer energies | E) x prod over layers p(cells of layer k | its energy, k, E).

**Layer energies: a conditional RealNVP flow.** A normalising flow is an invertible map f from
data x to a latent z with a standard-normal density; by the change of variables

    log p(x | c) = log N(f(x; c); 0, 1) + log |det df/dx|.

RealNVP (Dinh, Sohl-Dickstein, Bengio, arXiv:1605.08803) builds f from **affine coupling
layers**: a fixed binary mask m splits the vector; the masked half passes unchanged and sets a
scale s and a shift t for the other half,

    y = m * x + (1 - m) * (x * exp(s(m * x, c)) + t(m * x, c)),
    log |det dy/dx| = sum over the unmasked components of s,

so the inverse is x = m * y + (1 - m) * (y - t) * exp(-s) and the Jacobian is triangular: its
log-determinant is a sum. s and t are small dense networks that also see the condition c (log E).
Training maximises the likelihood (minimises -log p); sampling draws z ~ N(0, 1) and runs the
couplings backwards. The flow models x = [log(E_vis / E), log((E_k + u_k) / E_vis) for the 22
layers], standardised: the response (hence the resolution) is one component, and the layer
fractions are the longitudinal profile; u_k ~ U(0, threshold) "dequantises" empty layers (a
continuous density cannot put mass on exactly zero), and generated layers below the readout
threshold are set to zero.

**Lateral shapes: a softmax network and Dirichlet fluctuations.** For a layer of energy E_k at
depth k of a shower of energy E, a dense network predicts the mean fraction of E_k in each
cell, fbar_c = softmax(network(log E, k, log E_k)), trained with the cross-entropy
-sum_c f_c log fbar_c on the measured fractions f_c (its minimum is fbar = E[f]). A shower's
cells fluctuate around that mean: they are drawn from a Dirichlet distribution with
parameters alpha_c = (E_k / e_spot) fbar_c (normalised Gamma draws), whose mean is fbar and
whose relative fluctuations shrink like 1 / sqrt(E_k / e_spot), as if E_k were deposited in
clusters of energy e_spot; then the readout's zero suppression, and the surviving cells are
rescaled to keep E_k. e_spot, one number per layer, is fitted on the validation showers so
that each layer's mean number of cells above threshold matches (GFlash, arXiv:hep-ex/0001020, splits the energy
into spots of fixed size instead and over-populates the cells; see
`hepcourse.physics.calorimeter.fastshower`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .gan import check_showers

LOG_2PI = float(np.log(2 * np.pi))


@keras.saving.register_keras_serializable(package="hepcourse")
class AffineCoupling(keras.layers.Layer):
    """One RealNVP coupling: y = m x + (1 - m)(x exp(s) + t), with (s, t) = MLP([m x, c]).

    ``mask``: 0/1 list of the vector's length (1 = passed through). The scale is bounded,
    s = scale_limit * tanh(.), so that an untrained flow cannot overflow.
    """

    def __init__(self, mask, hidden=(64, 64), scale_limit=3.0, **kwargs):
        super().__init__(**kwargs)
        self.mask = [float(m) for m in mask]
        if not self.mask or set(self.mask) - {0.0, 1.0} or len(set(self.mask)) < 2:
            raise ValueError(f"mask must be a list of 0 and 1 with both values present, got {mask}")
        self.hidden = tuple(int(h) for h in hidden)
        self.scale_limit = float(scale_limit)
        dim = len(self.mask)
        self.net = [keras.layers.Dense(h, activation="relu") for h in self.hidden]
        # zero-initialised output: every coupling starts as the identity
        self.out = keras.layers.Dense(2 * dim, kernel_initializer="zeros", bias_initializer="zeros")

    def build(self, input_shape):
        x_shape, c_shape = input_shape
        if x_shape[-1] != len(self.mask):
            raise ValueError(f"mask has {len(self.mask)} components but the input has {x_shape[-1]}")
        width = x_shape[-1] + c_shape[-1]
        for layer in self.net:
            layer.build((None, width))
            width = layer.units
        self.out.build((None, width))

    def _scale_shift(self, x_masked, c):
        h = ops.concatenate([x_masked, c], axis=-1)
        for layer in self.net:
            h = layer(h)
        s, t = ops.split(self.out(h), 2, axis=-1)
        free = 1.0 - ops.convert_to_tensor(self.mask, dtype=x_masked.dtype)
        return self.scale_limit * ops.tanh(s) * free, t * free

    def call(self, inputs):
        """Forward (data -> latent): returns (y, log|det dy/dx|) of shape (B, d), (B,)."""
        x, c = inputs
        m = ops.convert_to_tensor(self.mask, dtype=x.dtype)
        s, t = self._scale_shift(x * m, c)
        return x * ops.exp(s) + t, ops.sum(s, axis=-1)

    def inverse(self, y, c):
        m = ops.convert_to_tensor(self.mask, dtype=y.dtype)
        s, t = self._scale_shift(y * m, c)
        return (y - t) * ops.exp(-s)

    def get_config(self):
        return {**super().get_config(), "mask": self.mask, "hidden": self.hidden, "scale_limit": self.scale_limit}


def alternating_masks(dim, n_layers, seed=0):
    """``n_layers`` masks of length ``dim``: even/odd halves in turn, then random halves (seeded)."""
    if int(dim) < 2 or int(n_layers) < 1:
        raise ValueError(f"need dim >= 2 and n_layers >= 1, got {dim}, {n_layers}")
    rng = np.random.default_rng(seed)
    masks = []
    for k in range(int(n_layers)):
        if k < 2:
            m = (np.arange(dim) % 2 == k % 2)
        else:
            m = np.zeros(dim, bool)
            m[rng.permutation(dim)[: dim // 2]] = True
        masks.append(m.astype(int).tolist())
    return masks


@keras.saving.register_keras_serializable(package="hepcourse")
class ConditionalRealNVP(keras.Model):
    """A stack of ``AffineCoupling`` layers: ``call([x, c])`` returns log p(x | c), (B,).

    ``fit([x, c], y=None)`` is not enough (a Keras loss needs a target), so train with
    ``fit([x, c], np.zeros(len(x)), ...)`` after ``compile(optimizer)``: the loss is -log p
    (``negative_log_likelihood``). ``sample(c, seed)`` draws one x per row of c.
    """

    def __init__(self, dim, condition_dim=1, n_couplings=6, hidden=(64, 64), seed=0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.condition_dim = int(dim), int(condition_dim)
        self.n_couplings, self.hidden, self.seed = int(n_couplings), tuple(int(h) for h in hidden), int(seed)
        self.couplings = [AffineCoupling(m, self.hidden, name=f"coupling_{k}")
                          for k, m in enumerate(alternating_masks(self.dim, self.n_couplings, self.seed))]

    def build(self, input_shape):
        for layer in self.couplings:
            layer.build(input_shape)

    def forward(self, x, c):
        """x -> (z, log|det dz/dx|)."""
        log_det = ops.zeros(ops.shape(x)[:1], dtype=x.dtype)
        for layer in self.couplings:
            x, ld = layer([x, c])
            log_det = log_det + ld
        return x, log_det

    def call(self, inputs):
        x, c = inputs
        x = ops.convert_to_tensor(x, dtype="float32")
        c = ops.convert_to_tensor(c, dtype="float32")
        z, log_det = self.forward(x, c)
        return -0.5 * ops.sum(ops.square(z), axis=-1) - 0.5 * self.dim * LOG_2PI + log_det

    def inverse(self, z, c):
        for layer in reversed(self.couplings):
            z = layer.inverse(z, c)
        return z

    def sample(self, condition, seed=0, batch_size=4096):
        """One sample x per row of ``condition`` (n, condition_dim), from seeded N(0, 1) noise."""
        condition = np.asarray(condition, dtype="float32").reshape(-1, self.condition_dim)
        if not np.all(np.isfinite(condition)):
            raise ValueError("condition contains NaN/inf")
        z = np.random.default_rng(seed).standard_normal((len(condition), self.dim)).astype("float32")
        out = [ops.convert_to_numpy(self.inverse(ops.convert_to_tensor(z[i:i + batch_size]),
                                                 ops.convert_to_tensor(condition[i:i + batch_size])))
               for i in range(0, len(z), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), "float32")

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "condition_dim": self.condition_dim,
                "n_couplings": self.n_couplings, "hidden": self.hidden, "seed": self.seed}


@keras.saving.register_keras_serializable(package="hepcourse")
def negative_log_likelihood(y_true, log_prob):
    """The flow's training loss: -log p(x | c) per sample (``y_true`` is ignored)."""
    return -log_prob


# ---- the factorised shower generator --------------------------------------------------------

def _log_energy_condition(energies, energy_range):
    low, high = np.log(energy_range)
    return ((2 * np.log(energies) - (low + high)) / (high - low)).astype("float32")


def _check_showers(showers, energies, n_layers=None):
    """gan.check_showers (shapes, NaN, negative cells, energies), plus square layers and the layer count."""
    showers, energies = check_showers(showers, energies)
    if showers.shape[2] != showers.shape[3]:
        raise ValueError(f"showers must have shape (n, n_layers, n_cells, n_cells), got {showers.shape}")
    if n_layers is not None and showers.shape[1] != n_layers:
        raise ValueError(f"showers have {showers.shape[1]} layers, the generator {n_layers}")
    return showers, energies


def _check_energies(energies):
    energies = np.asarray(energies, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(energies)) or np.any(energies <= 0):
        raise ValueError("energies must be finite and positive (GeV)")
    return energies


def lateral_shape_network(n_cells, hidden=(64, 128), name="lateral_shape"):
    """[log E condition, depth in [-1, 1], log(E_k / threshold) / 5 - 1] -> (n_cells^2,) mean cell fractions.

    The softmax output is a normalised lateral shape: non-negative fractions that sum to 1.
    """
    inputs = keras.Input((3,), name="layer_condition")
    h = inputs
    for width in hidden:
        h = keras.layers.Dense(width, activation="relu")(h)
    fractions = keras.layers.Dense(int(n_cells) ** 2, activation="softmax", name="fractions")(h)
    return keras.Model(inputs, fractions, name=name)


class FactorisedShowerGenerator:
    """Layer energies from a ``ConditionalRealNVP``, cells from ``lateral_shape_network`` + Dirichlet.

    ``fit(train showers, energies, val showers, energies)`` trains both networks (early stopping
    of the flow on the validation likelihood) and fits the spot energies (per layer) on the validation
    showers' occupancy; ``generate(energies, seed)`` returns float32 (n, layers, cells, cells)
    showers in GeV. All randomness is seeded.
    """

    def __init__(self, n_layers=22, n_cells=11, threshold_GeV=1e-4, energy_range=(1.0, 100.0),
                 n_couplings=8, hidden=(32, 32), seed=0):
        if not threshold_GeV > 0:
            raise ValueError(f"threshold_GeV must be positive, got {threshold_GeV}")
        self.n_layers, self.n_cells = int(n_layers), int(n_cells)
        self.threshold = float(threshold_GeV)
        self.energy_range = tuple(float(e) for e in energy_range)
        self.seed = int(seed)
        self.flow = ConditionalRealNVP(self.n_layers + 1, 1, n_couplings=n_couplings, hidden=hidden, seed=seed)
        self.shape_network = lateral_shape_network(self.n_cells)
        self.spot_GeV = None

    # the flow's coordinates
    def _encode(self, layers, energies, rng):
        total = layers.sum(axis=1, keepdims=True)
        return np.column_stack([np.log(total / energies[:, None]),
                                np.log((layers + rng.uniform(0, self.threshold, layers.shape)) / total)])

    def _decode(self, v, energies):
        fractions = np.exp(v[:, 1:])
        fractions /= fractions.sum(axis=1, keepdims=True)
        layers = fractions * np.exp(v[:, :1]) * energies[:, None]
        layers[layers < self.threshold] = 0.0
        return layers

    def _layer_condition(self, layers, energies):
        n = len(energies)
        depth = np.tile(np.arange(self.n_layers), n)
        e = np.repeat(energies, self.n_layers)
        e_k = layers.reshape(-1)
        half = (self.n_layers - 1) / 2
        return np.column_stack([_log_energy_condition(e, self.energy_range), (depth - half) / half,
                                np.log(np.maximum(e_k, self.threshold) / self.threshold) / 5 - 1]).astype("float32")

    def fit(self, showers, energies, val_showers, val_energies, epochs=60, shape_epochs=10, copies=4,
            batch_size=256, learning_rate=1e-3, patience=5, callbacks=(), verbose=0):
        """Train the flow (``copies`` dequantisations of the training showers) and the shape network."""
        showers, energies = _check_showers(showers, energies, self.n_layers)
        val_showers, val_energies = _check_showers(val_showers, val_energies, self.n_layers)
        if showers.shape[2] != self.n_cells:
            raise ValueError(f"showers have {showers.shape[2]} x {showers.shape[3]} cells, "
                             f"the generator {self.n_cells}")
        if np.any(showers.sum(axis=(1, 2, 3)) <= 0):
            raise ValueError("every training shower needs visible energy > 0")
        rng = np.random.default_rng(self.seed)
        layers = showers.sum(axis=(2, 3))
        v = np.vstack([self._encode(layers, energies, rng) for _ in range(int(copies))])
        self.mean, self.std = v.mean(axis=0), v.std(axis=0)
        x = ((v - self.mean) / self.std).astype("float32")
        self.x_range = (x.min(axis=0), x.max(axis=0))
        c = np.tile(_log_energy_condition(energies, self.energy_range), int(copies))[:, None]
        val_layers = val_showers.sum(axis=(2, 3))
        x_val = ((self._encode(val_layers, val_energies, rng) - self.mean) / self.std).astype("float32")
        c_val = _log_energy_condition(val_energies, self.energy_range)[:, None]
        self.flow.compile(keras.optimizers.Adam(learning_rate), loss=negative_log_likelihood)
        stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        flow_history = self.flow.fit([x, c], np.zeros(len(x)), batch_size=batch_size, epochs=epochs, verbose=verbose,
                                     validation_data=([x_val, c_val], np.zeros(len(x_val))),
                                     callbacks=[stop, *callbacks])
        # lateral shapes: every layer with energy, its cells as fractions of the layer energy
        keep = layers.reshape(-1) >= self.threshold
        fractions = showers.reshape(-1, self.n_cells ** 2)[keep] / layers.reshape(-1, 1)[keep]
        self.shape_network.compile(keras.optimizers.Adam(3e-3), loss="categorical_crossentropy")
        shape_history = self.shape_network.fit(self._layer_condition(layers, energies)[keep],
                                               fractions.astype("float32"), batch_size=512, epochs=shape_epochs,
                                               verbose=verbose)
        self.spot_GeV = self.fit_spot(val_showers, val_energies)
        return {"flow": flow_history.history, "shape": shape_history.history}

    def generate_layers(self, energies, seed=0):
        """(n, n_layers) layer energies in GeV at the incident ``energies`` (GeV)."""
        energies = _check_energies(energies)
        c = _log_energy_condition(energies, self.energy_range)[:, None]
        x = np.clip(self.flow.sample(c, seed=seed), *self.x_range)  # no extrapolation beyond the training range
        return self._decode(x * self.std + self.mean, energies)

    def cells_from_layers(self, layers, energies, seed=0, spot_GeV=None):
        """Cells (n, layers, cells, cells) in GeV for given layer energies: mean shape x Dirichlet, zero-suppressed.

        ``spot_GeV``: a number or one per layer (default: the fitted ones).
        """
        spot = spot_GeV if spot_GeV is not None else self.spot_GeV
        spot = np.broadcast_to(np.asarray(self.threshold if spot is None else spot, dtype=np.float64), (self.n_layers,))
        rng = np.random.default_rng(seed)
        layers = np.asarray(layers, dtype=np.float64)
        e_k = layers.reshape(-1)
        spot = np.tile(spot, len(layers))
        out = np.zeros((len(e_k), self.n_cells ** 2))
        on = e_k >= self.threshold
        mean = self.shape_network.predict(self._layer_condition(layers, energies)[on], batch_size=8192, verbose=0)
        alpha = (e_k[on] / spot[on])[:, None] * mean.astype(np.float64)
        draws = rng.gamma(np.maximum(alpha, 1e-300))  # Dirichlet = normalised Gamma draws
        cells = draws / np.maximum(draws.sum(axis=1, keepdims=True), 1e-300) * e_k[on, None]
        cells[cells < self.threshold] = 0.0  # zero suppression
        kept = cells.sum(axis=1, keepdims=True)
        out[on] = np.where(kept > 0, cells * e_k[on, None] / np.maximum(kept, 1e-300), 0.0)
        return out.reshape(len(energies), self.n_layers, self.n_cells, self.n_cells).astype("float32")

    def fit_spot(self, showers, energies, iterations=14, seed=12345):
        """Per layer, the spot energy (GeV) whose mean number of cells above threshold matches ``showers``.

        A bisection in log e_spot for all layers at once (bigger spots hit fewer cells), on
        layer energies generated by the flow at the energies of ``showers``.
        """
        target = (np.asarray(showers) > 0).sum(axis=(2, 3)).mean(axis=0)  # (n_layers,)
        layers = self.generate_layers(energies, seed=seed)
        low = np.full(self.n_layers, np.log(self.threshold * 0.1))
        high = np.full(self.n_layers, np.log(self.threshold * 1000))
        for _ in range(int(iterations)):
            mid = 0.5 * (low + high)
            occupancy = (self.cells_from_layers(layers, energies, seed, np.exp(mid)) > 0).sum(axis=(2, 3)).mean(axis=0)
            too_many = occupancy > target
            low, high = np.where(too_many, mid, low), np.where(too_many, high, mid)
        return np.exp(0.5 * (low + high))

    def generate(self, energies, seed=0):
        """Showers (n, n_layers, n_cells, n_cells), float32 GeV, at the incident ``energies``."""
        if self.spot_GeV is None:
            raise RuntimeError("fit the generator first")
        energies = _check_energies(energies)
        return self.cells_from_layers(self.generate_layers(energies, seed), energies, seed + 1)
