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

# energy regressors for calorimeter showers (lecture 02); compiled with the squared log ratio loss
from hepcourse.models.calorimeter import (  # noqa: E402
    calibration_constant,
    compile_regressor,
    layer_energy_regressor,
    squared_log_error,
    shower_cnn_regressor,
)

__all__ += [
    "calibration_constant",
    "compile_regressor",
    "layer_energy_regressor",
    "squared_log_error",
    "shower_cnn_regressor",
]

# the five-class Level-1 trigger jet tagger of arXiv:1804.06913 (lecture 07): float and HGQ2 QAT
from hepcourse.models.jet_tagger_l1 import jet_tagger_l1, jet_tagger_l1_qat  # noqa: E402

__all__ += ["jet_tagger_l1", "jet_tagger_l1_qat"]

# the conditional WGAN-GP for calorimeter showers (lecture 03, exercise 03)
from hepcourse.models.gan import (  # noqa: E402
    ConditionalWGAN,
    ShowerScaling,
    build_wgan,
    generate_showers,
    shower_critic,
    shower_generator,
)

__all__ += [
    "ConditionalWGAN",
    "ShowerScaling",
    "build_wgan",
    "generate_showers",
    "shower_critic",
    "shower_generator",
]

# decorrelation from the jet mass (lecture 06): the DisCo loss and the adversary's gradient reversal
from hepcourse.models.decorrelation import DisCoLoss, GradientReversal, distance_correlation_squared  # noqa: E402

__all__ += ["DisCoLoss", "GradientReversal", "distance_correlation_squared"]
