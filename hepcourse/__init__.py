"""hepcourse: support package of the course "Deep Learning in Particle and Astroparticle Physics".

It holds everything the notebooks would otherwise copy: dataset generation and loading
(`hepcourse.data`), physics helpers (`hepcourse.physics`), reference Keras 3 models
(`hepcourse.models`), metrics, plotting, self-checks (`hepcourse.selfchecks`) for the exercises and the `hepcourse` CLI.
Submodules are imported lazily so that `import hepcourse` stays cheap (no TensorFlow).
"""

__version__ = "0.1.0"
