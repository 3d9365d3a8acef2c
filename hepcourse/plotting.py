"""HEP-style figures shared by the notebooks: ROC as background rejection, jet images,
feature histograms (top vs QCD) and training curves.

Each function draws on a given matplotlib Axes (or a new one) and returns it, so notebooks
can combine panels freely. The mplhep style is applied only by ``use_hep_style()``, never at
import, so importing this module does not change anyone's matplotlib settings.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np
from matplotlib.colors import LogNorm

from hepcourse import metrics

SIGNAL_LABEL, BACKGROUND_LABEL = "top", "QCD"


def use_hep_style(style="CMS"):
    """Apply an mplhep experiment style (``"CMS"``, ``"ATLAS"``, ``"LHCb"``, ...) globally."""
    mplhep.style.use(style)


def _new_axes(ax):
    return plt.subplots()[1] if ax is None else ax


def roc_plot(curves, ax=None):
    """Draw background rejection 1/eps_B (log scale) against signal efficiency eps_S.

    ``curves`` maps a model name to ``(y_true, score)``; the legend shows each AUC. The dashed
    line is random guessing (1/eps_B = 1/eps_S).
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict: name -> (y_true, score)")
    ax = _new_axes(ax)
    for name, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"curves[{name!r}] must be a (y_true, score) pair")
        eps_s, eps_b, _ = metrics.roc_curve(*pair)
        resolved = eps_b > 0  # 1/eps_B is infinite where no background passes
        ax.plot(eps_s[resolved], 1 / eps_b[resolved], label=f"{name} (AUC = {metrics.auc(*pair):.3f})")
    random_eps_s = np.linspace(0.01, 1, 100)
    ax.plot(random_eps_s, 1 / random_eps_s, "k--", label="random guess")
    ax.set(xlabel=r"Signal efficiency $\varepsilon_S$", ylabel=r"Background rejection $1/\varepsilon_B$", xlim=(0, 1))
    ax.set_yscale("log")
    ax.legend()
    return ax


def jet_image(image, ax=None, title=None, log=True, extent=None):
    """Show one jet image ``(H, W)`` or the mean of a stack ``(n, H, W)``.

    A trailing channel axis of size 1 (the CNN input layout) is dropped. Axes are the rotated
    jet frame (eta', phi'); ``extent=(eta_min, eta_max, phi_min, phi_max)`` gives them physical
    units, otherwise pixel indices are shown. With ``log`` the colour scale is logarithmic from
    the smallest positive pixel (empty pixels stay blank).
    """
    image = np.asarray(image, dtype=float)
    if image.ndim in (3, 4) and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (H, W) or (n, H, W), got {image.shape}")
    if not np.isfinite(image).all():
        raise ValueError("image contains NaN/inf pixels")
    if image.ndim == 3:
        title = title or f"mean of {len(image)} jet images"
        image = image.mean(axis=0)
    norm = None
    if log:
        positive = image[image > 0]
        if positive.size == 0:
            raise ValueError("image has no positive pixel: a log colour scale is impossible, use log=False")
        norm = LogNorm(vmin=positive.min(), vmax=positive.max())
    ax = _new_axes(ax)
    artist = ax.imshow(image, origin="lower", norm=norm, extent=extent, cmap="viridis")
    ax.figure.colorbar(artist, ax=ax, label="pixel intensity")
    unit = "" if extent is not None else " [pixel]"
    ax.set(xlabel=rf"$\eta'$ (rotated){unit}", ylabel=rf"$\phi'$ (rotated){unit}")
    if title:
        ax.set_title(title)
    return ax


def feature_histograms(X, y, names, bins=40, axes=None):
    """One panel per feature: signal ("top") and background ("QCD") as normalised step
    histograms with common bins. Returns the array of Axes used."""
    X, y = np.asarray(X, dtype=float), np.asarray(y).ravel()
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_jets, n_features), got shape {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} entries but X has {len(X)} rows")
    if not np.isin(y, (0, 1)).all() or len(np.unique(y)) != 2:
        raise ValueError("y must hold 0 (QCD) and 1 (top) labels, both present")
    if len(names) != X.shape[1]:
        raise ValueError(f"names has {len(names)} entries but X has {X.shape[1]} features")
    if axes is None:
        ncols = min(3, X.shape[1])
        nrows = -(-X.shape[1] // ncols)
        axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 4 * nrows), squeeze=False)[1]
    axes = np.ravel(axes)
    if len(axes) < X.shape[1]:
        raise ValueError(f"axes has {len(axes)} panels but X has {X.shape[1]} features")
    for column, name, ax in zip(X.T, names, axes):
        edges = np.histogram_bin_edges(column[np.isfinite(column)], bins=bins)
        for label, selected in ((SIGNAL_LABEL, y == 1), (BACKGROUND_LABEL, y == 0)):
            counts, _ = np.histogram(column[selected], bins=edges)
            mplhep.histplot(counts, edges, density=True, label=label, ax=ax)
        ax.set(xlabel=name, ylabel="normalised entries")
        ax.legend()
    for unused in axes[X.shape[1]:]:
        unused.set_visible(False)
    return axes


def training_history(history, ax=None):
    """Plot ``loss`` and, when present, ``val_loss`` per epoch from a keras History or dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError("history must be a keras History or a dict with a 'loss' entry")
    ax = _new_axes(ax)
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if key in logs:
            ax.plot(np.arange(1, len(logs[key]) + 1), logs[key], label=label)
    ax.set(xlabel="epoch", ylabel="loss")
    ax.legend()
    return ax
