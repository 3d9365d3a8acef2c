"""Jet images: the preprocessing recipe used for CNN top taggers.

Steps (Macaluso & Shih arXiv:1803.00107; the landscape paper arXiv:1902.09914):
1. centre: shift (eta, phi) so the pT-weighted centroid is at the origin;
2. rotate: turn the principal axis of the pT-weighted (eta, phi) distribution vertical;
3. flip: mirror so that the larger pT sum lies at positive eta' and positive phi';
4. pixelate: sum pT into a 40 x 40 grid of 0.05 x 0.05 cells (the crop: constituents
   outside |eta'|, |phi'| < 1 are dropped);
5. normalise: divide by the total pT in the image, so the pixels sum to 1.
Images are indexed [row = phi' bin (bottom to top), column = eta' bin].
All functions are vectorised over jets and accept zero-padded constituents (E, px, py, pz).
"""

from __future__ import annotations

import numpy as np

from .kinematics import delta_phi, eta, phi, pt

N_PIXELS = 40
HALF_WIDTH = 1.0


def constituent_coordinates(constituents: np.ndarray):
    """(pT, eta, phi) of each constituent; phi is unwrapped around the leading constituent."""
    c_pt, c_eta, c_phi = pt(constituents), eta(constituents), phi(constituents)
    lead = np.argmax(c_pt, axis=1)
    phi_lead = np.take_along_axis(c_phi, lead[:, None], axis=1)
    c_phi = phi_lead + delta_phi(c_phi, phi_lead)
    return c_pt, c_eta, c_phi


def centre(c_pt, c_eta, c_phi):
    """Shift every jet so that its pT-weighted centroid is at (0, 0)."""
    total = c_pt.sum(axis=1, keepdims=True)
    eta0 = (c_pt * c_eta).sum(axis=1, keepdims=True) / total
    phi0 = (c_pt * c_phi).sum(axis=1, keepdims=True) / total
    return c_eta - eta0, c_phi - phi0


def rotate(c_pt, c_eta, c_phi):
    """Rotate each (centred) jet so its principal axis points along phi'."""
    s_ee = (c_pt * c_eta * c_eta).sum(axis=1)
    s_pp = (c_pt * c_phi * c_phi).sum(axis=1)
    s_ep = (c_pt * c_eta * c_phi).sum(axis=1)
    # Angle of the principal (largest-variance) axis with respect to the eta axis.
    theta = 0.5 * np.arctan2(2 * s_ep, s_ee - s_pp)
    alpha = (np.pi / 2 - theta)[:, None]  # turn that axis onto the phi' direction
    cos, sin = np.cos(alpha), np.sin(alpha)
    return cos * c_eta - sin * c_phi, sin * c_eta + cos * c_phi


def flip(c_pt, c_eta, c_phi):
    """Mirror each jet so that most pT lies at eta' > 0 and at phi' > 0."""
    sign_eta = np.where((c_pt * np.sign(c_eta)).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    sign_phi = np.where((c_pt * np.sign(c_phi)).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return c_eta * sign_eta, c_phi * sign_phi


def pixelate(c_pt, c_eta, c_phi, n_pixels: int = N_PIXELS, half_width: float = HALF_WIDTH):
    """Sum pT into (n, n_pixels, n_pixels) images over [-half_width, half_width]^2."""
    n_jets = c_pt.shape[0]
    scale = n_pixels / (2 * half_width)
    col = np.floor((c_eta + half_width) * scale).astype(np.int64)
    row = np.floor((c_phi + half_width) * scale).astype(np.int64)
    inside = (col >= 0) & (col < n_pixels) & (row >= 0) & (row < n_pixels) & (c_pt > 0)
    jet = np.broadcast_to(np.arange(n_jets)[:, None], c_pt.shape)
    flat = (jet * n_pixels + row) * n_pixels + col
    images = np.bincount(flat[inside], weights=c_pt[inside], minlength=n_jets * n_pixels * n_pixels)
    return images.reshape(n_jets, n_pixels, n_pixels)


def normalise(images):
    """Divide each image by its pixel sum (empty images stay zero)."""
    total = images.sum(axis=(1, 2), keepdims=True)
    return np.divide(images, total, out=np.zeros_like(images), where=total > 0)


def jet_images(constituents: np.ndarray, n_pixels: int = N_PIXELS, half_width: float = HALF_WIDTH) -> np.ndarray:
    """The full recipe: constituents (n, N, 4) -> float32 images (n, n_pixels, n_pixels)."""
    constituents = np.asarray(constituents, dtype=np.float64)
    if constituents.ndim != 3 or constituents.shape[-1] != 4:
        raise ValueError(f"constituents must have shape (n_jets, n_constituents, 4), got {constituents.shape}")
    c_pt, c_eta, c_phi = constituent_coordinates(constituents)
    c_eta, c_phi = centre(c_pt, c_eta, c_phi)
    c_eta, c_phi = rotate(c_pt, c_eta, c_phi)
    c_eta, c_phi = flip(c_pt, c_eta, c_phi)
    return normalise(pixelate(c_pt, c_eta, c_phi, n_pixels, half_width)).astype(np.float32)
