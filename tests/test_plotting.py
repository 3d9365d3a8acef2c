"""Tests of hepcourse.plotting on the Agg backend: the returned Axes carry the expected
artists, scales and labels, and wrong inputs raise clear ValueErrors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from hepcourse import plotting  # noqa: E402

pytestmark = pytest.mark.unit

RNG = np.random.default_rng(0)
Y = np.r_[np.zeros(300), np.ones(300)]
SCORE = Y + RNG.normal(size=600)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_use_hep_style_changes_rcparams_only_when_called():
    with matplotlib.rc_context():
        before = dict(plt.rcParams)
        plotting.use_hep_style("CMS")
        assert dict(plt.rcParams) != before


def test_roc_plot_draws_rejection_on_log_axis_with_auc_in_legend():
    ax = plotting.roc_plot({"perfect": (Y, Y), "noisy": (Y, SCORE)})
    assert isinstance(ax, plt.Axes) and ax.get_yscale() == "log"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == "perfect (AUC = 1.000)" and labels[1].startswith("noisy (AUC = 0.")
    random_line = ax.lines[-1]
    assert random_line.get_linestyle() == "--"
    np.testing.assert_allclose(random_line.get_ydata(), 1 / random_line.get_xdata())
    noisy = ax.lines[1].get_ydata()
    assert np.all(np.isfinite(noisy)) and noisy.max() <= 300  # 1/eps_B never above n_background


def test_roc_plot_uses_given_axes():
    _, ax = plt.subplots()
    assert plotting.roc_plot({"noisy": (Y, SCORE)}, ax=ax) is ax


@pytest.mark.parametrize(
    "curves, message",
    [({}, "non-empty dict"), ([(Y, SCORE)], "non-empty dict"), ({"a": Y}, r"curves\['a'\] must be"),
     ({"a": (Y, SCORE * np.nan)}, "score contains 600 NaN/inf")],
)
def test_roc_plot_rejects_bad_curves(curves, message):
    with pytest.raises(ValueError, match=message):
        plotting.roc_plot(curves)


def test_jet_image_of_one_image_uses_log_norm_and_colorbar():
    image = np.zeros((40, 40))
    image[20, 20], image[21, 19] = 100.0, 0.5
    ax = plotting.jet_image(image, title="one jet")
    shown = ax.images[0]
    assert isinstance(shown.norm, LogNorm) and shown.norm.vmin == 0.5 and shown.norm.vmax == 100
    assert len(ax.figure.axes) == 2  # image + colorbar
    assert ax.get_title() == "one jet"
    assert "eta'" in ax.get_xlabel() and "phi'" in ax.get_ylabel()


def test_jet_image_of_a_stack_shows_the_mean():
    images = RNG.random((5, 40, 40, 1))
    ax = plotting.jet_image(images, log=False, extent=(-1, 1, -1, 1))
    np.testing.assert_allclose(ax.images[0].get_array(), images[..., 0].mean(axis=0))
    assert not isinstance(ax.images[0].norm, LogNorm)
    assert ax.get_title() == "mean of 5 jet images"
    assert "pixel" not in ax.get_xlabel()


@pytest.mark.parametrize(
    "image, message",
    [(np.ones(40), "must have shape"), (np.ones((2, 40, 40, 3)), "must have shape"),
     (np.full((40, 40), np.nan), "NaN"), (np.zeros((40, 40)), "no positive pixel")],
)
def test_jet_image_rejects_bad_images(image, message):
    with pytest.raises(ValueError, match=message):
        plotting.jet_image(image)


def test_feature_histograms_one_normalised_panel_per_feature():
    X = np.c_[SCORE, RNG.exponential(size=600), RNG.normal(size=600), Y]
    axes = plotting.feature_histograms(X, Y, ["score", "mass", "tau32", "label"], bins=20)
    assert [ax.get_visible() for ax in axes] == [True] * 4 + [False] * 2  # a 2 x 3 grid
    for ax, name in zip(axes, ["score", "mass", "tau32", "label"]):
        assert ax.get_xlabel() == name
        assert ax.get_legend_handles_labels()[1] == ["top", "QCD"]
        for step in ax.patches:
            values, edges, _ = step.get_data()
            assert len(values) == 20 and np.sum(values * np.diff(edges)) == pytest.approx(1.0)
    signal, background = (patch.get_data()[0] for patch in axes[0].patches)
    assert not np.allclose(signal, background)  # the score separates top from QCD


def test_feature_histograms_draw_on_given_axes():
    _, given = plt.subplots(1, 2)
    axes = plotting.feature_histograms(np.c_[SCORE, SCORE], Y, ["a", "b"], axes=given)
    assert list(axes) == list(given)


@pytest.mark.parametrize(
    "X, y, names, message",
    [(SCORE, Y, ["a"], "X must be 2-D"), (SCORE[:, None], Y[:-1], ["a"], "y has 599 entries"),
     (SCORE[:, None], Y + 1, ["a"], "y must hold 0"), (SCORE[:, None], Y, ["a", "b"], "names has 2")],
)
def test_feature_histograms_reject_bad_inputs(X, y, names, message):
    with pytest.raises(ValueError, match=message):
        plotting.feature_histograms(X, y, names)


def test_feature_histograms_need_enough_axes():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="axes has 1 panels"):
        plotting.feature_histograms(np.c_[SCORE, SCORE], Y, ["a", "b"], axes=ax)


class FakeHistory:  # what keras.callbacks.History exposes
    history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.55], "auc": [0.6, 0.8, 0.9]}


@pytest.mark.parametrize("history", [FakeHistory(), FakeHistory.history])
def test_training_history_plots_loss_and_val_loss_per_epoch(history):
    ax = plotting.training_history(history)
    assert [line.get_label() for line in ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.72, 0.6, 0.55])


def test_training_history_without_validation_and_bad_history():
    ax = plotting.training_history({"loss": [1.0, 0.5]})
    assert len(ax.lines) == 1
    with pytest.raises(ValueError, match="'loss'"):
        plotting.training_history({"auc": [0.5]})
    with pytest.raises(ValueError, match="history must be"):
        plotting.training_history([0.7, 0.5])
