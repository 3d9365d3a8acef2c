"""Cosmic-ray air showers seen by a surface array of water-Cherenkov stations (lecture 08).

This sub-package will hold the course's parametrised air-shower simulation (array geometry,
primaries, shower maximum, station signals and timing) when lecture 08 is built; the course's
other two detectors are `hepcourse.physics.jets` and `hepcourse.physics.calorimeter`.
"""
