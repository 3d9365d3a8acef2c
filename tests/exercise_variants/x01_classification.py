"""Exercise 01: a CNN with two softmax outputs instead of one sigmoid loses exactly the 4 CNN points."""

import nbformat

TOTAL = 11


def wrong(source_nb):
    """A plausible mistake: two softmax outputs instead of one sigmoid output."""
    nb = nbformat.read(source_nb, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "build_cnn":
            assert 'Dense(1, activation="sigmoid")' in cell.source
            cell.source = cell.source.replace('Dense(1, activation="sigmoid")', 'Dense(2, activation="softmax")')
    return nb


def check_wrong(score, per_cell):
    assert score == TOTAL - 4, f"a wrong CNN should lose exactly the 4 CNN points: {per_cell}"
    assert per_cell["test_images"] == 2 and per_cell["test_cnn_structure"] == 0


def _no_rescaling(source_nb):
    """Pixels that sum to 1 fed to the CNN unscaled: it trains far more slowly in 3 epochs."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "build_cnn", "keras.layers.Rescaling(100.0),", "")


def _one_epoch(source_nb):
    """Training stopped after one epoch instead of the budget of three."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "train_cnn", "epochs=EPOCHS,", "epochs=1,")


CARELESS = {"no pixel rescaling": _no_rescaling, "one epoch": _one_epoch}
