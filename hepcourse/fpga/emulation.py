"""Float model against its bit-accurate emulation: what the fixed-point types cost in physics.

``compare`` reports accuracy of both, the per-class AUC (one class against the rest, the way
a trigger threshold on one output works), how often the two pick the same class, and the
largest deviation of any output.

The figure of merit for a precision is the ratio of the emulated to the float AUC per class
(as in the precision scans of arXiv:1804.06913): it uses every jet's score and falls steadily as bits are removed.
The accuracy loss does not: a few per cent of the jets have two nearly equal class
probabilities, rounding flips their argmax in both directions, and the net loss on 1500 jets
scatters by about +-0.006 from one training seed or design to the next (benchmarks/thresholds.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score


def softmax(logits) -> np.ndarray:
    """Row-wise softmax (for models that output logits, e.g. the HGQ2 tagger)."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Comparison:
    accuracy_float: float
    accuracy_emulated: float
    auc_float: dict
    auc_emulated: dict
    argmax_agreement: float
    max_abs_deviation: float

    @property
    def accuracy_loss(self) -> float:
        return self.accuracy_float - self.accuracy_emulated

    @property
    def auc_ratio(self) -> dict:
        """Emulated AUC / float AUC for each class (1 = nothing lost)."""
        return {name: self.auc_emulated[name] / self.auc_float[name] for name in self.auc_float}

    @property
    def worst_auc_ratio(self) -> float:
        """The smallest AUC ratio over the classes (those present in the labels)."""
        return float(np.nanmin(list(self.auc_ratio.values())))

    def table(self) -> str:
        lines = [f"{'':22s} {'float':>8s} {'emulated':>9s} {'ratio':>7s}",
                 f"{'accuracy':22s} {self.accuracy_float:8.4f} {self.accuracy_emulated:9.4f}"]
        lines += [f"{'AUC ' + name + ' vs rest':22s} {self.auc_float[name]:8.4f} {self.auc_emulated[name]:9.4f} "
                  f"{self.auc_ratio[name]:7.4f}" for name in self.auc_float]
        lines += [f"argmax agreement {self.argmax_agreement:.4f}, max |output deviation| {self.max_abs_deviation:.4g}"]
        return "\n".join(lines)


def _check(name, array, n_rows=None, n_cols=None):
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_jets, n_classes), got {array.shape}")
    if n_rows is not None and array.shape != (n_rows, n_cols):
        raise ValueError(f"{name} has shape {array.shape}, expected ({n_rows}, {n_cols}) like the float outputs")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def compare(y_true, p_float, p_emulated, classes=None) -> Comparison:
    """Float vs emulated outputs (probabilities or logits, both the same kind) on labelled jets."""
    p_float = _check("p_float", p_float)
    p_emulated = _check("p_emulated", p_emulated, *p_float.shape)
    y_true = np.asarray(y_true).ravel()
    n_classes = p_float.shape[1]
    if len(y_true) != len(p_float):
        raise ValueError(f"y_true has {len(y_true)} labels for {len(p_float)} jets")
    if not np.isin(y_true, np.arange(n_classes)).all():
        raise ValueError(f"labels must be integers 0..{n_classes - 1}")
    classes = list(classes) if classes is not None else [str(c) for c in range(n_classes)]
    if len(classes) != n_classes:
        raise ValueError(f"{len(classes)} class names for {n_classes} outputs")

    def aucs(p):
        return {name: float(roc_auc_score(y_true == c, p[:, c])) if len(np.unique(y_true == c)) == 2 else float("nan")
                for c, name in enumerate(classes)}

    return Comparison(
        accuracy_float=float(np.mean(p_float.argmax(1) == y_true)),
        accuracy_emulated=float(np.mean(p_emulated.argmax(1) == y_true)),
        auc_float=aucs(p_float), auc_emulated=aucs(p_emulated),
        argmax_agreement=float(np.mean(p_float.argmax(1) == p_emulated.argmax(1))),
        max_abs_deviation=float(np.max(np.abs(p_float - p_emulated))),
    )
