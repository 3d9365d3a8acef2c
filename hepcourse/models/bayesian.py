"""A variational Dense layer for Bayes-by-backprop (Blundell et al., arXiv:1505.05424), in Keras 3.

Keras 3 has no variational layers, and TensorFlow Probability does not work with Keras 3, so
the course writes its own with ``keras.ops`` (lecture 05). Every weight w (kernel and bias) has
an independent Gaussian posterior q(w) = N(mu, sigma^2) with sigma = softplus(rho); the layer
learns mu and rho. Each call draws one weight sample by the **reparameterisation**
w = mu + sigma * eps, eps ~ N(0, 1), so the gradient flows through mu and sigma.

The prior is p(w) = N(0, prior_sigma^2) for every weight. The training loss of Bayes-by-backprop
is the negative evidence lower bound of the whole training set divided by its size N:

    L = KL(q || p) / N  -  (1/N) sum_i E_q[log p(y_i | x_i, w)]

The second term is the usual per-example loss (binary cross-entropy, Gaussian NLL) that
``model.fit`` averages over a batch; the first is added by each layer to ``model.losses``
(``add_loss``) as its closed-form KL divergence times ``kl_weight = 1 / n_train``:

    KL(N(mu, sigma^2) || N(0, s^2)) = log(s / sigma) + (sigma^2 + mu^2) / (2 s^2) - 1/2

summed over the layer's weights (`gaussian_kl`). Predictions are made by sampling weights:
call the model several times (`predict_samples`) and take the mean and spread of the outputs.

The layer is registered for the ``.keras`` format (``package="hepcourse"``): import this
module before ``keras.models.load_model`` of a model that uses it. Its random-number state is
part of the saved weights, so a reloaded model draws the same weight samples.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

__all__ = ["DenseVariational", "gaussian_kl", "kl_loss", "predict_samples"]


def _softplus_inverse(x: float) -> float:
    return float(np.log(np.expm1(x)))


def gaussian_kl(mu, sigma, prior_sigma):
    """Sum over all entries of KL(N(mu, sigma^2) || N(0, prior_sigma^2)), in keras.ops."""
    prior_sigma = float(prior_sigma)
    sigma2 = ops.square(sigma)
    return ops.sum(math.log(prior_sigma) - ops.log(sigma) + (sigma2 + ops.square(mu)) / (2.0 * prior_sigma**2) - 0.5)


@keras.saving.register_keras_serializable(package="hepcourse")
class DenseVariational(keras.layers.Layer):
    """A Dense layer whose kernel and bias are Gaussian random variables (Bayes-by-backprop).

    Arguments:
        units: output size.
        n_train: number of training examples N; the layer adds KL(q||p) / N to the model's
            losses (``kl_weight`` overrides 1 / N, e.g. 0 for a plain maximum-likelihood fit).
        activation: as for ``keras.layers.Dense``.
        prior_sigma: width of the Gaussian prior N(0, prior_sigma^2) of every weight.
        posterior_sigma_init: initial posterior width sigma of every weight (small: training
            starts close to an ordinary network and lets sigma grow where the data allow).
        seed: seed of the layer's own random-number generator (weight samples).

    Every call, in training and in inference, draws a new weight sample; the spread of repeated
    predictions is the model's (epistemic) uncertainty.
    """

    def __init__(self, units, n_train=None, activation=None, prior_sigma=1.0, posterior_sigma_init=0.01,
                 kl_weight=None, kernel_initializer="glorot_uniform", seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        if kl_weight is None:
            if n_train is None or not n_train >= 1:
                raise ValueError("give n_train (the number of training examples, which scales the KL term to "
                                 f"KL/N) or kl_weight; got n_train={n_train!r}")
            kl_weight = 1.0 / float(n_train)
        if not (np.isfinite(kl_weight) and kl_weight >= 0):
            raise ValueError(f"kl_weight must be a finite number >= 0, got {kl_weight!r}")
        for name, value in (("prior_sigma", prior_sigma), ("posterior_sigma_init", posterior_sigma_init)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self.units = int(units)
        self.n_train = None if n_train is None else int(n_train)
        self.kl_weight = float(kl_weight)
        self.activation = keras.activations.get(activation)
        self.prior_sigma = float(prior_sigma)
        self.posterior_sigma_init = float(posterior_sigma_init)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(f"DenseVariational needs a known last input dimension, got input shape {input_shape}")
        rho = keras.initializers.Constant(_softplus_inverse(self.posterior_sigma_init))
        self.kernel_mu = self.add_weight(name="kernel_mu", shape=(n_in, self.units), initializer=self.kernel_initializer)
        self.kernel_rho = self.add_weight(name="kernel_rho", shape=(n_in, self.units), initializer=rho)
        self.bias_mu = self.add_weight(name="bias_mu", shape=(self.units,), initializer="zeros")
        self.bias_rho = self.add_weight(name="bias_rho", shape=(self.units,), initializer=rho)

    @property
    def kernel_sigma(self):
        return ops.softplus(self.kernel_rho)

    @property
    def bias_sigma(self):
        return ops.softplus(self.bias_rho)

    def kl_divergence(self):
        """KL(q || p) of all the layer's weights (not scaled by kl_weight)."""
        return (gaussian_kl(self.kernel_mu, self.kernel_sigma, self.prior_sigma)
                + gaussian_kl(self.bias_mu, self.bias_sigma, self.prior_sigma))

    def call(self, inputs):
        kernel_sigma, bias_sigma = self.kernel_sigma, self.bias_sigma
        # the reparameterisation: one weight sample per call, differentiable in mu and rho
        kernel = self.kernel_mu + kernel_sigma * keras.random.normal(ops.shape(self.kernel_mu), seed=self.seed_generator)
        bias = self.bias_mu + bias_sigma * keras.random.normal(ops.shape(self.bias_mu), seed=self.seed_generator)
        if self.kl_weight > 0:
            self.add_loss(self.kl_weight * self.kl_divergence())
        return self.activation(ops.matmul(inputs, kernel) + bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def save_own_variables(self, store):
        """The weights as Keras saves them, and the state of the random-number generator."""
        super().save_own_variables(store)
        store["seed_generator_state"] = self.seed_generator.state

    def load_own_variables(self, store):
        keys = [key for key in store.keys() if key != "seed_generator_state"]
        all_vars = self._trainable_variables + self._non_trainable_variables
        if len(keys) != len(all_vars):
            raise ValueError(f"layer {self.name!r} expects {len(all_vars)} variables "
                             f"{[v.name for v in all_vars]}, the file holds {len(keys)}")
        for i, variable in enumerate(all_vars):
            variable.assign(store[f"{i}"])
        if "seed_generator_state" in store.keys():
            self.seed_generator.state.assign(store["seed_generator_state"])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "n_train": self.n_train, "kl_weight": self.kl_weight,
                "activation": keras.activations.serialize(self.activation), "prior_sigma": self.prior_sigma,
                "posterior_sigma_init": self.posterior_sigma_init,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer), "seed": self.seed}


def kl_loss(model) -> float:
    """The KL part of a model's loss: the sum of its variational layers' scaled KL terms."""
    total = 0.0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, DenseVariational):
            total += layer.kl_weight * float(ops.convert_to_numpy(layer.kl_divergence()))
    return total


def predict_samples(model, x, n_samples=50, batch_size=None, training=False):
    """``n_samples`` stochastic forward passes of ``model`` on ``x``: an array (n_samples, n, ...).

    For a network with `DenseVariational` layers every pass draws new weights: ``x`` is repeated
    ``n_samples`` times and run through ``model.predict`` in batches of ``len(x)`` (one compiled
    call, one weight sample per pass). With ``training=True`` the model is called eagerly with
    dropout active (MC dropout), once per pass. ``batch_size`` splits each pass into batches
    (each batch then has its own weight sample): for inputs too large to hold n_samples times.
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"x must hold at least one example, got shape {x.shape}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError(f"x contains {int(np.sum(~np.isfinite(x)))} NaN/inf values")
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype("float32")
    if training:
        step = len(x) if batch_size is None else int(batch_size)
        passes = [np.concatenate([ops.convert_to_numpy(model(x[i:i + step], training=True))
                                  for i in range(0, len(x), step)]) for _ in range(n_samples)]
        return np.stack(passes)
    if batch_size is None:
        out = model.predict(np.concatenate([x] * n_samples), batch_size=len(x), verbose=0)
    else:
        out = np.concatenate([model.predict(x, batch_size=int(batch_size), verbose=0) for _ in range(n_samples)])
    return out.reshape((n_samples, len(x)) + out.shape[1:])
