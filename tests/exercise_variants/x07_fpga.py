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


def _choice(weight, result, reuse):
    def make(source_nb):
        from exercise_variants import edit_cell

        return edit_cell(source_nb, "choice", 'CHOICE = {"weight": 6, "result": 9, "reuse_factor": 5}',
                         f'CHOICE = {{"weight": {weight}, "result": {result}, "reuse_factor": {reuse}}}')
    make.__doc__ = f"CHOICE = {weight}-bit weights, {result}-bit results, reuse {reuse}"
    return make


CARELESS = {"4/6 bits, reuse 5": _choice(4, 6, 5), "5/8 bits, reuse 5": _choice(5, 8, 5),
            "8/10 bits, reuse 5": _choice(8, 10, 5)}
