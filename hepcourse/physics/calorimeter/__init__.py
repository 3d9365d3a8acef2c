"""The course's electromagnetic calorimeter: a tungsten-silicon sampling calorimeter and its showers.

What lives where (each module one concern):

* `geometry`: materials (PDG constants) and the layer/cell geometry (``GEOMETRY``);
* `cross_sections`: bremsstrahlung, pair production, Compton and photoelectric attenuation;
* `cascade`: the particle-level shower transport (``simulate_deposits``), the "detailed
  simulation" that the regression lecture calibrates and the generative lecture imitates;
* `digitisation`: electronic noise, zero suppression and ``simulate`` (deposits -> signal);
* `shower_shapes`: longitudinal and lateral shape observables (profiles, shower maximum,
  containment, Gamma-profile fits);
* `fastshower`: a GFlash-style parametrised fast simulation fitted to the detailed one;
* `shower_library`: a frozen library of simulated showers reused as a fast simulation;
* `shower_validation`: comparing generated showers (GAN, fast simulation) with the detailed ones;
* `textbook`: the simulation's textbook properties measured (``python -m
  hepcourse.physics.calorimeter`` prints them).

References: PDG review "Passage of particles through matter" (Particle Data Group, Phys. Rev.
D 110, 030001 (2024)); B. Rossi, High-Energy Particles (1952); E. Longo and I. Sestili, Nucl.
Instrum. Meth. 128 (1975) 283 (Gamma-function longitudinal profile); G. Grindhammer and
S. Peters, "The parameterized simulation of electromagnetic showers in homogeneous and sampling
calorimeters", arXiv:hep-ex/0001020 (GFlash).
"""

from .cascade import PARTICLES, TRANSPORT, TransportSettings, simulate_deposits
from .digitisation import digitise, simulate
from .geometry import GEOMETRY, SILICON, TUNGSTEN, CalorimeterGeometry, Material

__all__ = [
    "GEOMETRY", "PARTICLES", "SILICON", "TRANSPORT", "TUNGSTEN", "CalorimeterGeometry", "Material",
    "TransportSettings", "digitise", "simulate", "simulate_deposits",
]
