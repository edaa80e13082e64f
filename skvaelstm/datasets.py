"""Loaders for the Numenta Anomaly Benchmark (NAB) time series.

* :func:`load_nab` -- the five NAB ``realKnownCause`` series of the VAE-LSTM
  paper (Lin et al., ICASSP 2020), shipped with the package (works offline),
  with the paper's anomaly-free training segment.
* :func:`fetch_nab` -- any of the 58 NAB series, read from a local NAB
  checkout or downloaded once from GitHub at a pinned commit and cached.
* :func:`list_nab` -- the names accepted by :func:`fetch_nab`.

All files are verified against SHA-256 checksums of NAB commit
``ea702d75cc2258d9d7dd35ca8e5e2539d71f3140``. NAB is Copyright 2014-2024
Numenta Inc. and MIT licensed (``skvaelstm/data/LICENSE-NAB.txt``).

Label conventions (both derived from time stamps, never from row numbers):

* ``labels`` -- 1 for every row whose time stamp ``t`` satisfies
  ``start <= t <= end`` for some NAB anomaly window of
  ``labels/combined_windows.json`` (both ends inclusive; this is how NAB's
  own ``CorpusLabel.getLabels`` expands windows into row labels).
* ``point_labels`` -- 1 for the rows whose time stamp equals one of NAB's
  single anomaly time stamps of ``labels/combined_labels.json``.
"""

import difflib
import json

from sklearn.utils import Bunch

from ._io import _nab_files as _files

__all__ = ["fetch_nab", "list_nab", "load_nab"]

# The paper's five series: NAB file stem -> (short name used by the reference
# code's .npz files, sampling period, training rows [a, b)). The split is the
# reference `idx_split`; everything outside [a, b) is test data, so
# machine_temperature (trained on its middle) has two test segments.
_PAPER = {
    "ambient_temperature_system_failure": ("ambient_temp", "1 hour, with gaps", (0, 3300)),
    "cpu_utilization_asg_misconfiguration": ("cpu_utilization", "5 min", (0, 15500)),
    "ec2_request_latency_system_failure": ("ec2_request", "5 min", (0, 2000)),
    "machine_temperature_system_failure": ("machine_temp", "5 min", (5000, 15500)),
    "nyc_taxi": ("nyc_taxi", "30 min", (0, 5500)),
}
# Irregularities of the files, kept as they are (rows are never re-ordered).
_NOTES = {
    "ambient_temperature_system_failure": "10 gaps in the hourly sampling (longest 174 h).",
    "ec2_request_latency_system_failure": (
        "Rows 556-567 all carry the time stamp 2014-03-09 03:00:00 (likely the "
        "US daylight-saving switch), so 11 stamps are duplicates."
    ),
    "machine_temperature_system_failure": (
        "Time goes back 55 min after row 10148 (2014-01-07 02:55 -> 02:00), "
        "so 12 stamps occur twice (rows 10137-10160)."
    ),
}
_ALIASES = {alias: stem for stem, (alias, _, _) in _PAPER.items()}

_LICENCE = (
    "Source: Numenta Anomaly Benchmark (NAB), https://github.com/numenta/NAB, "
    "commit {commit}, file data/{key}. Copyright 2014-2024 Numenta Inc., MIT "
    "licence (skvaelstm/data/LICENSE-NAB.txt). Please cite Lavin & Ahmad, "
    "'Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly "
    "Benchmark', IEEE ICMLA 2015."
)


def _strip(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}.")
    name = name.strip()
    return name[: -len(".csv")] if name.endswith(".csv") else name


def _resolve_paper(name):
    """Paper-series name (stem, short alias or NAB path) -> NAB file stem."""
    key = _strip(name)
    if key.startswith("realKnownCause/"):
        key = key[len("realKnownCause/"):]
    key = _ALIASES.get(key, key)
    if key not in _PAPER:
        valid = sorted(_PAPER) + sorted(set(_ALIASES) - set(_PAPER))
        raise ValueError(
            f"Unknown series {name!r} for load_nab. Valid names: {', '.join(valid)}. "
            "Use fetch_nab for the other NAB series."
        )
    return key


def _resolve_any(name):
    """Any NAB name -> relative path ``data/<group>/<stem>.csv``."""
    key = _strip(name)
    paths = _files._nab_csv_paths()
    by_name = {p[len("data/"): -len(".csv")]: p for p in paths}
    if key in by_name:
        return by_name[key]
    key = _ALIASES.get(key, key)
    matches = [p for n, p in by_name.items() if n.split("/", 1)[1] == key]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:  # no NAB stem repeats today; kept for future corpora
        raise ValueError(f"Ambiguous NAB name {name!r}; use one of {matches}.")
    close = difflib.get_close_matches(key, list(by_name) + [n.split("/")[1] for n in by_name])
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Unknown NAB series {name!r}.{hint} Use 'group/file' names such as "
        "'realTraffic/speed_7578' (see skvaelstm.datasets.list_nab())."
    )


def _paper_split(stem, n_rows):
    """(train_slice, test_slices) of the paper split for ``n_rows`` rows."""
    start, stop = _PAPER[stem][2]
    tests = ([slice(0, start)] if start > 0 else []) + [slice(stop, n_rows)]
    return slice(start, stop), tests


def _describe(stem, key, n_rows, windows, n_points, train_slice, test_slices):
    sampling = f", sampling {_PAPER[stem][1]}" if stem in _PAPER else ""
    if train_slice is None:
        split = (
            "No training/test split (train_slice and test_slices are None): "
            "only the paper's five series have one."
        )
    else:
        split = (
            f"Paper split (Lin et al., ICASSP 2020, reference idx_split): training "
            f"rows {train_slice.start}:{train_slice.stop} (no NAB window inside), "
            "test rows " + ", ".join(f"{s.start}:{s.stop}" for s in test_slices) + "."
        )
    return "\n".join(
        [
            f"NAB series {key} ({n_rows} rows{sampling}).",
            "",
            f"Anomaly windows: {len(windows)} (labels: 1 where start <= timestamp <= end, "
            f"both inclusive, as in NAB); point labels: {n_points}.",
            ("Rows are in file order (not sorted, not de-duplicated). "
             + _NOTES.get(stem, "")).rstrip(),
            split,
            "",
            _LICENCE.format(commit=_files._checksums()["commit"], key=key),
        ]
    )


def _make_bunch(csv_bytes, key, raw_windows, raw_points, as_frame, paper):
    """Assemble the Bunch shared by :func:`load_nab` and :func:`fetch_nab`."""
    stamps, values = _files._parse_csv(csv_bytes, key)
    windows = _files._windows(raw_windows)
    labels = _files._window_labels(stamps, windows)
    points = _files._point_labels(stamps, raw_points)
    stem = key.split("/")[1][: -len(".csv")]
    if paper:
        train_slice, test_slices = _paper_split(stem, len(stamps))
    else:
        train_slice, test_slices = None, None
    frame = None
    if as_frame:
        import pandas as pd  # a dependency; imported here, where it is needed

        frame = pd.DataFrame(
            {"value": values[:, 0], "label": labels, "point_label": points},
            index=pd.DatetimeIndex(stamps, name="timestamp"),
        )
    # no "values" key: it would collide with the dict method of a Bunch
    return Bunch(
        timestamps=stamps,
        data=values,
        labels=labels,
        point_labels=points,
        anomaly_windows=windows,
        train_slice=train_slice,
        test_slices=test_slices,
        name=stem,
        nab_file=key,
        feature_names=["value"],
        frame=frame,
        DESCR=_describe(stem, key, len(stamps), windows, int(points.sum()),
                        train_slice, test_slices),
    )


def load_nab(name, *, as_frame=False):
    """Load one of the five NAB series of the VAE-LSTM paper (shipped, offline).

    Parameters
    ----------
    name : str
        NAB file stem, ``"ambient_temperature_system_failure"``,
        ``"cpu_utilization_asg_misconfiguration"``,
        ``"ec2_request_latency_system_failure"``,
        ``"machine_temperature_system_failure"`` or ``"nyc_taxi"``; or the
        short names of the reference code, ``"ambient_temp"``,
        ``"cpu_utilization"``, ``"ec2_request"``, ``"machine_temp"``; a
        ``"realKnownCause/"`` prefix and a ``".csv"`` suffix are accepted.
    as_frame : bool, default=False
        Also return the data as a pandas DataFrame in ``frame`` (needs pandas).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``timestamps`` : ndarray of datetime64[s], shape (n,), in file order.
        ``data`` : ndarray of float64, shape (n, 1), the ``value`` column.
        ``labels`` : ndarray of int64, shape (n,), 1 inside an NAB anomaly
        window (both ends inclusive).
        ``point_labels`` : ndarray of int64, shape (n,), 1 at NAB's anomaly
        time stamps.
        ``anomaly_windows`` : list of (start, end) datetime64[s] pairs.
        ``train_slice`` : slice, the paper's anomaly-free training rows.
        ``test_slices`` : list of slice, the remaining rows (two segments for
        machine_temperature_system_failure, one otherwise).
        ``name`` : str, the NAB file stem. ``nab_file`` : str, the NAB key,
        e.g. ``"realKnownCause/nyc_taxi.csv"``.
        ``feature_names`` : ``["value"]``.
        ``frame`` : DataFrame indexed by ``timestamp`` with columns
        ``value``, ``label``, ``point_label``; None unless ``as_frame``.
        ``DESCR`` : str, description with source, licence and split.

    Raises
    ------
    ValueError
        If ``name`` is not one of the five series.

    Examples
    --------
    >>> from skvaelstm.datasets import load_nab
    >>> data = load_nab("nyc_taxi")
    >>> data.data.shape
    (10320, 1)
    >>> data.train_slice
    slice(0, 5500, None)
    >>> int(data.labels[data.train_slice].sum())
    0
    """
    stem = _resolve_paper(name)
    key = f"realKnownCause/{stem}.csv"
    shipped = _files._known_cause_labels()
    return _make_bunch(
        _files._read_shipped_csv(stem),
        key,
        shipped["windows"][key],
        shipped["points"][key],
        as_frame,
        paper=True,
    )


def fetch_nab(name, *, data_home=None, download_if_missing=True, as_frame=False):
    """Load any of the 58 NAB series from a NAB checkout or a download cache.

    Files are looked up in a folder laid out like the NAB repository
    (``data/<group>/<file>.csv`` and ``labels/``): ``data_home`` if given,
    else the ``SKVAELSTM_NAB_HOME`` environment variable, else the cache
    ``<SKVAELSTM_DATA or ~/skvaelstm_data>/nab``. A missing file is
    downloaded into that folder from GitHub (``numenta/NAB`` at the pinned
    commit) when ``download_if_missing`` is True. Every file read or
    downloaded must match its pinned SHA-256 checksum.

    Parameters
    ----------
    name : str
        ``"<group>/<file>"`` as returned by :func:`list_nab`, e.g.
        ``"realTraffic/speed_7578"`` (a ``".csv"`` suffix is accepted), or
        the bare file stem (``"speed_7578"``) when unambiguous, or one of the
        short paper names accepted by :func:`load_nab`.
    data_home : str or path-like, default=None
        Folder of a NAB checkout (containing ``data/`` and ``labels/``).
    download_if_missing : bool, default=True
        If False, raise instead of downloading a missing file.
    as_frame : bool, default=False
        Also return the data as a pandas DataFrame in ``frame`` (needs pandas).

    Returns
    -------
    data : sklearn.utils.Bunch
        Same fields as :func:`load_nab`. ``train_slice`` and ``test_slices``
        are the paper split for the paper's five series and None for all
        other series (NAB itself defines no training segment; its
        "probationary period" is a scoring rule, not anomaly-free data).

    Raises
    ------
    ValueError
        If ``name`` is not a NAB series.
    OSError
        If a file does not match its checksum (the message names the file),
        ``FileNotFoundError`` if a file is missing and
        ``download_if_missing=False``, ``ConnectionError`` if the download
        fails (e.g. offline).

    Examples
    --------
    >>> from skvaelstm.datasets import fetch_nab
    >>> data = fetch_nab("realTraffic/speed_7578")  # doctest: +SKIP
    >>> data.data.shape  # doctest: +SKIP
    (1127, 1)
    """
    relpath = _resolve_any(name)
    root = _files._nab_root(data_home)
    csv_bytes = _files._fetch_file(relpath, root, download_if_missing)
    windows = json.loads(_files._fetch_file(_files._WINDOWS_FILE, root, download_if_missing))
    points = json.loads(_files._fetch_file(_files._POINTS_FILE, root, download_if_missing))
    key = relpath[len("data/"):]
    stem = key.split("/")[1][: -len(".csv")]
    return _make_bunch(
        csv_bytes, key, windows[key], points[key], as_frame,
        paper=key.startswith("realKnownCause/") and stem in _PAPER,
    )


def list_nab():
    """Names of the 58 NAB series accepted by :func:`fetch_nab`.

    Returns
    -------
    names : list of str
        ``"<group>/<file stem>"``, sorted, e.g. ``"realKnownCause/nyc_taxi"``.

    Examples
    --------
    >>> from skvaelstm.datasets import list_nab
    >>> len(list_nab())
    58
    >>> "realTraffic/speed_7578" in list_nab()
    True
    """
    return sorted(p[len("data/"): -len(".csv")] for p in _files._nab_csv_paths())
