"""Tests for skvaelstm.datasets (NAB loaders). No network access is used."""

import gzip
import hashlib
import json
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from skvaelstm._io import _nab_files
from skvaelstm.datasets import fetch_nab, list_nab, load_nab

REAL_DOWNLOAD = _nab_files._download  # captured before any test patches it

# A local NAB checkout, named by fetch_nab's own setting; optional.
NAB_HOME = Path(os.environ.get("SKVAELSTM_NAB_HOME", "no-nab-home-set"))
needs_nab_home = pytest.mark.skipif(
    not (NAB_HOME / "labels" / "combined_windows.json").is_file(),
    reason="set SKVAELSTM_NAB_HOME to a NAB checkout (github.com/numenta/NAB) to run it",
)

# Numbers from the table of the VAE-LSTM reference data README
# (lin-shuyu/VAE-LSTM-for-anomaly-detection, datasets/NAB-known-anomaly):
# short name -> (NAB stem, N, idx_split, idx_anomaly (1-based), idx_anomaly_test
# per test segment (1-based)).
REFERENCE = {
    "ambient_temp": ("ambient_temperature_system_failure", 7267, (0, 3300),
                     [3722, 6181], [[422, 2881]]),
    "cpu_utilization": ("cpu_utilization_asg_misconfiguration", 18050, (0, 15500),
                        [17003, 17815], [[1503, 2315]]),
    "ec2_request": ("ec2_request_latency_system_failure", 4032, (0, 2000),
                    [2082, 3396, 4024], [[82, 1396, 2024]]),
    "machine_temp": ("machine_temperature_system_failure", 22695, (5000, 15500),
                     [2410, 3987, 16341, 19516], [[2410, 3987], [841, 4016]]),
    "nyc_taxi": ("nyc_taxi", 10320, (0, 5500),
                 [5943, 7184, 8527, 8835, 10081], [[443, 1684, 3027, 3335, 4581]]),
}
# Rows inside NAB windows (inclusive), counted independently with NAB's rule.
N_WINDOW_ROWS = {"ambient_temp": 726, "cpu_utilization": 1499, "ec2_request": 346,
                 "machine_temp": 2268, "nyc_taxi": 1035}


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Never read or write the user's real cache or NAB folder."""
    monkeypatch.setenv("SKVAELSTM_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("SKVAELSTM_NAB_HOME", raising=False)


@pytest.fixture(scope="module")
def paper():
    return {short: load_nab(short) for short in REFERENCE}


# --------------------------------------------------------------------- load_nab
@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_load_nab_shapes_and_dtypes(paper, short):
    stem, n, _, _, _ = REFERENCE[short]
    b = paper[short]
    assert b.name == stem
    assert b.nab_file == f"realKnownCause/{stem}.csv"
    assert b.timestamps.dtype == np.dtype("datetime64[s]") and b.timestamps.shape == (n,)
    assert b.data.dtype == np.float64 and b.data.shape == (n, 1)
    assert "values" not in b   # would shadow the dict method of a Bunch
    assert b.labels.shape == b.point_labels.shape == (n,)
    assert set(np.unique(b.labels)) <= {0, 1} and set(np.unique(b.point_labels)) <= {0, 1}
    assert b.feature_names == ["value"]
    assert b.frame is None
    assert "MIT" in b.DESCR and _nab_files._checksums()["commit"] in b.DESCR


@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_point_labels_match_reference_rows(paper, short):
    # Reference indices are 1-based: the labelled row is idx_anomaly - 1.
    _, _, _, idx_anomaly, idx_test = REFERENCE[short]
    b = paper[short]
    np.testing.assert_array_equal(np.flatnonzero(b.point_labels), np.array(idx_anomaly) - 1)
    # Same positions seen from each test segment.
    assert len(b.test_slices) == len(idx_test)
    for segment, expected in zip(b.test_slices, idx_test):
        np.testing.assert_array_equal(
            np.flatnonzero(b.point_labels[segment]), np.array(expected) - 1)


@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_splits_match_reference_and_train_is_anomaly_free(paper, short):
    _, n, (a, stop), _, _ = REFERENCE[short]
    b = paper[short]
    assert b.train_slice == slice(a, stop)
    assert b.labels[b.train_slice].sum() == 0
    assert b.point_labels[b.train_slice].sum() == 0
    # Train and test slices partition the rows.
    covered = np.zeros(n, dtype=int)
    for s in [b.train_slice, *b.test_slices]:
        covered[s] += 1
    assert (covered == 1).all()
    # Every labelled row is test data.
    assert sum(b.labels[s].sum() for s in b.test_slices) == b.labels.sum()


def test_machine_temp_has_two_test_slices(paper):
    assert paper["machine_temp"].test_slices == [slice(0, 5000), slice(15500, 22695)]
    assert paper["nyc_taxi"].test_slices == [slice(5500, 10320)]


@pytest.mark.parametrize("short", sorted(REFERENCE))
def test_labels_come_from_inclusive_windows(paper, short):
    b = paper[short]
    assert b.labels.sum() == N_WINDOW_ROWS[short]
    expected = np.zeros_like(b.labels)
    for start, end in b.anomaly_windows:
        assert start.dtype == end.dtype == np.dtype("datetime64[s]") and start < end
        inside = (b.timestamps >= start) & (b.timestamps <= end)
        expected[inside] = 1
        # Both window ends are rows of the file and are labelled.
        assert b.labels[b.timestamps == start].tolist() == [1]
        assert b.labels[b.timestamps == end].tolist() == [1]
    np.testing.assert_array_equal(b.labels, expected)
    # Each point label lies inside a window.
    assert (b.labels[b.point_labels == 1] == 1).all()


def test_file_order_is_kept(paper):
    ts = paper["ec2_request"].timestamps
    assert (ts[556:568] == np.datetime64("2014-03-09T03:00:00")).all()
    ts = paper["machine_temp"].timestamps
    assert ts[10148] == np.datetime64("2014-01-07T02:55") and ts[10149] == np.datetime64(
        "2014-01-07T02:00")
    assert ts.shape[0] - np.unique(ts).shape[0] == 12


def test_first_rows_values(paper):
    b = paper["nyc_taxi"]
    assert b.timestamps[0] == np.datetime64("2014-07-01T00:00:00")
    assert b.data[0, 0] == 10844.0 and b.data[1, 0] == 8127.0


@pytest.mark.parametrize("alias", ["machine_temp", "machine_temperature_system_failure",
                                   "realKnownCause/machine_temperature_system_failure.csv",
                                   "machine_temperature_system_failure.csv"])
def test_load_nab_aliases(alias):
    assert load_nab(alias).name == "machine_temperature_system_failure"


def test_load_nab_unknown_name():
    with pytest.raises(ValueError, match="Valid names: .*nyc_taxi.*machine_temp"):
        load_nab("realTraffic/speed_7578")
    with pytest.raises(TypeError):
        load_nab(3)


def test_as_frame():
    import pandas as pd

    b = load_nab("ec2_request", as_frame=True)
    assert list(b.frame.columns) == ["value", "label", "point_label"]
    assert b.frame.index.name == "timestamp" and len(b.frame) == 4032
    assert isinstance(b.frame.index, pd.DatetimeIndex)
    np.testing.assert_array_equal(b.frame["value"].to_numpy(), b.data[:, 0])
    np.testing.assert_array_equal(b.frame["label"].to_numpy(), b.labels)


def test_shipped_file_is_checksum_verified(monkeypatch):
    real = _nab_files._read_resource

    def corrupted(name):
        if name == "nyc_taxi.csv.gz":
            return gzip.compress(gzip.decompress(real(name)).replace(b"10844", b"10845"))
        return real(name)

    monkeypatch.setattr(_nab_files, "_read_resource", corrupted)
    with pytest.raises(OSError, match="Checksum mismatch.*nyc_taxi.csv.gz"):
        load_nab("nyc_taxi")


# -------------------------------------------------------------------- list_nab
def test_list_nab():
    names = list_nab()
    assert len(names) == 58 == len(set(names))
    assert "realTraffic/speed_7578" in names and "realKnownCause/nyc_taxi" in names
    assert "realAWSCloudwatch/grok_asg_anomaly" in names  # NAB's spelling
    assert len({n.split("/")[1] for n in names}) == 58  # bare stems are unambiguous


def test_fetch_nab_unknown_name():
    with pytest.raises(ValueError, match="Did you mean 'speed_7578'"):
        fetch_nab("speed_757")
    with pytest.raises(ValueError, match="list_nab"):
        fetch_nab("realTraffic/nope")


# ------------------------------------------------------ fetch_nab, local checkout
@needs_nab_home
def test_fetch_nab_paper_series_equal_load_nab(paper):
    for short, (stem, *_rest) in REFERENCE.items():
        b = fetch_nab(f"realKnownCause/{stem}", data_home=NAB_HOME)
        ref = paper[short]
        for field in ["timestamps", "data", "labels", "point_labels"]:
            np.testing.assert_array_equal(b[field], ref[field])
        assert b.train_slice == ref.train_slice and b.test_slices == ref.test_slices
        assert b.anomaly_windows == ref.anomaly_windows and b.DESCR == ref.DESCR


@needs_nab_home
def test_fetch_nab_all_series_from_local_checkout():
    windows = json.loads((NAB_HOME / "labels/combined_windows.json").read_text())
    points = json.loads((NAB_HOME / "labels/combined_labels.json").read_text())
    n_windows = n_points = 0
    for name in list_nab():
        b = fetch_nab(name, data_home=NAB_HOME)
        key = name + ".csv"
        assert b.nab_file == key and b.data.shape == (b.timestamps.shape[0], 1)
        assert len(b.anomaly_windows) == len(windows[key])
        assert b.point_labels.sum() == len(points[key])  # each stamp occurs once
        if not key.startswith("realKnownCause/") or "rogue" in key:
            assert b.train_slice is None and b.test_slices is None
        n_windows += len(b.anomaly_windows)
        n_points += int(b.point_labels.sum())
    assert (n_windows, n_points) == (116, 120)
    assert fetch_nab("speed_7578", data_home=NAB_HOME).data.shape == (1127, 1)


@needs_nab_home
def test_shipped_data_equal_local_checkout():
    sums = _nab_files._checksums()["sha256"]
    for rel in sums:
        assert hashlib.sha256((NAB_HOME / rel).read_bytes()).hexdigest() == sums[rel], rel
    shipped = _nab_files._known_cause_labels()
    for kind, file in [("windows", "combined_windows.json"), ("points", "combined_labels.json")]:
        full = json.loads((NAB_HOME / "labels" / file).read_text())
        assert shipped[kind] == {k: full[k] for k in shipped[kind]}


@needs_nab_home
def test_fetch_nab_env_var(monkeypatch):
    monkeypatch.setenv("SKVAELSTM_NAB_HOME", str(NAB_HOME))
    assert fetch_nab("art_flatline", download_if_missing=False).labels.sum() == 0


# ------------------------------------------------------ fetch_nab, download mocked
@pytest.fixture
def fake_remote(monkeypatch):
    """A pinned 'remote' holding nyc_taxi and label files built from shipped data.

    The full NAB label files are not shipped, so the checksum table is patched
    to the sha256 of small stand-in label files.
    """
    key = "realKnownCause/nyc_taxi.csv"
    shipped = _nab_files._known_cause_labels()
    remote = {
        "data/" + key: gzip.decompress(_nab_files._read_resource("nyc_taxi.csv.gz")),
        "labels/combined_windows.json": json.dumps({key: shipped["windows"][key]}).encode(),
        "labels/combined_labels.json": json.dumps({key: shipped["points"][key]}).encode(),
    }
    meta = json.loads(json.dumps(_nab_files._checksums()))
    for rel, data in remote.items():
        meta["sha256"][rel] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(_nab_files, "_checksums", lambda: meta)
    prefix = meta["url_template"].format(commit=meta["commit"], path="")
    calls = []

    def download(url, path):
        calls.append(url)
        Path(path).write_bytes(remote[url[len(prefix):]])

    monkeypatch.setattr(_nab_files, "_download", download)
    return remote, calls, meta


def _leftovers(folder):
    return [p for p in Path(folder).rglob("*") if p.name.endswith(".part")]


def test_fetch_nab_downloads_then_uses_cache(fake_remote, tmp_path):
    remote, calls, meta = fake_remote
    b = fetch_nab("nyc_taxi")  # cache = $SKVAELSTM_DATA/nab
    ref = load_nab("nyc_taxi")
    np.testing.assert_array_equal(b.labels, ref.labels)
    np.testing.assert_array_equal(b.data, ref.data)
    assert b.train_slice == slice(0, 5500)
    assert sorted(calls) == sorted(
        f"https://raw.githubusercontent.com/numenta/NAB/{meta['commit']}/{rel}" for rel in remote)
    root = tmp_path / "cache" / "nab"
    assert (root / "data/realKnownCause/nyc_taxi.csv").read_bytes() == remote[
        "data/realKnownCause/nyc_taxi.csv"]
    assert not _leftovers(root)
    calls.clear()
    fetch_nab("realKnownCause/nyc_taxi.csv", download_if_missing=False)
    assert calls == []


def test_fetch_nab_checksum_mismatch_on_download(fake_remote, tmp_path, monkeypatch):
    monkeypatch.setattr(_nab_files, "_download",
                        lambda url, path: Path(path).write_bytes(b"timestamp,value\n"))
    with pytest.raises(OSError, match="Checksum mismatch.*downloaded from"):
        fetch_nab("nyc_taxi", data_home=tmp_path / "nab")
    assert not (tmp_path / "nab/data/realKnownCause/nyc_taxi.csv").exists()
    assert not _leftovers(tmp_path)


def test_fetch_nab_offline(fake_remote, tmp_path, monkeypatch):
    def offline(url, path):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(_nab_files, "_download", offline)
    with pytest.raises(ConnectionError, match="data_home") as info:
        fetch_nab("nyc_taxi", data_home=tmp_path / "nab")
    assert isinstance(info.value, OSError)
    assert not _leftovers(tmp_path)
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_nab("nyc_taxi", data_home=tmp_path / "nab", download_if_missing=False)


def test_fetch_nab_corrupted_local_file(fake_remote, tmp_path):
    remote, calls, _ = fake_remote
    path = tmp_path / "nab/data/realKnownCause/nyc_taxi.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(remote["data/realKnownCause/nyc_taxi.csv"][:-1])
    with pytest.raises(OSError, match=f"Checksum mismatch for the local file {path}"):
        fetch_nab("nyc_taxi", data_home=tmp_path / "nab")
    assert calls == []


def test_real_download_function_with_file_url(fake_remote, tmp_path, monkeypatch):
    # Exercise the real urllib code path on file:// URLs (no network needed).
    remote, _, meta = fake_remote
    monkeypatch.setattr(_nab_files, "_download", REAL_DOWNLOAD)
    mirror = tmp_path / "mirror"
    for rel, data in remote.items():
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        (mirror / rel).write_bytes(data)
    meta["url_template"] = mirror.as_uri() + "/{path}"
    b = fetch_nab("nyc_taxi", data_home=tmp_path / "nab")
    assert b.point_labels.sum() == 5
    os.remove(tmp_path / "nab/data/realKnownCause/nyc_taxi.csv")
    meta["url_template"] = (tmp_path / "missing").as_uri() + "/{path}"
    with pytest.raises(ConnectionError, match="SKVAELSTM_NAB_HOME"):
        fetch_nab("nyc_taxi", data_home=tmp_path / "nab")
