"""Reference Keras 3 models for top-vs-QCD tagging, from high-level features to point clouds.

Every builder returns a compiled ``keras.Model`` (Adam, binary cross-entropy, AUC metric)
with a sigmoid output of shape (n, 1), sized for the quick profile on a 2-core CPU.
"""

from hepcourse.models.cnn import cnn_classifier
from hepcourse.models.common import MaskedPooling, ParticleMask, compile_classifier
from hepcourse.models.deepsets import particle_flow_network
from hepcourse.models.dense import dense_classifier
from hepcourse.models.edgeconv import EdgeConv, edgeconv_classifier

__all__ = [
    "EdgeConv",
    "MaskedPooling",
    "ParticleMask",
    "cnn_classifier",
    "compile_classifier",
    "dense_classifier",
    "edgeconv_classifier",
    "particle_flow_network",
]
