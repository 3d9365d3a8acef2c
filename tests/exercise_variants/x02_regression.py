"""Exercise 02: the resolution terms added linearly instead of in quadrature loses exactly Task 1's 3 points."""

import nbformat

TOTAL = 8
QUADRATURE = "return np.sqrt((a / np.sqrt(E)) ** 2 + b**2 + (c / E) ** 2)"


def wrong(source_nb):
    """A plausible mistake: sigma/E = a/sqrt(E) + b + c/E (a linear sum of the three terms)."""
    nb = nbformat.read(source_nb, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "resolution_model":
            assert QUADRATURE in cell.source
            cell.source = cell.source.replace(QUADRATURE, "return a / np.sqrt(E) + b + c / E")
    return nb


def check_wrong(score, per_cell):
    assert score == TOTAL - 3, f"a linear sum of the terms should lose exactly Task 1's 3 points: {per_cell}"
    assert per_cell["test_resolution_model"] == 0 and per_cell["test_resolution_fit"] == 0, per_cell
    assert per_cell["test_calibration"] == 1 and per_cell["test_regressor_target"] == 2, per_cell


def _sum_only(source_nb):
    """A network that sees only the visible sum (log of it), not the layer profile: it can only
    rescale the sum, which the task says cannot win."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_regressor",
                     "features = keras.layers.Concatenate()([inputs / visible, keras.ops.log(visible)])",
                     "features = keras.ops.log(visible)")


def _mse_in_gev(source_nb):
    """Plain mean squared error in GeV^2: dominated by the 100 GeV showers."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_regressor", "loss=squared_log_error", 'loss="mse"')


CARELESS = {"sum only": _sum_only, "MSE in GeV^2": _mse_in_gev}
