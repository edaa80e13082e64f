"""Private file handling for the NAB loaders in :mod:`skvaelstm.datasets`.

Reading the shipped resources, resolving / downloading / checksum-verifying
NAB files, parsing NAB CSVs and turning NAB label JSON into per-row labels.
Nothing here is public API.
"""

import functools
import gzip
import hashlib
import http.client
import json
import os
import socket
import tempfile
import urllib.error
import urllib.request
from importlib import resources

import numpy as np

# Relative paths (inside a NAB checkout) of the two label files we use.
_WINDOWS_FILE = "labels/combined_windows.json"
_POINTS_FILE = "labels/combined_labels.json"

_DOWNLOAD_TIMEOUT_S = 60


def _read_resource(name):
    """Return the bytes of ``skvaelstm/data/<name>``.

    ``importlib.resources`` rather than ``__file__`` so that the package also
    works from a zip or wheel cache.
    """
    return resources.files("skvaelstm").joinpath("data", name).read_bytes()


@functools.lru_cache(maxsize=None)
def _checksums():
    """Pinned NAB commit, URL template and SHA-256 of every NAB file we use."""
    return json.loads(_read_resource("nab_checksums.json").decode("utf-8"))


@functools.lru_cache(maxsize=None)
def _known_cause_labels():
    """Shipped NAB windows and point labels of the five paper series."""
    return json.loads(_read_resource("nab_known_cause_labels.json").decode("utf-8"))


def _nab_csv_paths():
    """Relative paths ``data/<group>/<file>.csv`` of the 58 NAB series."""
    return [p for p in _checksums()["sha256"] if p.startswith("data/")]


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _check_sha256(data, relpath, where):
    """Raise ``OSError`` naming ``where`` if ``data`` is not the pinned file."""
    expected = _checksums()["sha256"][relpath]
    actual = _sha256(data)
    if actual != expected:
        raise OSError(
            f"Checksum mismatch for {where} (NAB file {relpath!r}): SHA-256 is "
            f"{actual}, expected {expected} (NAB commit "
            f"{_checksums()['commit']}). The file is corrupted or comes from a "
            "different NAB version; delete or replace it."
        )


def _read_shipped_csv(stem):
    """Bytes of a shipped realKnownCause CSV, verified against NAB's checksum."""
    data = gzip.decompress(_read_resource(f"{stem}.csv.gz"))
    _check_sha256(
        data,
        f"data/realKnownCause/{stem}.csv",
        f"the shipped file skvaelstm/data/{stem}.csv.gz (reinstall skvaelstm)",
    )
    return data


def _get_data_home(data_home=None):
    """Cache root, like :func:`sklearn.datasets.get_data_home`.

    ``data_home``, else the ``SKVAELSTM_DATA`` environment variable, else
    ``~/skvaelstm_data``. The folder is not created here: only a download
    creates it, so that reading never leaves empty folders behind.
    """
    if data_home is None:
        data_home = os.environ.get("SKVAELSTM_DATA", os.path.join("~", "skvaelstm_data"))
    return os.path.abspath(os.path.expanduser(os.fspath(data_home)))


def _nab_root(data_home=None):
    """Folder laid out like a NAB checkout (``data/``, ``labels/``) to use."""
    if data_home is not None:
        return os.path.abspath(os.path.expanduser(os.fspath(data_home)))
    env = os.environ.get("SKVAELSTM_NAB_HOME")
    if env:
        return os.path.abspath(os.path.expanduser(env))
    return os.path.join(_get_data_home(), "nab")


def _download(url, path):
    """Write the resource at ``url`` to ``path`` (tests replace this function)."""
    with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
        with open(path, "wb") as f:
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)


def _fetch_remote(relpath, dest):
    """Download NAB ``relpath`` at the pinned commit into ``dest``; return bytes.

    The download goes to a temporary file in the destination folder and is
    renamed only after its checksum matched, so an interrupted or corrupted
    download never leaves a file that a later call would trust.
    """
    meta = _checksums()
    url = meta["url_template"].format(commit=meta["commit"], path=relpath)
    folder = os.path.dirname(dest)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    os.close(fd)
    try:
        try:
            _download(url, tmp)
        # Network failures only: a local write error must surface as itself.
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            socket.timeout,
            ConnectionError,
        ) as exc:
            raise ConnectionError(
                f"Could not download NAB file {relpath!r} from {url} ({exc}). "
                "If this machine is offline, get a copy of the NAB repository "
                "(https://github.com/numenta/NAB, commit "
                f"{meta['commit']}) and pass its folder as data_home=... or set "
                "the SKVAELSTM_NAB_HOME environment variable to it."
            ) from exc
        with open(tmp, "rb") as f:
            data = f.read()
        _check_sha256(data, relpath, f"the file downloaded from {url}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return data


def _fetch_file(relpath, root, download_if_missing):
    """Bytes of NAB file ``relpath`` under ``root``, downloading it if needed."""
    path = os.path.join(root, *relpath.split("/"))
    if os.path.isfile(path):
        with open(path, "rb") as f:
            data = f.read()
        _check_sha256(data, relpath, f"the local file {path}")
        return data
    if not download_if_missing:
        raise FileNotFoundError(
            f"NAB file {relpath!r} not found at {path} and "
            "download_if_missing=False. Pass the folder of a NAB checkout as "
            "data_home=... or set SKVAELSTM_NAB_HOME."
        )
    return _fetch_remote(relpath, path)


def _parse_stamps(strings):
    """NAB timestamp strings -> ``datetime64[s]``.

    NAB writes ``YYYY-MM-DD HH:MM:SS`` in the CSVs and appends ``.000000`` in
    the window JSON; numpy parses both forms.
    """
    return np.array(list(strings), dtype="datetime64[s]")


def _parse_csv(data, where):
    """Parse a NAB CSV (``timestamp,value``) into (timestamps, values).

    File order is kept on purpose: some NAB files have duplicated or
    backwards time stamps, and the paper's splits are row indices.
    """
    lines = data.decode("utf-8").splitlines()  # some NAB files use CRLF
    if not lines or lines[0].strip() != "timestamp,value":
        raise ValueError(f"{where}: expected the NAB header 'timestamp,value'.")
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    if any(len(row) != 2 for row in rows):
        raise ValueError(f"{where}: every NAB row must have 2 fields.")
    stamps = _parse_stamps(row[0] for row in rows)
    values = np.array([row[1] for row in rows], dtype=np.float64)
    return stamps, values.reshape(-1, 1)


def _windows(raw_windows):
    """NAB ``[[start, end], ...]`` strings -> list of datetime64 pairs."""
    return [tuple(_parse_stamps(pair)) for pair in raw_windows]


def _window_labels(stamps, windows):
    """1 where ``start <= timestamp <= end`` for any window, else 0.

    Both ends are inclusive and the test is on time stamps, not row
    positions, exactly as NAB's ``CorpusLabel.getLabels`` does it.
    """
    labels = np.zeros(stamps.shape[0], dtype=np.int64)
    for start, end in windows:
        labels[(stamps >= start) & (stamps <= end)] = 1
    return labels


def _point_labels(stamps, raw_points):
    """1 at each row whose time stamp is one of NAB's anomaly time stamps."""
    return np.isin(stamps, _parse_stamps(raw_points)).astype(np.int64)
