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


def shower_response(table_simulated, table_generated, axes=None, labels=("simulation", "GAN")):
    """Two panels: mean response E_vis/E and its relative width vs incident energy, from
    ``hepcourse.physics.calorimeter.shower_validation.response_vs_energy`` tables (simulated, generated)."""
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(11, 4))[1]
    for table, label, marker in ((table_simulated, labels[0], "o"), (table_generated, labels[1], "s")):
        for ax, key in zip(axes, ("mean", "width")):
            ax.errorbar(table["centre"], table[key], yerr=table[f"{key}_error"], fmt=marker, label=label)
    axes[0].set(xscale="log", xlabel="incident energy $E$ [GeV]", ylabel=r"mean response $E_\mathrm{vis}/E$")
    axes[1].set(xscale="log", yscale="log", xlabel="incident energy $E$ [GeV]",
                ylabel=r"relative width $\sigma(E_\mathrm{vis})/\langle E_\mathrm{vis}\rangle$")
    for ax in axes:
        ax.legend()
    return axes


def shower_profiles(profiles, x, ax=None, xlabel="layer", ylabel="mean energy fraction", log=True):
    """Overlay mean profiles {label: (values, errors or None)} against ``x`` (layer depth or radius)."""
    if not isinstance(profiles, dict) or not profiles:
        raise ValueError("profiles must be a non-empty dict: label -> (values, errors)")
    ax = _new_axes(ax)
    for label, (values, errors) in profiles.items():
        if len(values) != len(x):
            raise ValueError(f"profile {label!r} has {len(values)} points but x has {len(x)}")
        ax.errorbar(x, values, yerr=errors, label=label, drawstyle="steps-mid", capsize=0)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax


def observable_comparison(samples, names, bins=40, axes=None, distances=None):
    """One panel per observable: normalised histograms of each sample {label: {name: (n,)}}, common
    bins from the first sample's 0.5-99.5 % range; ``distances`` {name: W1/std} goes into the title."""
    if not isinstance(samples, dict) or len(samples) < 1:
        raise ValueError("samples must be a non-empty dict: label -> {observable: values}")
    if axes is None:
        ncols = min(3, len(names))
        nrows = -(-len(names) // ncols)
        axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.6 * nrows), squeeze=False)[1]
    axes = np.ravel(axes)
    if len(axes) < len(names):
        raise ValueError(f"axes has {len(axes)} panels but {len(names)} observables are requested")
    reference = next(iter(samples.values()))
    for name, ax in zip(names, axes):
        low, high = np.percentile(reference[name], [0.5, 99.5])
        if high <= low:
            low, high = low - 0.5, high + 0.5
        edges = np.linspace(low, high, bins + 1)
        for label, observables in samples.items():
            counts, _ = np.histogram(np.clip(observables[name], edges[0], edges[-1]), bins=edges)
            mplhep.histplot(counts, edges, density=True, label=label, ax=ax)
        title = name if distances is None else f"{name}  (W1/std = {distances[name]:.2f})"
        ax.set(xlabel=name, ylabel="normalised entries")
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="small")
    for unused in axes[len(names):]:
        unused.set_visible(False)
    return axes


def fixed_point_ranges(values, ax=None):
    """Box plots of log2|x| per typed variable of an hls4ml model, over the range of its type.

    ``values`` is ``hepcourse.fpga.layer_values(model, sample, config)``: (layer, quantity,
    values, type) tuples. Each row shows the non-zero |values| seen on the sample (box: the
    central 50%, whiskers: 1%-99%, dots: beyond) and, as a grey bar, what the fixed-point type
    represents, from half its step (smaller values round to 0) to its largest value (larger
    ones overflow). Boxes must sit inside their bars.
    """
    from hepcourse.fpga.fixed_point import parse_type, type_range

    if not values:
        raise ValueError("values is empty: pass hepcourse.fpga.layer_values(model, sample, config)")
    ax = _new_axes(ax)
    labels, data = [], []
    for row, (layer, quantity, array, type_str) in enumerate(values):
        t = parse_type(type_str)
        _, high, step = type_range(t["width"], t["integer"], t["signed"])
        ax.barh(row, np.log2(high) - np.log2(step / 2), left=np.log2(step / 2), height=0.8, color="0.85",
                label="fixed-point type" if row == 0 else None)
        nonzero = np.abs(np.asarray(array, dtype=float))
        nonzero = nonzero[nonzero > 0]
        data.append(np.log2(nonzero) if nonzero.size else np.array([np.nan]))
        labels.append(f"{layer} {quantity}")
    ax.boxplot(data, positions=np.arange(len(values)), vert=False, whis=(1, 99), widths=0.5,
               flierprops={"markersize": 2})
    ax.set_yticks(np.arange(len(values)), labels)
    ax.invert_yaxis()
    ax.set(xlabel=r"$\log_2 |x|$ (non-zero values on the sample)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


# --- calorimeter showers and energy resolution (lecture 02) ---------------------------------


def shower_layers(shower, layers, cell_size_mm=None, axes=None, title=None):
    """One panel per selected layer of a shower ``(n_layers, n_cells, n_cells)`` [layer, y, x],
    on a common logarithmic colour scale (empty cells blank). ``cell_size_mm`` gives mm axes."""
    shower = np.asarray(shower, dtype=float)
    if shower.ndim != 3 or shower.shape[1] != shower.shape[2]:
        raise ValueError(f"shower must have shape (n_layers, n_cells, n_cells), got {shower.shape}")
    if not np.isfinite(shower).all():
        raise ValueError("shower contains NaN/inf cells")
    layers = list(layers)
    if not layers or min(layers) < 0 or max(layers) >= shower.shape[0]:
        raise ValueError(f"layers must be indices in [0, {shower.shape[0]}), got {layers}")
    positive = shower[layers][shower[layers] > 0]
    if positive.size == 0:
        raise ValueError("the selected layers hold no energy: nothing to show on a log scale")
    if axes is None:
        axes = plt.subplots(1, len(layers), figsize=(2.6 * len(layers), 2.8), squeeze=False)[1]
    axes = np.ravel(axes)
    if len(axes) < len(layers):
        raise ValueError(f"axes has {len(axes)} panels for {len(layers)} layers")
    half = None if cell_size_mm is None else 0.5 * shower.shape[1] * cell_size_mm
    extent = None if half is None else (-half, half, -half, half)
    norm = LogNorm(vmin=positive.min(), vmax=positive.max())
    for layer, ax in zip(layers, axes):
        image = np.where(shower[layer] > 0, shower[layer], np.nan)
        artist = ax.imshow(image, origin="lower", norm=norm, extent=extent, cmap="viridis")
        ax.set_title(f"layer {layer}", fontsize="small")
        if half is None:
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.set_xlabel("x [mm]", fontsize="small")
    axes[0].figure.colorbar(artist, ax=list(axes[:len(layers)]), label="visible energy [GeV]", shrink=0.8)
    if title:
        axes[0].figure.suptitle(title)
    return axes


def resolution_curves(results, axes=None):
    """Two panels: response E_reco/E_true and resolution sigma/E against true energy (log x).

    ``results`` maps a method's name to a ``metrics.BinnedResolution`` or to a pair
    ``(BinnedResolution, ResolutionFit)``; a fit is drawn as a line through its points.
    """
    if not isinstance(results, dict) or not results:
        raise ValueError("results must be a non-empty dict: name -> BinnedResolution or (binned, fit)")
    from matplotlib.ticker import NullFormatter

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(15, 6))[1]
    response_ax, resolution_ax = np.ravel(axes)[:2]
    for name, value in results.items():
        binned, fit = value if isinstance(value, tuple) else (value, None)
        if not isinstance(binned, metrics.BinnedResolution):
            raise ValueError(f"results[{name!r}] must hold a metrics.BinnedResolution, got {type(binned).__name__}")
        line = response_ax.errorbar(binned.energy, binned.response, binned.response_err, fmt="o-", ms=4, label=name)
        colour = line[0].get_color()
        label = name if fit is None else f"{name}: {fit.a:.3f}/\u221aE $\\oplus$ {fit.b:.4f} $\\oplus$ {fit.c:.3f}/E"
        resolution_ax.errorbar(binned.energy, binned.resolution, binned.resolution_err, fmt="o", ms=4,
                               color=colour, label=label)
        if fit is not None:
            grid = np.geomspace(binned.edges[0], binned.edges[-1], 200)
            resolution_ax.plot(grid, fit(grid), color=colour, lw=1)
    response_ax.axhline(1.0, color="k", ls="--", lw=1)
    response_ax.set(xscale="log", xlabel="true energy $E$ [GeV]", ylabel=r"response $E_\mathrm{reco}/E_\mathrm{true}$")
    resolution_ax.set(xscale="log", yscale="log", xlabel="true energy $E$ [GeV]", ylabel=r"resolution $\sigma/E$")
    for ax in (response_ax, resolution_ax):
        ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded labels at 2, 3, ... x 10^n
    response_ax.legend(fontsize="x-small")
    resolution_ax.legend(fontsize="xx-small")
    return response_ax, resolution_ax
