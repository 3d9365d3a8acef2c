"""The physics behind the course's data, one sub-package per detector.

* `jets`: Pythia 8 events, the detector model, clustering, substructure, jet images and
  constituent features (lectures 00, 01, 07);
* `calorimeter`: the tungsten-silicon sampling calorimeter, its shower simulation, signal,
  shower shapes and fast simulations (lectures 02, 03);
* `airshowers`: the surface-array air-shower simulation (lecture 08).
"""
