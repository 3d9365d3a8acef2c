"""Station signals in VEM: an electromagnetic and a muonic part, each with its lateral distribution.

A water-Cherenkov station measures the Cherenkov light of the particles that cross it in units
of a vertical-equivalent muon (VEM, the signal of one muon crossing the tank vertically). For a
shower of energy E (lg = log10(E/eV)), mass A, zenith theta and shower maximum Xmax, with
DX = X_ground / cos(theta) - Xmax the atmosphere between the maximum and the ground:

* Energy scale (signal at 1000 m proportional to E; the Auger energy calibration E ~ S38^1.03,
  arXiv:2008.06486, rounded to E ~ S38):

      S_em(1000) = S_em0 (E / 10 EeV) exp(-(DX - DX_ref) / Lambda_em)
      S_mu(1000) = S_mu0 (E / 10 EeV)^beta A^(1 - beta) exp(-(DX - DX_ref) / Lambda_mu) (1 + eps)

  with S_em0 = 28 VEM, S_mu0 = 20 VEM, DX_ref = 350 g/cm^2 (a proton at 38 degrees), so that a
  10 EeV shower at 38 degrees gives S(1000) ~ 50 VEM, the Auger calibration's value. The muon
  number follows the Heitler-Matthews superposition model, N_mu ~ A^(1-beta) E^beta with
  beta = 0.92 (Matthews, Astropart. Phys. 22 (2005) 387; beta = 0.85-0.92 in simulations), so
  iron has 56^0.08 = 1.38 times the muons of a proton. eps is the shower-to-shower spread of the
  muon number, log-normal with relative rms 0.15 (p) to 0.05 (Fe), linear in ln A (the
  superposition model's 1/sqrt(A) trend, bounded as in simulations).
* Attenuation with zenith and with the distance to the shower maximum: the EM part is absorbed
  with Lambda_em = 500 g/cm^2 of DX, the muons weakly (Lambda_mu = 2000 g/cm^2). The mean
  S(1000) of a p-He-N-Fe mix then falls with zenith as the Auger constant-intensity-cut curve
  (f_CIC, arXiv:2008.06486) does within 4 % from 20 to 60 degrees, but is 30 % above it for
  vertical showers, whose maximum is so close to the ground that a pure exponential absorption
  overestimates their EM signal (measured on the card). Showers with a deeper maximum (small
  DX) have more EM signal than shallow ones of the same energy.
* Lateral distribution, NKG-like in the form the Auger reconstruction uses
  (arXiv:2008.06486; Kamata, Nishimura, Prog. Theor. Phys. Suppl. 6 (1958) 93; Greisen 1960),
  separately for each part, in the distance r from the shower axis (in the shower plane):

      f_c(r) = (r / 1000 m)^(-alpha_c) ((r + r1) / (1000 m + r1))^(-delta_c),  r1 = 700 m,
      alpha_em = 1.5 - 0.4 (DX - DX_ref) / 1000 g/cm^2 (older showers are flatter), delta_em = 3.0,
      alpha_mu = 1.0, delta_mu = 2.8 (muons spread further: steeper EM part),

  so d ln S / d ln r at 1000 m is -3.3 (EM) and -2.6 (muons); the exponents are chosen so that
  the number of triggered stations grows from about 7 at 3 EeV to about 15 at 10 EeV, as at
  Auger. Distances below 50 m are taken as 50 m.
* Fluctuations: the muon signal is Poisson in muons of 1 VEM each, the EM signal Poisson in
  quanta of 0.2 VEM (many soft particles per VEM); together sigma_S ~ sqrt(S) VEM at the
  muon-dominated large distances (Auger: sigma_S = 1.06 sqrt(S), arXiv:2008.06486).
* Trigger and saturation: a station with less than 3 VEM does not trigger and reads 0 (the
  Auger threshold trigger is 3.2 VEM); one above 2000 VEM reads 2000 VEM (a round number of the
  order of the range of the Auger low-gain channel: the stations within a few hundred metres of
  the core of showers above ~10 EeV saturate).
"""

from __future__ import annotations

import numpy as np

from .settings import AirShowerSettings


def lateral_distribution(r_m, alpha, delta, r1_m: float = 700.0, min_r_m: float = 50.0) -> np.ndarray:
    """f(r) = (r/1000)^-alpha ((r + r1)/(1000 + r1))^-delta, 1 at r = 1000 m; r in m (clipped below min_r_m)."""
    r = np.maximum(np.asarray(r_m, dtype=np.float64), min_r_m)
    return (r / 1000.0) ** (-np.asarray(alpha)) * ((r + r1_m) / (1000.0 + r1_m)) ** (-np.asarray(delta))


def delta_x(zenith, xmax, settings: AirShowerSettings) -> np.ndarray:
    """DX = X_ground / cos(theta) - Xmax (g/cm^2): the atmosphere between the maximum and the ground."""
    return settings.ground_depth_g_cm2 / np.cos(zenith) - np.asarray(xmax, dtype=np.float64)


def mean_s1000(lg_energy, mass, zenith, xmax, settings: AirShowerSettings) -> tuple[np.ndarray, np.ndarray]:
    """(S_em(1000), S_mu(1000)) in VEM without the muon-number fluctuation (see the module docstring)."""
    e10 = 10.0 ** (np.asarray(lg_energy, dtype=np.float64) - 19.0)
    mass = np.asarray(mass, dtype=np.float64)
    dx = delta_x(zenith, xmax, settings) - settings.dx_ref_g_cm2
    s_em = settings.s1000_em_vem * e10 * np.exp(-dx / settings.em_attenuation_g_cm2)
    beta = settings.muon_energy_exponent
    s_mu = settings.s1000_mu_vem * e10 ** beta * mass ** (1 - beta) * np.exp(-dx / settings.mu_attenuation_g_cm2)
    return s_em, s_mu


def muon_fluctuation(rng: np.random.Generator, mass, settings: AirShowerSettings) -> np.ndarray:
    """The factor 1 + eps of the muon number: log-normal, mean 1, relative rms from p to Fe in ln A."""
    mass = np.asarray(mass, dtype=np.float64)
    rel = settings.muon_fluctuation_p + (settings.muon_fluctuation_fe - settings.muon_fluctuation_p) \
        * np.log(mass) / np.log(56.0)
    sigma = np.sqrt(np.log1p(rel ** 2))
    return np.exp(sigma * rng.standard_normal(mass.shape) - sigma ** 2 / 2)


def expected_signals(r_m, lg_energy, mass, zenith, xmax, mu_factor, settings: AirShowerSettings):
    """(S_em, S_mu) in VEM at axis distances ``r_m`` (n, stations) of n showers (arrays of n)."""
    s_em, s_mu = mean_s1000(lg_energy, mass, zenith, xmax, settings)
    dx = delta_x(zenith, xmax, settings) - settings.dx_ref_g_cm2
    a_em0, d_em = settings.ldf_em_slopes
    alpha_em = np.clip(a_em0 - settings.ldf_em_age_slope * dx / 1000.0, 0.5, 3.0)
    a_mu, d_mu = settings.ldf_mu_slopes
    f_em = lateral_distribution(r_m, alpha_em[:, None], d_em, settings.ldf_r1_m, settings.ldf_min_r_m)
    f_mu = lateral_distribution(r_m, a_mu, d_mu, settings.ldf_r1_m, settings.ldf_min_r_m)
    return s_em[:, None] * f_em, (s_mu * mu_factor)[:, None] * f_mu


def detect(rng: np.random.Generator, s_em, s_mu, settings: AirShowerSettings) -> tuple[np.ndarray, np.ndarray]:
    """Poisson fluctuations, trigger and saturation: (signal VEM, number of muons) per station.

    The number of muons sets the spread of the start time (`timing`): the muons, little
    scattered, arrive first; the EM particles follow in the tail of the signal.
    """
    n_mu = rng.poisson(np.asarray(s_mu) / settings.muon_quantum_vem)
    n_em = rng.poisson(np.asarray(s_em) / settings.em_quantum_vem)
    signal = n_mu * settings.muon_quantum_vem + n_em * settings.em_quantum_vem
    signal = np.where(signal >= settings.trigger_vem, np.minimum(signal, settings.saturation_vem), 0.0)
    return signal, n_mu
