"""Alerts as events (``explain.events``) and the event-level metrics."""

import numpy as np
import pytest

from skvaelstm.explain import events
from skvaelstm.metrics import event_precision, event_recall, false_alarms_per_10k


def test_runs_merge_across_short_gaps_and_short_events_are_dropped():
    flagged = np.array([0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1])
    spans = [(e["start"], e["end"], e["rows"]) for e in events(flagged)]
    assert spans == [(1, 2, 2), (4, 4, 1), (7, 7, 1), (11, 13, 3)]
    spans = [(e["start"], e["end"], e["rows"]) for e in events(flagged, merge_gap=1)]
    assert spans == [(1, 4, 3), (7, 7, 1), (11, 13, 3)]
    spans = [(e["start"], e["end"]) for e in events(flagged, merge_gap=2, min_length=2)]
    assert spans == [(1, 7), (11, 13)]
    assert [e["start"] for e in events(flagged, merge_gap=3, min_length=4)] == [1]
    # predict output (+1/-1) reads as 0/1
    assert events(1 - 2 * flagged, merge_gap=1) == events(flagged, merge_gap=1)
    assert events(np.ones(5, dtype=int)) == []


def test_peak_channels_and_times():
    flagged = [1, -1, -1, 1, 1]
    scores = [0.0, -2.0, np.nan, 1.0, 1.0]
    parts = np.zeros((5, 2))
    parts[1:3] = [[-0.1, -3.0], [-0.1, -1.0]]
    (event,) = events(flagged, scores, channel_scores=parts, k=1, channel_names=["a", "b"],
                      timestamps=["t0", "t1", "t2", "t3", "t4"])
    assert event == {"start": 1, "end": 2, "rows": 2, "peak_row": 1, "peak_score": -2.0,
                     "channels": [("b", pytest.approx(4 / 4.2, abs=1e-6))],
                     "start_time": "t1", "end_time": "t2"}
    (event,) = events(flagged, [0.0, np.nan, np.nan, 1.0, 1.0])
    assert event["peak_row"] is None and event["peak_score"] is None


@pytest.mark.parametrize("kwargs,message", [
    ({"merge_gap": -1}, "merge_gap must be an int >= 0"),
    ({"min_length": 0}, "min_length must be an int >= 1"),
    ({"min_length": 1.5}, "min_length must be an int >= 1"),
    ({"scores": [1.0, 2.0]}, r"scores must have shape \(4,\)"),
    ({"timestamps": [1, 2, 3]}, r"timestamps must have shape \(4,\)"),
    ({"channel_scores": np.zeros(4)}, "channel_scores must have shape"),
    ({"channel_scores": np.zeros((4, 2)), "channel_names": ["a"]}, "1 names for 2"),
])
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        events([1, -1, 1, 1], **kwargs)
    with pytest.raises(ValueError, match="labels must hold"):
        events([1, 2, 3])


# labelled segments: rows 2-4 and 10-11; 16 normal rows of 21
Y = np.zeros(21, dtype=int)
Y[2:5] = 1
Y[10:12] = 1


def test_event_metrics_exact_values():
    predicted = [(0, 2), (6, 8), (11, 11), (15, 20), (18, 18)]
    # events overlapping a segment: (0, 2) and (11, 11); both segments recalled
    assert event_precision(Y, predicted) == 2 / 5
    assert event_recall(Y, predicted) == 1.0
    assert false_alarms_per_10k(Y, predicted) == 1e4 * 3 / 16
    assert event_recall(Y, [(5, 9)]) == 0.0      # touching, not overlapping
    assert event_recall(Y, [(4, 9)]) == 0.5
    assert event_precision(Y, []) == 0.0 and false_alarms_per_10k(Y, []) == 0.0
    # +1/-1 labels, event dicts and predict output give the same numbers
    dicts = [{"start": s, "end": e} for s, e in predicted]
    assert event_precision(1 - 2 * Y, dicts) == 2 / 5
    labels = np.ones(21, dtype=int)
    labels[[3, 4, 7, 19]] = -1           # runs 3-4 (hit), 7 and 19 (false)
    assert event_precision(Y, labels) == 1 / 3
    assert event_recall(Y, labels) == 0.5
    assert false_alarms_per_10k(Y, labels) == 1e4 * 2 / 16
    merged = events(labels, merge_gap=3)   # 3-7 is one event now
    assert event_precision(Y, merged) == 1 / 2


@pytest.mark.parametrize("y,predicted,message", [
    (Y, [(3, 2)], "0 <= start <= end < 21"),
    (Y, [(0, 21)], "0 <= start <= end < 21"),
    (Y, [(0.5, 2)], "0 <= start <= end"),
    (Y, np.ones(5), "events holds 5 labels; y_true 21"),
    (np.zeros(21, dtype=int), [(0, 1)], "y_true contains no anomaly"),
])
def test_event_metrics_refuse_bad_input(y, predicted, message):
    with pytest.raises(ValueError, match=message):
        if "no anomaly" in message:
            event_recall(y, predicted)
        else:
            event_precision(y, predicted)
    with pytest.raises(ValueError, match="only anomalies"):
        false_alarms_per_10k(np.ones(4, dtype=bool), [(0, 1)])
