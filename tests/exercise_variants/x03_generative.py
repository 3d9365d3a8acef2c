"""Exercise 03: a critic loss with the wrong sign loses its own point and the 3 training points
(the critic then rewards fakes, and the generator runs away from the real showers), nothing else."""

import nbformat

TOTAL = 8


def wrong(source_nb):
    """A plausible mistake: the critic loss written as E[D(real)] - E[D(fake)] (the W1 estimate, not its negative)."""
    nb = nbformat.read(source_nb, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "losses":
            assert "return ops.mean(fake_scores) - ops.mean(real_scores)" in cell.source
            cell.source = cell.source.replace("return ops.mean(fake_scores) - ops.mean(real_scores)",
                                              "return ops.mean(real_scores) - ops.mean(fake_scores)")
    return nb


def check_wrong(score, per_cell):
    assert score == TOTAL - 4, f"a wrong critic-loss sign should lose exactly 1 + 3 points: {per_cell}"
    assert per_cell["test_critic_loss"] == 0 and per_cell["test_training_partial"] == 0
    assert per_cell["test_training_target"] == 0
    assert per_cell["test_gp_linear"] == 1 and per_cell["test_gp_interpolates"] == 2
    assert per_cell["test_generator_loss"] == 1


def _generator_loss_sign(source_nb):
    """The generator loss with the wrong sign: fakes pushed towards low critic scores."""
    from exercise_variants import edit_cell

    return edit_cell(source_nb, "losses", "return -ops.mean(fake_scores)", "return ops.mean(fake_scores)")


CARELESS = {"critic loss sign": wrong, "generator loss sign": _generator_loss_sign}
