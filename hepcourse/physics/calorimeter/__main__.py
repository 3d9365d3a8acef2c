"""``python -m hepcourse.physics.calorimeter``: print the simulation's measured textbook properties."""

from .textbook import validation_summary

validation_summary()
