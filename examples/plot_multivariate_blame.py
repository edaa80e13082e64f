"""
Which KPI is to blame on a server
=================================

A server entity reports several KPIs at once. :class:`~skvaelstm.VAELSTMDetector`
takes them as the columns of one input and scores each row; its
``channel_scores`` split every row's score over the channels (the parts add up
to the score), and :func:`~skvaelstm.explain.top_channels` names the channels
most to blame in each run of flagged rows.

The server here is synthetic, so that the example runs offline and the cause of
the incident is known: four KPIs follow one daily load curve (96 rows a day,
15-minute steps), and from row 3,600 on, for 40 rows, ``latency`` and
``errors`` climb while ``cpu`` and ``memory`` stay normal. For multivariate
server KPIs ``error_source="reconstruction"`` scored higher in the tuning of
the defaults (ASD, ``benchmarks/results/tune_defaults.md``), so it is used here.
"""

# %%
# A server with four KPIs and one incident
# ----------------------------------------
import numpy as np
import pandas as pd

from skvaelstm import VAELSTMDetector
from skvaelstm.explain import top_channels

rng = np.random.default_rng(1)
n = 4200
load = np.sin(2 * np.pi * np.arange(n) / 96)
server = pd.DataFrame({
    "cpu": 50 + 20 * load + rng.normal(0, 2, n),
    "memory": 60 + 5 * load + rng.normal(0, 0.5, n),
    "latency": 120 + 30 * load + rng.normal(0, 4, n),
    "errors": 2 + load + rng.normal(0, 0.3, n),
})
incident = slice(3600, 3640)
server.loc[3600:3639, "latency"] += np.linspace(40, 120, 40)
server.loc[3600:3639, "errors"] += np.linspace(2, 6, 40)

det = VAELSTMDetector(error_source="reconstruction", max_iter=5, random_state=0)
det.fit(server.iloc[:3000])  # the first 3,000 rows: normal operation

# %%
# Flagged segments and the channels to blame
# ------------------------------------------
parts = det.channel_scores(server)  # (n_rows, 4); each row sums to score_samples
flagged = det.predict(server)
segments = top_channels(parts, flagged, k=2, channel_names=list(server.columns))
for seg in segments:  # start and stop are inclusive row numbers
    if seg["stop"] - seg["start"] >= 9:  # runs of 10 or more flagged rows
        print(seg["start"], "to", seg["stop"], ":",
              ", ".join(f"{name} ({share:.2f})" for name, share in seg["channels"]))
print("incident rows", incident.start, "to", incident.stop - 1)

# %%
# With the default ``score_aggregation="window_max"`` a row's score is the mean
# over the windows that cover it, so the flags start up to ``window_size - 1``
# rows before the incident and end as many rows after it. Use
# ``"trailing_max"`` when a flag must never precede its cause (live monitoring).

# %%
# The plot
# --------
# :func:`~skvaelstm.plotting.plot_anomalies` draws one panel per KPI and the
# score, flags in red, the incident shaded; given ``channel_scores`` it names
# the top channels of each flagged segment.
import matplotlib.pyplot as plt

from skvaelstm.plotting import plot_anomalies

labels = np.zeros(n, dtype=int)
labels[incident] = 1
view = slice(3000, n)  # the rows after training
fig = plot_anomalies(server.iloc[view], det.score_samples(server)[view],
                     threshold=det.offset_, labels=labels[view], timestamps=np.arange(n)[view],
                     channel_scores=parts[view], top_k=2,
                     title="synthetic server: scored rows after training")
plt.show()
