"""Geometry and materials of the course's tungsten-silicon sampling calorimeter.

22 layers of 3.5 mm tungsten (absorber) followed by 0.5 mm silicon (active), 11 x 11 square
cells of 6 mm per layer; the beam enters at the front face, along z, at the centre of the
central cell. Absorber and readout have the same transverse size (66 mm); what leaves at the
sides, the back or the front is lost (leakage).

Materials (PDG "Atomic and nuclear properties of materials", pdg.lbl.gov/AtomicNuclearProperties)
    tungsten: X0 = 3.504 mm, critical energy (e-, Rossi definition) Ec = 7.97 MeV,
    Moliere radius 9.327 mm; silicon: X0 = 93.70 mm, Ec = 40.19 MeV, R_M = 49.44 mm.
    Stack averages (PDG review "Passage of particles through matter", sec. on EM cascades,
    rules for mixtures, thickness weighted): 1/X0 = sum_i (t_i/T)/X0_i;
    Ec = (sum_i t_i Ec_i/X0_i) / (sum_i t_i/X0_i); R_M = 21.2 MeV X0 / Ec.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

MOLIERE_SCALE_MEV = 21.2  # E_s = m_e sqrt(4 pi / alpha)
AVOGADRO = 6.02214076e23

@dataclass(frozen=True)
class Material:
    """PDG properties of one material (lengths in mm)."""

    name: str
    Z: int
    A: float  # g/mol
    density_g_cm3: float
    X0_mm: float
    critical_energy_MeV: float  # e-, Rossi definition
    moliere_radius_mm: float

    @property
    def dedx_MeV_per_mm(self) -> float:
        """Ionisation loss Ec/X0 (Rossi's definition of the critical energy)."""
        return self.critical_energy_MeV / self.X0_mm

    @property
    def electrons_per_mm3(self) -> float:
        return self.density_g_cm3 * self.Z / self.A * AVOGADRO * 1e-3

    @property
    def pair_screening_log(self) -> float:
        return math.log(183.0 * self.Z ** (-1.0 / 3.0)) - 1.0 / 42.0


TUNGSTEN = Material("W", 74, 183.84, 19.30, 3.504, 7.97, 9.327)
SILICON = Material("Si", 14, 28.0855, 2.329, 93.70, 40.19, 49.44)


@dataclass(frozen=True)
class CalorimeterGeometry:
    """A sampling calorimeter of identical layers (absorber then active), square cells."""

    n_layers: int = 22
    n_cells: int = 11
    cell_size_mm: float = 6.0
    absorber: Material = TUNGSTEN
    active: Material = SILICON
    absorber_thickness_mm: float = 3.5
    active_thickness_mm: float = 0.5
    noise_MeV: float = 0.02  # per cell, Gaussian, in the silicon (about 0.1 MIP)
    threshold_MeV: float = 0.1  # zero suppression: about 0.5 MIP in 0.5 mm of silicon

    def __post_init__(self):
        if self.n_cells % 2 != 1 or self.n_cells < 1:
            raise ValueError(f"n_cells must be odd (the beam hits the central cell), got {self.n_cells}")
        if self.n_layers < 1 or self.cell_size_mm <= 0:
            raise ValueError("n_layers and cell_size_mm must be positive")

    @property
    def layer_thickness_mm(self) -> float:
        return self.absorber_thickness_mm + self.active_thickness_mm

    @property
    def depth_mm(self) -> float:
        return self.n_layers * self.layer_thickness_mm

    @property
    def half_width_mm(self) -> float:
        return 0.5 * self.n_cells * self.cell_size_mm

    @property
    def layer_X0(self) -> float:
        """Radiation lengths per layer (absorber + active)."""
        return self.absorber_thickness_mm / self.absorber.X0_mm + self.active_thickness_mm / self.active.X0_mm

    @property
    def depth_X0(self) -> float:
        return self.n_layers * self.layer_X0

    @property
    def X0_mm(self) -> float:
        """Effective radiation length of the stack (thickness-weighted 1/X0)."""
        return self.layer_thickness_mm / self.layer_X0

    @property
    def critical_energy_MeV(self) -> float:
        """Effective critical energy: ionisation loss per effective X0 of the stack."""
        loss = (self.absorber_thickness_mm * self.absorber.dedx_MeV_per_mm
                + self.active_thickness_mm * self.active.dedx_MeV_per_mm)
        return loss / self.layer_X0

    @property
    def moliere_radius_mm(self) -> float:
        """Effective Moliere radius E_s X0 / Ec of the stack."""
        return MOLIERE_SCALE_MEV * self.X0_mm / self.critical_energy_MeV

    @property
    def sampling_fraction(self) -> float:
        """Ionisation (minimum-ionising-like) sampling fraction: active loss / total loss per layer.

        Electromagnetic showers see less (e/mip < 1); the measured value is printed by
        `validation_summary`.
        """
        active = self.active_thickness_mm * self.active.dedx_MeV_per_mm
        return active / (active + self.absorber_thickness_mm * self.absorber.dedx_MeV_per_mm)

    @property
    def mip_MeV(self) -> float:
        """Mean ionisation of a perpendicular track in one active layer."""
        return self.active_thickness_mm * self.active.dedx_MeV_per_mm

    def active_depth_X0(self) -> np.ndarray:
        """Depth (X0 from the front face) of the centre of each active layer."""
        k = np.arange(self.n_layers)
        return k * self.layer_X0 + self.absorber_thickness_mm / self.absorber.X0_mm + 0.5 * (
            self.active_thickness_mm / self.active.X0_mm)

    def cell_centres_mm(self) -> np.ndarray:
        """Transverse coordinate of the cell centres (same for x and y), beam at 0."""
        return (np.arange(self.n_cells) - self.n_cells // 2) * self.cell_size_mm

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(layer_X0=self.layer_X0, depth_X0=self.depth_X0, X0_mm=self.X0_mm,
                   critical_energy_MeV=self.critical_energy_MeV, moliere_radius_mm=self.moliere_radius_mm,
                   sampling_fraction=self.sampling_fraction)
        return out



GEOMETRY = CalorimeterGeometry()
