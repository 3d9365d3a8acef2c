"""A particle-level electromagnetic shower simulation in a tungsten-silicon sampling calorimeter.

This is the course's "detailed simulation": the baseline that the regression lecture
calibrates and that the generative lecture's GAN is compared against (in quality and in
speed). It is a simplified, vectorised EGS/Geant-style cascade, not a parametrisation: every
electron, positron and photon of many showers at once is followed through the layered material
with numpy, one step of all live particles per iteration.

Geometry (``GEOMETRY``)
    22 layers of 3.5 mm tungsten (absorber) followed by 0.5 mm silicon (active), 11 x 11
    square cells of 6 mm per layer; the beam enters at the front face, along z, at the centre
    of the central cell. Absorber and readout have the same transverse size (66 mm); what
    leaves at the sides, the back or the front is lost (leakage).

Materials (PDG "Atomic and nuclear properties of materials", pdg.lbl.gov/AtomicNuclearProperties)
    tungsten: X0 = 3.504 mm, critical energy (e-, Rossi definition) Ec = 7.97 MeV,
    Moliere radius 9.327 mm; silicon: X0 = 93.70 mm, Ec = 40.19 MeV, R_M = 49.44 mm.
    Stack averages (PDG review "Passage of particles through matter", sec. on EM cascades,
    rules for mixtures, thickness weighted): 1/X0 = sum_i (t_i/T)/X0_i;
    Ec = (sum_i t_i Ec_i/X0_i) / (sum_i t_i/X0_i); R_M = 21.2 MeV X0 / Ec.

Physics of the transport (units: MeV, mm)
    * Bremsstrahlung: complete-screening Bethe-Heitler spectrum (PDG eq. for dsigma/dk with
      y = k/E): dN/dy per X0 = (4/3 - 4/3 y + y^2)/y. Photons above ``k_cut`` are emitted
      (y sampled from 1/y with rejection), the energy of softer ones is a continuous loss
      E (4/3 yc - 2/3 yc^2 + yc^3/3) per X0 deposited like ionisation. Emission angle m_e/E.
    * Pair production: 7/9 per X0 at high energy (complete screening); below the screening
      regime the Bethe-Heitler no-screening energy dependence
      (ln(2k/m) - 109/42) / (ln(183 Z^-1/3) - 1/42), clipped to [0, 1] (so pair production is
      neglected below ~3.4 MeV, where Compton scattering dominates by far). Energy sharing
      x = E+/k from 1 - 4/3 x (1 - x) (complete screening), opening angle m_e/E.
    * Compton scattering: Klein-Nishina total cross section per electron and differential
      sampling (the Butcher-Messel mixed method used by Geant4's G4KleinNishinaCompton);
      the recoil electron gets the transferred momentum.
    * Photoelectric absorption (local deposit): anchored at the NIST (Hubbell-Seltzer) total
      attenuation of tungsten at 0.5 MeV, mu/rho = 0.1378 cm^2/g, minus its Klein-Nishina part,
      scaled as E^-2 and Z^4.5/A (an approximation between the E^-3.5 of low energies and the
      1/E of high energies; coherent scattering is lumped in). Photons below ``gamma_cut`` are
      absorbed at their next interaction of any kind (the end of their Compton chain).
    * Ionisation: dE/dx = Ec/X0 of the material traversed (the Rossi definition of the
      critical energy), continuous, without Landau straggling.
    * Multiple scattering: Highland formula, theta0 = 13.6 MeV/(beta c p) sqrt(x/X0)
      (1 + 0.038 ln(x/(X0 beta^2))) per step, Gaussian in two projections.
    * Electrons and positrons below ``e_cut`` (kinetic) finish along a straight line of their
      residual range; stopped positrons annihilate into two back-to-back 0.511 MeV photons.
    * Steps: photons fly to their next interaction (exponential, Woodcock tracking in the
      tungsten/silicon stack); charged particles step by at most ``max_step_X0`` and
      ``max_loss_fraction`` of their energy, or to their next hard bremsstrahlung.
    * Energy bookkeeping: in a 60-layer, 41 x 41-cell block 99.7 % of the incident energy is
      deposited (the rest is backscattered); tested in tests/test_showers_physics.py.

Not modelled: Landau fluctuations of the silicon signal, the Landau-Pomeranchuk-Migdal and
dielectric suppression of bremsstrahlung, Moller/Bhabha delta rays (part of the continuous
loss), fluorescence, electronics cross-talk, and anything hadronic. Dependence on the cuts and
step limits (measured on 200 showers of 10 GeV, 2026-12-01): halving all five of them (1.8 times
the CPU time) lowers the visible fraction by 7 % (0.0206 -> 0.0191, a calibration constant),
changes sigma/E from 0.053 to 0.056 (+-0.003), the shower maximum by +0.08 X0 and the
containment within one Moliere radius by +0.004 (0.892 -> 0.895).

Signal
    The energy deposited in the silicon (ionisation of the tracks crossing it, and absorbed
    soft photons) is the signal: the sampling fluctuations come from the finite number,
    energies and angles of the track segments in the silicon. Each cell then gets Gaussian
    electronic noise (``noise_MeV``) and cells below ``threshold_MeV`` (0.5 MIP) are set to
    zero. ``simulate`` returns that visible energy in GeV, about 2 % of the incident energy;
    a calibration (the regression lecture) turns it into an energy estimate.

References: PDG review "Passage of particles through matter" (Particle Data Group, Phys. Rev.
D 110, 030001 (2024)); B. Rossi, High-Energy Particles (1952); E. Longo and I. Sestili, Nucl.
Instrum. Meth. 128 (1975) 283 (Gamma-function longitudinal profile); G. Grindhammer and
S. Peters, "The parameterized simulation of electromagnetic showers in homogeneous and sampling
calorimeters", arXiv:hep-ex/0001020 (GFlash).

Run ``python -m hepcourse.physics.calorimeter`` for the validation summary (shower maximum,
containment, linearity, resolution) of the current code.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

ELECTRON_MASS_MEV = 0.51099895
HIGHLAND_MEV = 13.6
MOLIERE_SCALE_MEV = 21.2  # E_s = m_e sqrt(4 pi / alpha)
CLASSICAL_ELECTRON_RADIUS_MM = 2.8179403262e-12
AVOGADRO = 6.02214076e23
PARTICLES = ("e-", "gamma")


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


@dataclass(frozen=True)
class TransportSettings:
    """Cuts and step limits of the cascade (MeV, fractions of X0)."""

    e_cut_MeV: float = 1.0  # kinetic energy below which e+/e- finish along their residual range
    gamma_cut_MeV: float = 0.5  # photons below are absorbed at their next interaction
    k_cut_MeV: float = 1.0  # bremsstrahlung photons below are a continuous loss
    max_step_X0: float = 0.4  # absorber X0 per charged step at most
    max_loss_fraction: float = 0.25  # energy loss per charged step at most
    max_live: int = 400_000  # particles transported together at most (memory bound)

    def to_dict(self) -> dict:
        return asdict(self)


GEOMETRY = CalorimeterGeometry()
TRANSPORT = TransportSettings()


# ----------------------------------------------------------------------------- cross sections
def brems_number_per_X0(yc: np.ndarray) -> np.ndarray:
    """Photons with y = k/E > yc emitted per X0 (complete-screening spectrum)."""
    return (4.0 / 3.0) * np.log(1.0 / yc) - (4.0 / 3.0) * (1.0 - yc) + 0.5 * (1.0 - yc * yc)


def soft_brems_loss_per_X0(yc: np.ndarray) -> np.ndarray:
    """Fraction of E radiated per X0 in photons with y < yc."""
    return (4.0 / 3.0) * yc - (2.0 / 3.0) * yc * yc + yc ** 3 / 3.0


def klein_nishina_sigma_mm2(energy_MeV: np.ndarray) -> np.ndarray:
    """Klein-Nishina total Compton cross section per electron (mm^2)."""
    k = energy_MeV / ELECTRON_MASS_MEV
    re2 = CLASSICAL_ELECTRON_RADIUS_MM ** 2
    a = 1.0 + 2.0 * k
    log_a = np.log(a)
    term1 = (1.0 + k) / k ** 2 * (2.0 * (1.0 + k) / a - log_a / k)
    term2 = log_a / (2.0 * k) - (1.0 + 3.0 * k) / a ** 2
    return 2.0 * np.pi * re2 * (term1 + term2)


def pair_fraction(energy_MeV: np.ndarray, material: Material) -> np.ndarray:
    """Pair cross section relative to its complete-screening value 7/(9 X0)."""
    low = (np.log(2.0 * energy_MeV / ELECTRON_MASS_MEV) - 109.0 / 42.0) / material.pair_screening_log
    return np.clip(low, 0.0, 1.0)


# Photoelectric absorption (+ coherent scattering, lumped in): anchored at the NIST (Hubbell-Seltzer,
# XCOM) total attenuation of tungsten at 0.5 MeV minus its Klein-Nishina part, scaled as E^-2
# (between the E^-3.5 of low energies and the 1/E of high energies) and as Z^4.5/A for other materials.
PHOTO_REF_MEV = 0.5
TUNGSTEN_TOTAL_MU_RHO_REF = 0.1378  # cm^2/g at 0.5 MeV, NIST X-ray mass attenuation table, Z = 74
PHOTO_ENERGY_EXPONENT = 2.0


def _photo_mu_rho_tungsten_ref() -> float:
    compton_per_mm = TUNGSTEN.electrons_per_mm3 * float(klein_nishina_sigma_mm2(np.array(PHOTO_REF_MEV)))
    return TUNGSTEN_TOTAL_MU_RHO_REF - compton_per_mm * 10.0 / TUNGSTEN.density_g_cm3  # -> cm^2/g


def photon_mu_per_mm(energy_MeV: np.ndarray, material: Material) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Compton, pair, photoelectric) attenuation coefficients (1/mm) of photons in ``material``."""
    compton = material.electrons_per_mm3 * klein_nishina_sigma_mm2(energy_MeV)
    pair = (7.0 / 9.0) / material.X0_mm * pair_fraction(energy_MeV, material)
    scale = (material.Z / TUNGSTEN.Z) ** 4.5 * (TUNGSTEN.A / material.A) * material.density_g_cm3 / 10.0
    photo = _PHOTO_REF * scale * (PHOTO_REF_MEV / energy_MeV) ** PHOTO_ENERGY_EXPONENT
    return compton, pair, photo


_PHOTO_REF = _photo_mu_rho_tungsten_ref()


# ----------------------------------------------------------------------------- sampling helpers
def _rotate(ux, uy, uz, cos_t, phi):
    """Rotate unit vectors u by polar angle arccos(cos_t) and azimuth phi around themselves."""
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t * cos_t))
    return _rotate_cs(ux, uy, uz, cos_t, sin_t, np.cos(phi), np.sin(phi))


def _rotate_cs(ux, uy, uz, cos_t, sin_t, cos_p, sin_p):
    """As `_rotate`, from cos/sin of the polar and azimuthal angles (Geant4's rotateUz)."""
    sx, sy = sin_t * cos_p, sin_t * sin_p
    perp = np.sqrt(ux * ux + uy * uy)
    along_z = perp < 1e-9
    if along_z.any():
        perp = np.where(along_z, 1.0, perp)
    inv = 1.0 / perp
    nx = (ux * uz * sx - uy * sy) * inv + ux * cos_t
    ny = (uy * uz * sx + ux * sy) * inv + uy * cos_t
    nz = uz * cos_t - perp * sx
    if along_z.any():
        sign = np.where(uz[along_z] >= 0, 1.0, -1.0)
        nx[along_z] = sign * sx[along_z]
        ny[along_z] = sy[along_z]
        nz[along_z] = sign * cos_t[along_z]
    norm = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz)
    return nx * norm, ny * norm, nz * norm


def _sample_brems_y(yc: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """y in [yc, 1] from (4/3 - 4/3 y + y^2)/y: 1/y proposal, rejection with 1 - y + 3/4 y^2."""
    y = np.empty_like(yc)
    todo = np.arange(yc.size)
    while todo.size:
        c = yc[todo]
        cand = c ** (1.0 - rng.random(todo.size))
        ok = rng.random(todo.size) < 1.0 - cand + 0.75 * cand * cand
        y[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return y


def _sample_pair_x(k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Energy fraction of the positron, from 1 - 4/3 x (1 - x) on [m/k, 1 - m/k]."""
    lo = ELECTRON_MASS_MEV / k
    x = np.empty_like(k)
    todo = np.arange(k.size)
    while todo.size:
        a = lo[todo]
        cand = a + (1.0 - 2.0 * a) * rng.random(todo.size)
        ok = rng.random(todo.size) < 1.0 - (4.0 / 3.0) * cand * (1.0 - cand)
        x[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return x


def _sample_compton_eps(energy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scattered/incident photon energy ratio from Klein-Nishina (Butcher-Messel method)."""
    kappa = energy / ELECTRON_MASS_MEV
    eps0 = 1.0 / (1.0 + 2.0 * kappa)
    a1 = -np.log(eps0)
    a2 = 0.5 * (1.0 - eps0 * eps0)
    out = np.empty_like(energy)
    todo = np.arange(energy.size)
    while todo.size:
        e0, b1, b2, kap = eps0[todo], a1[todo], a2[todo], kappa[todo]
        r1, r2, r3 = rng.random((3, todo.size))
        first = r1 < b1 / (b1 + b2)
        eps = np.where(first, np.exp(-b1 * r2), np.sqrt(e0 * e0 + (1.0 - e0 * e0) * r2))
        one_cos = (1.0 - eps) / (eps * kap)
        sin2 = one_cos * (2.0 - one_cos)
        ok = r3 < 1.0 - eps * sin2 / (1.0 + eps * eps)
        out[todo[ok]] = eps[ok]
        todo = todo[~ok]
    return out


# ----------------------------------------------------------------------------- the stack
class _Stack:
    """Structure of arrays of particles, photons and charged particles kept apart.

    kind: 0 photon, -1 electron, +1 positron. Every push holds one family only (photons, or
    electrons and positrons), so the stack never has to split a mixed batch.
    """

    FIELDS = ("e", "x", "y", "z", "ux", "uy", "uz", "kind", "shower")

    def __init__(self):
        self.photons: list[dict] = []
        self.charged: list[dict] = []

    def push(self, **arrays):
        if arrays["e"].size:
            (self.photons if arrays["kind"][0] == 0 else self.charged).append(arrays)

    @classmethod
    def _cat(cls, parts):
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([p[k] for p in parts]) for k in cls.FIELDS}

    def collect(self) -> tuple[dict | None, dict | None]:
        out = self._cat(self.photons), self._cat(self.charged)
        self.photons, self.charged = [], []
        return out


class _Deposits:
    """Collects visible (active) and total energy deposits; summed per cell once at the end."""

    def __init__(self, n_showers: int, geometry: CalorimeterGeometry, radial_edges_mm=None):
        self.g = geometry
        self.n_showers = n_showers
        self.cells, self.cell_energy = [], []
        self.showers, self.energy = [], []
        self.radial_edges = None if radial_edges_mm is None else np.asarray(radial_edges_mm, dtype=float)
        self.radial_index, self.radial_energy = [], []

    def add_total(self, shower, energy):
        self.showers.append(shower)
        self.energy.append(energy)

    def add_visible(self, shower, layer, x, y, energy):
        g = self.g
        ix = np.floor(x / g.cell_size_mm + 0.5 * g.n_cells).astype(np.int64)
        iy = np.floor(y / g.cell_size_mm + 0.5 * g.n_cells).astype(np.int64)
        ok = ((ix >= 0) & (ix < g.n_cells) & (iy >= 0) & (iy < g.n_cells) & (layer >= 0)
              & (layer < g.n_layers) & (energy > 0))
        self.cells.append(((shower[ok] * g.n_layers + layer[ok]) * g.n_cells + iy[ok]) * g.n_cells + ix[ok])
        self.cell_energy.append(energy[ok])
        if self.radial_edges is not None:  # validation only: the visible energy at its exact radius
            nb = self.radial_edges.size - 1
            k = np.searchsorted(self.radial_edges, np.hypot(x[ok], y[ok]), side="right") - 1
            keep = (k >= 0) & (k < nb)
            self.radial_index.append(shower[ok][keep] * nb + k[keep])
            self.radial_energy.append(energy[ok][keep])

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        g, n = self.g, self.n_showers
        size = n * g.n_layers * g.n_cells ** 2
        cat = lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype)  # noqa: E731
        visible = np.bincount(cat(self.cells, np.int64), weights=cat(self.cell_energy, float), minlength=size)
        total = np.bincount(cat(self.showers, np.int64), weights=cat(self.energy, float), minlength=n)
        radial = None
        if self.radial_edges is not None:
            nb = self.radial_edges.size - 1
            radial = np.bincount(cat(self.radial_index, np.int64), weights=cat(self.radial_energy, float),
                                 minlength=n * nb).reshape(n, nb)
        return visible.reshape(n, g.n_layers, g.n_cells, g.n_cells), total, radial


def _active_depth_before(z: np.ndarray, g: CalorimeterGeometry) -> np.ndarray:
    """Thickness of active material between the front face and depth z (mm)."""
    t = g.layer_thickness_mm
    k = np.floor(z / t)
    inside = np.clip(z - k * t - g.absorber_thickness_mm, 0.0, g.active_thickness_mm)
    return k * g.active_thickness_mm + inside


def _in_active(z: np.ndarray, g: CalorimeterGeometry) -> np.ndarray:
    return np.mod(z, g.layer_thickness_mm) >= g.absorber_thickness_mm


def _active_path(z0, z1, length, g):
    """Path length in active material of a straight segment from depth z0 to z1 of ``length``."""
    dz = z1 - z0
    straight = np.abs(dz) > 1e-9
    frac = np.where(straight, (_active_depth_before(z1, g) - _active_depth_before(z0, g)) / np.where(straight, dz, 1.0),
                    _in_active(z0, g).astype(float))
    return np.clip(frac, 0.0, 1.0) * length


def _layer_of_active(z0, z1, g):
    """Layer whose active slab a segment (shorter than one absorber) overlaps."""
    zb = np.maximum(z0, z1)
    return np.floor((zb - g.absorber_thickness_mm) / g.layer_thickness_mm).astype(np.int64)


def _inside(x, y, z, g):
    h = g.half_width_mm
    return (z >= 0.0) & (z < g.depth_mm) & (np.abs(x) < h) & (np.abs(y) < h)


def _transport(energies_MeV: np.ndarray, kinds: np.ndarray, rng: np.random.Generator,
               g: CalorimeterGeometry, s: TransportSettings, radial_edges_mm=None):
    """Run the cascades of all primaries; return (visible cell energies MeV, total deposit MeV, radial)."""
    n = energies_MeV.size
    dep = _Deposits(n, g, radial_edges_mm)
    stack = _Stack()
    m = ELECTRON_MASS_MEV
    primary_e = np.where(kinds == 0, energies_MeV, energies_MeV - m)
    zeros = np.zeros(n)
    stack.push(e=primary_e.astype(float), x=zeros.copy(), y=zeros.copy(), z=np.full(n, 1e-9),
               ux=zeros.copy(), uy=zeros.copy(), uz=np.ones(n), kind=kinds.astype(np.int8),
               shower=np.arange(n, dtype=np.int64))
    W, A = g.absorber, g.active
    photons, charged = stack.collect()
    pending: list[tuple[bool, dict]] = []
    while photons is not None or charged is not None:
        batches = []
        for is_photon, batch in ((True, photons), (False, charged)):
            if batch is not None and batch["e"].size > s.max_live:  # bounded memory: the rest waits
                pending.append((is_photon, {k: v[s.max_live:] for k, v in batch.items()}))
                batch = {k: v[: s.max_live] for k, v in batch.items()}
            batches.append(batch)
        if batches[0] is not None:
            _photon_step(batches[0], rng, g, s, stack, dep, W, A)
        if batches[1] is not None:
            _charged_step(batches[1], rng, g, s, stack, dep, W, A)
        photons, charged = stack.collect()
        if photons is None and charged is None and pending:
            is_photon, batch = pending.pop()
            photons, charged = (batch, None) if is_photon else (None, batch)
    return dep.result()


def _photon_step(p, rng, g, s, stack, dep, W, A):
    if p["e"].size == 0:
        return
    e = p["e"]
    cw, pw, fw = photon_mu_per_mm(e, W)
    mu_w = cw + pw + fw
    dist = rng.standard_exponential(e.size) / mu_w
    x = p["x"] + dist * p["ux"]
    y = p["y"] + dist * p["uy"]
    z = p["z"] + dist * p["uz"]
    inside = _inside(x, y, z, g)
    in_act = _in_active(z, g)
    ca, pa, fa = photon_mu_per_mm(e, A)
    accept_prob = np.where(in_act, (ca + pa + fa) / mu_w, 1.0)
    interacts = inside & (rng.random(e.size) < accept_prob)
    flying = inside & ~interacts
    stack.push(e=e[flying], x=x[flying], y=y[flying], z=z[flying], ux=p["ux"][flying], uy=p["uy"][flying],
               uz=p["uz"][flying], kind=p["kind"][flying], shower=p["shower"][flying])
    if not interacts.any():
        return
    idx = np.flatnonzero(interacts)
    e, x, y, z = e[idx], x[idx], y[idx], z[idx]
    ux, uy, uz, sh = p["ux"][idx], p["uy"][idx], p["uz"][idx], p["shower"][idx]
    act = in_act[idx]
    c_here = np.where(act, ca[idx], cw[idx])
    p_here = np.where(act, pa[idx], pw[idx])
    f_here = np.where(act, fa[idx], fw[idx])
    u = rng.random(e.size) * (c_here + p_here + f_here)
    # photoelectric absorption, and any interaction of a photon below the cut: local deposit
    absorbed = (e < s.gamma_cut_MeV) | (u < f_here)
    dep.add_total(sh[absorbed], e[absorbed])
    vis = absorbed & act
    layer = np.floor(z / g.layer_thickness_mm).astype(np.int64)
    dep.add_visible(sh[vis], layer[vis], x[vis], y[vis], e[vis])
    is_pair = ~absorbed & (u < f_here + p_here)
    is_compton = ~absorbed & ~is_pair
    # pair production
    if is_pair.any():
        k = e[is_pair]
        frac = _sample_pair_x(k, rng)
        phi = rng.uniform(0, 2 * np.pi, k.size)
        for sign, f, dphi in ((1, frac, 0.0), (-1, 1.0 - frac, np.pi)):
            total = f * k
            cos_t = np.cos(np.minimum(_emission_angle(total), np.pi))
            nx, ny, nz = _rotate(ux[is_pair], uy[is_pair], uz[is_pair], cos_t, phi + dphi)
            stack.push(e=total - ELECTRON_MASS_MEV, x=x[is_pair], y=y[is_pair], z=z[is_pair], ux=nx, uy=ny, uz=nz,
                       kind=np.full(k.size, sign, dtype=np.int8), shower=sh[is_pair])
    # Compton scattering
    if is_compton.any():
        k = e[is_compton]
        eps = _sample_compton_eps(k, rng)
        cos_t = 1.0 - (1.0 - eps) / (eps * k / ELECTRON_MASS_MEV)
        phi = rng.uniform(0, 2 * np.pi, k.size)
        ox, oy, oz = ux[is_compton], uy[is_compton], uz[is_compton]
        nx, ny, nz = _rotate(ox, oy, oz, cos_t, phi)
        k_out = eps * k
        px, py, pz = k * ox - k_out * nx, k * oy - k_out * ny, k * oz - k_out * nz
        pn = np.sqrt(px * px + py * py + pz * pz)
        pn = np.where(pn > 0, pn, 1.0)
        cx, cy, cz, csh = x[is_compton], y[is_compton], z[is_compton], sh[is_compton]
        stack.push(e=k_out, x=cx, y=cy, z=cz, ux=nx, uy=ny, uz=nz, kind=np.zeros(k.size, dtype=np.int8), shower=csh)
        stack.push(e=k - k_out, x=cx, y=cy, z=cz, ux=px / pn, uy=py / pn, uz=pz / pn,
                   kind=np.full(k.size, -1, dtype=np.int8), shower=csh)


def _emission_angle(energy):
    """Typical emission angle m_e/E (rad) of bremsstrahlung photons and pair leptons."""
    return ELECTRON_MASS_MEV / np.maximum(energy, ELECTRON_MASS_MEV)


def _finish_charged(t, x, y, z, ux, uy, uz, kind, sh, rng, g, stack, dep, W, A):
    """Charged particles below the cut: straight residual range, then positron annihilation."""
    if t.size == 0:
        return
    rng_len = t / W.dedx_MeV_per_mm
    z1 = z + rng_len * uz
    l_act = _active_path(z, z1, rng_len, g)
    l_abs = rng_len - l_act
    loss_a, loss_w = A.dedx_MeV_per_mm * l_act, W.dedx_MeV_per_mm * l_abs
    vis = t * loss_a / np.maximum(loss_a + loss_w, 1e-30)
    dep.add_total(sh, t)
    dep.add_visible(sh, _layer_of_active(z, z1, g), x + 0.5 * rng_len * ux, y + 0.5 * rng_len * uy, vis)
    pos = kind == 1
    if pos.any():
        ex, ey, ez = x[pos] + rng_len[pos] * ux[pos], y[pos] + rng_len[pos] * uy[pos], z1[pos]
        keep = _inside(ex, ey, ez, g)
        ex, ey, ez, esh = ex[keep], ey[keep], ez[keep], sh[pos][keep]
        nk = ex.size
        cos_t = rng.uniform(-1, 1, nk)
        phi = rng.uniform(0, 2 * np.pi, nk)
        sin_t = np.sqrt(1 - cos_t ** 2)
        dx, dy, dz = sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t
        for sign in (1.0, -1.0):
            stack.push(e=np.full(nk, ELECTRON_MASS_MEV), x=ex, y=ey, z=ez, ux=sign * dx, uy=sign * dy, uz=sign * dz,
                       kind=np.zeros(nk, dtype=np.int8), shower=esh)


def _charged_step(p, rng, g, s, stack, dep, W, A):
    if p["e"].size == 0:
        return
    t, x, y, z = p["e"], p["x"], p["y"], p["z"]
    ux, uy, uz, kind, sh = p["ux"], p["uy"], p["uz"], p["kind"], p["shower"]
    low = t < s.e_cut_MeV
    if low.any():
        _finish_charged(t[low], x[low], y[low], z[low], ux[low], uy[low], uz[low], kind[low], sh[low],
                        rng, g, stack, dep, W, A)
        hi = ~low
        t, x, y, z, ux, uy, uz, kind, sh = (a[hi] for a in (t, x, y, z, ux, uy, uz, kind, sh))
    if t.size == 0:
        return
    m = ELECTRON_MASS_MEV
    etot = t + m
    yc = np.minimum(s.k_cut_MeV / etot, 1.0)
    n_brem_w = np.where(yc < 1.0, brems_number_per_X0(yc), 0.0) / W.X0_mm  # per mm of absorber
    soft = soft_brems_loss_per_X0(yc) * etot
    soft_w = soft / W.X0_mm  # MeV per mm of absorber
    with np.errstate(divide="ignore"):
        d_brem = rng.standard_exponential(t.size) / n_brem_w  # inf where no photon above k_cut
    d_max = np.minimum(s.max_step_X0 * W.X0_mm, s.max_loss_fraction * t / (W.dedx_MeV_per_mm + soft_w))
    step = np.minimum(d_brem, d_max)
    brem_limited = d_brem <= d_max
    z1 = z + step * uz
    l_act = _active_path(z, z1, step, g)
    l_abs = step - l_act
    x_X0 = l_abs / W.X0_mm + l_act / A.X0_mm
    # energy loss: ionisation + soft bremsstrahlung (deposited like ionisation)
    soft_a = soft / A.X0_mm
    loss_a = (A.dedx_MeV_per_mm + soft_a) * l_act
    loss_w = (W.dedx_MeV_per_mm + soft_w) * l_abs
    loss = loss_a + loss_w
    scale = np.minimum(1.0, t / np.maximum(loss, 1e-30))
    loss_a, loss = loss_a * scale, loss * scale
    mx, my = x + 0.5 * step * ux, y + 0.5 * step * uy
    dep.add_total(sh, loss)
    dep.add_visible(sh, _layer_of_active(z, z1, g), mx, my, loss_a)
    x1, y1 = x + step * ux, y + step * uy
    t1 = t - loss
    # multiple scattering (Highland) with the mean momentum of the step
    tm = t - 0.5 * loss
    pmom = np.sqrt(tm * (tm + 2 * m))
    beta = pmom / (tm + m)
    xs = np.maximum(x_X0, 1e-6)
    theta0 = HIGHLAND_MEV / (beta * pmom) * np.sqrt(xs) * np.maximum(1.0 + 0.038 * np.log(xs / beta ** 2), 0.0)
    tx, ty = rng.normal(size=(2, t.size)) * theta0
    theta = np.hypot(tx, ty)
    safe = np.where(theta > 0, theta, 1.0)
    theta = np.minimum(theta, np.pi)
    nx, ny, nz = _rotate_cs(ux, uy, uz, np.cos(theta), np.sin(theta), tx / safe, ty / safe)
    inside = _inside(x1, y1, z1, g)
    alive = inside & (t1 > 0)
    # hard bremsstrahlung at the end of a brems-limited step (Woodcock: accept by the X0 actually traversed)
    accept = brem_limited & alive & (rng.random(t.size) * (step / W.X0_mm) < x_X0)
    stopped = inside & (t1 <= 0) & (kind == 1)
    if stopped.any():  # positrons that ran out of energy inside: annihilate at rest
        _finish_charged(np.zeros(int(stopped.sum())), x1[stopped], y1[stopped], z1[stopped], nx[stopped],
                        ny[stopped], nz[stopped], kind[stopped], sh[stopped], rng, g, stack, dep, W, A)
    if accept.any():
        e_now = t1[accept] + m
        yb = _sample_brems_y(np.minimum(s.k_cut_MeV / e_now, 1.0), rng)
        k = yb * e_now
        k = np.minimum(k, t1[accept])
        ang = _emission_angle(e_now)
        phi = rng.uniform(0, 2 * np.pi, k.size)
        gx, gy, gz = _rotate(nx[accept], ny[accept], nz[accept], np.cos(ang), phi)
        stack.push(e=k, x=x1[accept], y=y1[accept], z=z1[accept], ux=gx, uy=gy, uz=gz,
                   kind=np.zeros(k.size, dtype=np.int8), shower=sh[accept])
        t1 = t1.copy()
        t1[accept] -= k
    stack.push(e=t1[alive], x=x1[alive], y=y1[alive], z=z1[alive], ux=nx[alive], uy=ny[alive], uz=nz[alive],
               kind=kind[alive], shower=sh[alive])


# ----------------------------------------------------------------------------- public API
def _check_energies(energies) -> np.ndarray:
    e = np.asarray(energies, dtype=float)
    if e.ndim == 0:
        e = e[None]
    if e.ndim != 1:
        raise ValueError(f"energies must be a 1-d array of incident energies in GeV, got shape {e.shape}")
    if not np.all(np.isfinite(e)):
        raise ValueError("energies contain NaN or inf")
    if np.any(e <= 2 * ELECTRON_MASS_MEV / 1000.0):
        raise ValueError(f"energies must be > 1.022 MeV (given in GeV); smallest is {e.min()!r}")
    return e


def _kind_of(particle: str) -> int:
    if particle == "e-":
        return -1
    if particle == "gamma":
        return 0
    raise ValueError(f"unknown particle {particle!r}; choose one of {PARTICLES}")


def simulate_deposits(energies, *, particle: str = "e-", seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY,
                      transport: TransportSettings = TRANSPORT, chunk_GeV: float = 2000.0, radial_edges_mm=None):
    """Noise-free cascade: (visible cell energies MeV, total deposited energy MeV) per shower.

    With ``radial_edges_mm`` a third array (n, n_bins) holds the visible energy binned in the
    exact transverse distance of each deposit from the beam axis (for validating the lateral
    profile below the cell size). Showers are transported in chunks of at most ``chunk_GeV``
    incident energy (memory bound); the chunking depends only on ``energies``, so results are
    deterministic for a seed.
    """
    e = _check_energies(energies)
    kind = _kind_of(particle)
    rng = np.random.default_rng(seed)
    g = geometry
    if transport.max_step_X0 * g.absorber.X0_mm >= g.absorber_thickness_mm:
        raise ValueError(f"max_step_X0 = {transport.max_step_X0} absorber X0 is not shorter than one absorber layer "
                         f"({g.absorber_thickness_mm} mm): a charged step could cross two active layers")
    visible = np.zeros((e.size, g.n_layers, g.n_cells, g.n_cells))
    total = np.zeros(e.size)
    radial = None if radial_edges_mm is None else np.zeros((e.size, len(radial_edges_mm) - 1))
    start = 0
    while start < e.size:
        stop = start + max(1, int(np.searchsorted(np.cumsum(e[start:]), chunk_GeV, side="right")))
        v, t, r = _transport(e[start:stop] * 1000.0, np.full(stop - start, kind, dtype=np.int8), rng, g, transport,
                             radial_edges_mm)
        visible[start:stop], total[start:stop] = v, t
        if radial is not None:
            radial[start:stop] = r
        start = stop
    if radial is not None:
        return visible, total, radial
    return visible, total


def digitise(visible_MeV: np.ndarray, rng: np.random.Generator, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Add Gaussian electronic noise per cell, zero-suppress, convert to GeV float32."""
    noisy = visible_MeV + rng.normal(0.0, geometry.noise_MeV, size=visible_MeV.shape)
    noisy[noisy < geometry.threshold_MeV] = 0.0
    return (noisy / 1000.0).astype(np.float32)


def simulate(energies, *, particle: str = "e-", seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY,
             transport: TransportSettings = TRANSPORT) -> np.ndarray:
    """Simulate showers of incident ``energies`` (GeV): float32 (n, n_layers, n_cells, n_cells) [layer, y, x].

    The values are the energies seen by the active (silicon) layers in GeV, with sampling
    fluctuations, electronic noise and zero suppression. ``particle`` is "e-" or "gamma".
    The same seed gives the same bytes.
    """
    visible, _ = simulate_deposits(energies, particle=particle, seed=seed, geometry=geometry, transport=transport)
    noise_rng = np.random.default_rng([seed, 0x5EED])
    return digitise(visible, noise_rng, geometry)


# ----------------------------------------------------------------------------- validation
def timing(energies_GeV=(1.0, 10.0, 50.0, 100.0), n_showers: int | None = None, seed: int = 0,
           geometry: CalorimeterGeometry = GEOMETRY) -> dict[float, float]:
    """CPU milliseconds per shower of `simulate` at each energy (one process, batches of showers)."""
    import time

    out = {}
    for e in energies_GeV:
        n = n_showers or max(4, int(400 / e))
        start = time.process_time()
        simulate(np.full(n, float(e)), seed=seed, geometry=geometry)
        out[float(e)] = 1000.0 * (time.process_time() - start) / n
    return out


def validation_summary(*, n_per_energy: int = 300, seed: int = 0, geometry: CalorimeterGeometry = GEOMETRY,
                       verbose: bool = True) -> dict:
    """Measure textbook shower properties of this simulation and print them against expectations.

    * shower maximum (Gamma fit of the mean profile) of e- and gamma at 2, 10 and 50 GeV vs
      t_max = ln(E/Ec) - 0.5 (e-) / + 0.5 (gamma) (PDG, Rossi approximation B);
    * fraction of the visible energy within one Moliere radius of the axis (exact deposit
      radius, and from cells), 10 GeV electrons (expected ~ 90 %);
    * response (visible / incident energy) at 1-100 GeV, relative to 10 GeV, with the
      fraction of the energy deposited anywhere in the calorimeter (the rest leaks out);
    * relative resolution of the visible sum (noise included) and the fitted a/sqrt(E) (+) b (+) c/E;
    * CPU time per shower.
    """
    from . import shower_shapes

    g = geometry
    out: dict = {"shower_max": [], "response": [], "geometry": g.to_dict()}
    lines = [f"Calorimeter: {g.n_layers} layers x {g.n_cells}x{g.n_cells} cells of {g.cell_size_mm} mm, "
             f"{g.depth_X0:.1f} X0; X0 = {g.X0_mm:.3f} mm, Ec = {g.critical_energy_MeV:.2f} MeV, "
             f"R_M = {g.moliere_radius_mm:.2f} mm, MIP sampling fraction {g.sampling_fraction:.4f}",
             "shower maximum (X0):  particle  E/GeV  measured  expected ln(E/Ec)+C  difference"]
    for k, (particle, c_j) in enumerate((("e-", -0.5), ("gamma", 0.5))):
        for j, e in enumerate((2.0, 10.0, 50.0)):
            n = max(20, int(n_per_energy * 4 / e)) if e < 10 else max(20, int(n_per_energy * 10 / (3 * e)))
            vis, _ = simulate_deposits(np.full(n, e), particle=particle, seed=seed + 100 * k + j, geometry=g)
            t_max = shower_shapes.shower_max_X0(vis, g)
            expected = math.log(e * 1000.0 / g.critical_energy_MeV) + c_j
            out["shower_max"].append({"particle": particle, "E": e, "t_max": t_max, "expected": expected})
            lines.append(f"  {particle:8s} {e:6.0f}  {t_max:8.2f}  {expected:8.2f}  {t_max - expected:+8.2f}")
    edges = np.arange(0.0, 2 * g.half_width_mm, 0.25)
    vis, _, radial = simulate_deposits(np.full(n_per_energy // 3, 10.0), seed=seed + 7, geometry=g,
                                       radial_edges_mm=edges)
    cum = np.cumsum(radial.sum(axis=0))
    exact = float(np.interp(g.moliere_radius_mm, edges[1:], cum / cum[-1]))
    cells = float(np.mean(shower_shapes.containment(vis, g.moliere_radius_mm, g)))
    out["containment_RM"] = {"exact": exact, "cells": cells}
    lines.append(f"visible energy within 1 R_M (10 GeV e-): {exact:.3f} (exact radius), {cells:.3f} (cells); "
                 "expected ~0.90")
    energies = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    res, res_err = [], []
    lines.append("response:  E/GeV  visible/E  rel. to 10 GeV  deposited/E  sigma/E")
    rows = []
    for j, e in enumerate(energies):
        n = n_per_energy if e <= 20 else max(60, n_per_energy // 3)
        vis, total = simulate_deposits(np.full(n, e), seed=seed + 1000 + j, geometry=g)
        digitised = digitise(vis, np.random.default_rng([seed, j, 0x5EED]), g).sum(axis=(1, 2, 3), dtype=np.float64)
        mean, std = digitised.mean(), digitised.std(ddof=1)
        rows.append((e, mean / e, float(total.mean() / (e * 1000.0)), std / mean))
        res.append(std / mean)
        res_err.append(std / mean / math.sqrt(2 * (n - 1)))
    ref = rows[energies.index(10.0)][1]
    for e, r, dep, s in rows:
        out["response"].append({"E": e, "visible_over_E": r, "relative": r / ref, "deposited_fraction": dep,
                                "sigma_over_E": s})
        lines.append(f"  {e:6.0f}  {r:.5f}  {r / ref:.4f}  {dep:.4f}  {s:.4f}")
    from ..metrics import fit_resolution

    fit = fit_resolution(energies, res, res_err).as_dict()
    out["resolution_fit"] = fit
    out["em_sampling_fraction"] = ref
    lines.append(f"resolution fit: a = {fit['a']:.4f} +- {fit['a_err']:.4f} sqrt(GeV), b = {fit['b']:.4f} +- "
                 f"{fit['b_err']:.4f}, c = {fit['c']:.4f} +- {fit['c_err']:.4f} GeV")
    lines.append(f"EM sampling fraction (visible/E at 10 GeV) {ref:.5f} = {ref / g.sampling_fraction:.3f} x MIP value")
    t = timing(geometry=g, seed=seed)
    out["ms_per_shower"] = t
    lines.append("CPU time per shower: " + ", ".join(f"{e:g} GeV {v:.1f} ms" for e, v in t.items()))
    if verbose:
        print("\n".join(lines))
    return out


if __name__ == "__main__":
    validation_summary()
