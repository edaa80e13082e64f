"""Fit VAELSTMDetector on the bundled NYC-taxi series and compare with IsolationForest.

Run: python examples/quickstart.py
(the default detector fitted on 5,500 rows: on 2 CPU cores the defaults fit 4,032 rows
in 5.5 s, benchmarks/results/threads.md, and 10,000 rows in 11.2 s, benchmarks/results/speed.md)
"""

from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.metrics import average_precision_anomaly
from skvaelstm.preprocessing import LagWindows

taxi = load_nab("nyc_taxi")                      # bundled, works offline
X, train, test = taxi.data, taxi.train_slice, taxi.test_slices[0]
y = -2 * taxi.labels + 1                         # sklearn convention: -1 anomaly, +1 normal

det = VAELSTMDetector(window_size=48, code_size=6, random_state=0).fit(X[train])
scores = det.decision_function(X)                # one float64 per row; negative = anomalous
labels = det.predict(X)                          # +1 normal / -1 anomaly
iforest = make_pipeline(LagWindows(48), IsolationForest(random_state=0)).fit(X[train])
for name, s in [("VAE-LSTM", scores), ("IsolationForest", iforest.decision_function(X))]:
    print(name, "AUC-PR", round(average_precision_anomaly(y[test], s[test]), 3))
