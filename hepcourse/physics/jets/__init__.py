"""Jets: from Pythia 8 events to the inputs of the taggers.

The chain, one module per step:

* `pythia_events`: Pythia 8 configuration of the top / QCD processes, a cheap pre-filter and
  the final-state particles;
* `hls4ml_events`: the five processes (g, q, W, Z, t) of the hls4ml jet sample and truth matching;
* `detector`: a documented particle-flow detector model applied to the generator particles;
* `clustering`: anti-kT jets with FastJet and the boosted-jet selection;
* `kinematics`: vectorised four-momentum helpers in the (E, px, py, pz) order of the datasets;
* `substructure`: N-subjettiness, masses and the high-level features of the baselines;
* `ecf`: mMDT grooming and energy correlation functions (the hls4ml 16 features);
* `images`: jet images (centre, rotate, flip, pixelate, normalise);
* `features`: per-constituent features for Deep Sets / particle-flow and graph networks.
"""
