"""``python -m hepcourse.physics.airshowers``: print the simulation's measured properties."""

from .validation import validation_summary

validation_summary()
