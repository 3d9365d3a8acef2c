"""Exercise 07: integer bits without the sign bit loses exactly the 2 points of task 1."""

import nbformat

TOTAL = 8


def wrong(source_nb):
    """A plausible mistake: forgetting that ap_fixed's integer bits include the sign bit."""
    nb = nbformat.read(source_nb, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "integer_bits":
            assert "int(np.floor(np.log2(max_abs))) + 2" in cell.source
            cell.source = cell.source.replace("int(np.floor(np.log2(max_abs))) + 2", "int(np.floor(np.log2(max_abs))) + 1")
    return nb


def check_wrong(score, per_cell):
    assert score == TOTAL - 2, f"forgetting the sign bit should lose exactly the 2 points of task 1: {per_cell}"
    assert per_cell["test_integer_bits"] == 0 and per_cell["test_to_fixed"] == 2
    assert per_cell["test_choice_accuracy"] == 2 and per_cell["test_choice_resources"] == 2
