"""Exercise 08: submissions graded by the round trip (tests/test_grading_roundtrip.py).

Correct answers written differently keep all 8 points: the plane fit through the
pseudo-inverse (SVD) of each event's design matrix, in a function that warns and prints to
stderr, with a plain 3 x 3 Conv2D network (all nine neighbours, not the hexagonal mask) of other
widths; and the plane fit vectorised over all events (zero rows for the stations that did not
trigger, one batched least-squares solve of the normal equations) with the zenith from
arccos(w), with a Deep-Sets network (the same dense layers on every station, masked mean and
maximum over the triggered stations). Each plausible mistake loses exactly its own task's
points: the speed of light missing (ns read as m), the sign of p . n flipped (the azimuth off by
180 degrees), the untriggered stations (time 0) left in the fit, or the angles returned in
degrees (Task 1, 4 points); the network's output not scaled back from unit spread to lg E (Task
2, 4 points). The careless answers for benchmarks/thresholds.py: every station fitted with a
network trained for one epoch; and `time > 0` taken for the trigger (the earliest station, at
time 0, drops out of the fit) with a network trained on E in EeV instead of lg E.
"""

from exercise_variants import Variant, answered, cell, combined, replaced

TOTAL = 8

_TASK_1 = {"test_plane_fit": 2, "test_plane_fit_resolution": 2}
_TASK_2 = {"test_energy_partial": 2, "test_energy_target": 2}

_PINV_WARNS = '''
import sys
import warnings


def plane_front_fit(station_xy, time, triggered):
    """Per event: (c t0, u, v) = pinv(design) @ (c t), the SVD-based least-squares solution."""
    xy = np.asarray(station_xy, dtype=float).reshape(-1, 2)
    time = np.asarray(time, dtype=float)
    triggered = np.asarray(triggered, dtype=bool)
    warnings.warn(f"plane-front fit of {len(time)} events")  # a warning must not cost points
    print("plane_front_fit: pseudo-inverse", file=sys.stderr)
    directions = []
    for t, hit in zip(time.reshape(len(time), -1), triggered.reshape(len(time), -1)):
        design = np.column_stack([np.ones(hit.sum()), -xy[hit, 0], -xy[hit, 1]])
        _, u, v = np.linalg.pinv(design) @ (C_M_PER_NS * t[hit])
        sin_zenith = np.sqrt(u ** 2 + v ** 2)
        directions.append((np.pi / 2 if sin_zenith > 1 else np.arcsin(sin_zenith), np.arctan2(v, u) % (2 * np.pi)))
    zenith, azimuth = np.array(directions).T
    return zenith, azimuth
'''

_BATCHED = '''
def plane_front_fit(station_xy, time, triggered):
    """All events at once: zero rows for untriggered stations, the normal equations solved in one batch."""
    n = len(time)
    xy = np.asarray(station_xy, dtype=np.float64).reshape(1, -1, 2)
    mask = np.asarray(triggered, dtype=np.float64).reshape(n, -1, 1)
    design = np.concatenate([np.ones_like(mask), -np.repeat(xy, n, axis=0)], axis=2) * mask  # (n, 81, 3)
    ct = C_M_PER_NS * np.asarray(time, dtype=np.float64).reshape(n, -1, 1) * mask
    normal = np.transpose(design, (0, 2, 1)) @ design
    _, u, v = np.moveaxis(np.linalg.solve(normal, np.transpose(design, (0, 2, 1)) @ ct)[..., 0], -1, 0)
    w = np.sqrt(np.clip(1.0 - u ** 2 - v ** 2, 0.0, 1.0))
    return np.arccos(w), np.arctan2(v, u)
'''

_REFERENCE_NETWORK = '''def energy_network():
    inputs = keras.Input((9, 9, 5))
    x = inputs
    for width in (16, 32, 32):
        x = HexConv2D(width, activation="relu")(x)
    x = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(x), keras.layers.GlobalMaxPooling2D()(x)])
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))'''

_PLAIN_CONV = '''def energy_network():
    # a plain 3 x 3 convolution (all nine neighbours, two of them sqrt(3) d away) of other widths
    inputs = keras.Input((9, 9, 5))
    x = inputs
    for width in (24, 24, 48):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    x = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(x), keras.layers.GlobalMaxPooling2D()(x)])
    x = keras.layers.Dense(48, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))'''

_DEEP_SETS = '''def energy_network():
    # Deep Sets over the stations: the same dense layers on every station, then the mean and the
    # maximum over the triggered stations only, and the number of triggered stations
    inputs = keras.Input((9, 9, 5))
    stations = keras.layers.Reshape((81, 5))(inputs)
    hit = keras.layers.Reshape((81, 1))(inputs[..., 2:3])
    x = keras.layers.Dense(48, activation="relu")(stations)
    x = keras.layers.Dense(48, activation="relu")(x)
    x = keras.layers.Dense(48, activation="relu")(x)
    n_hit = keras.ops.sum(hit, axis=1)
    mean = keras.ops.sum(x * hit, axis=1) / keras.ops.maximum(n_hit, 1.0)
    largest = keras.ops.max(x * hit, axis=1)
    x = keras.layers.Concatenate()([mean, largest, keras.ops.log(keras.ops.maximum(n_hit, 1.0))])
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))'''


CORRECT = {
    "pseudo-inverse, plain Conv2D, warns": Variant(
        combined(answered("plane_front_fit", _PINV_WARNS),
                 replaced("train_energy", _REFERENCE_NETWORK, _PLAIN_CONV)),
        "the plane fit through each event's pseudo-inverse (SVD), azimuth in [0, 2 pi), warning and printing to "
        "stderr; a plain 3 x 3 Conv2D network of other widths instead of the hexagonal one: none of it may cost "
        "points"),
    "batched normal equations, Deep Sets": Variant(
        combined(answered("plane_front_fit", _BATCHED),
                 replaced("train_energy", _REFERENCE_NETWORK, _DEEP_SETS)),
        "the plane fit for all events at once (masked design matrices, batched normal equations), zenith from "
        "arccos(w); a Deep-Sets network over the stations (per-station dense layers, masked mean and maximum)"),
}

WRONG = {
    "speed of light missing": Variant(
        replaced("plane_front_fit", "ct = C_M_PER_NS * np.asarray(time, dtype=np.float64)",
                 "ct = np.asarray(time, dtype=np.float64)"),
        "the times in ns fitted as if they were c t in m: (u, v) come out 3.3 times too large, most zenith "
        "angles at 90 degrees",
        loses=_TASK_1),
    "sign of p . n flipped": Variant(
        replaced("plane_front_fit", "np.column_stack([np.ones(hit[k].sum()), -xy[hit[k]]])",
                 "np.column_stack([np.ones(hit[k].sum()), xy[hit[k]]])"),
        "c t = c t0 + p . n: the axis points away from the source, the azimuth is off by 180 degrees",
        loses=_TASK_1),
    "untriggered stations in the fit": Variant(
        replaced("plane_front_fit", "hit = np.asarray(triggered, dtype=bool).reshape(n_events, -1)",
                 "hit = np.ones((n_events, 81), dtype=bool)  # every station"),
        "all 81 stations fitted, the untriggered ones with their time 0: the plane is pulled flat",
        loses=_TASK_1),
    "degrees": Variant(
        replaced("plane_front_fit", "    return zenith, azimuth", "    return np.degrees(zenith), np.degrees(azimuth)"),
        "the angles returned in degrees where radians are asked for",
        loses=_TASK_1),
    "output not scaled back": Variant(
        replaced("train_energy", "return 10.0 ** (lg_e * lg_e_scale + lg_e_mean)", "return 10.0 ** lg_e"),
        "the network's output, trained on lg E scaled to zero mean and unit spread, taken for lg E itself",
        loses=_TASK_2),
}


def _all_stations_one_epoch(source_nb):
    nb = WRONG["untriggered stations in the fit"].make(source_nb)
    train = cell(nb, "train_energy")
    assert "epochs=EPOCHS" in train.source
    train.source = train.source.replace("epochs=EPOCHS", "epochs=1")
    return nb


def _earliest_dropped_linear_energy(source_nb):
    nb = replaced("plane_front_fit", "hit = np.asarray(triggered, dtype=bool).reshape(n_events, -1)",
                  "hit = (np.asarray(time) > 0).reshape(n_events, -1)  # stations with a time")(source_nb)
    train = cell(nb, "train_energy")
    for old, new in (('lg_e_train = np.log10(train["energy"])', 'lg_e_train = train["energy"]  # E in EeV, not lg E'),
                     ('(np.log10(val["energy"]) - lg_e_mean)', '(val["energy"] - lg_e_mean)'),
                     ("return 10.0 ** (lg_e * lg_e_scale + lg_e_mean)",
                      "return np.maximum(lg_e * lg_e_scale + lg_e_mean, 0.1)")):
        assert old in train.source, old
        train.source = train.source.replace(old, new)
    return nb


CARELESS = {"all stations, one epoch": _all_stations_one_epoch,
            "time > 0 as trigger, MSE of E in EeV": _earliest_dropped_linear_energy}
