"""
A model saved, loaded and used from the command line
====================================================

Fit a detector in Python, save it in the safe model format
(:func:`~skvaelstm.persistence.save_model`: tensors and JSON with a checksum,
never unpickled when read), look at the file without building the model
(:func:`~skvaelstm.persistence.read_model_info`), load it back, and score new
rows with the ``skvaelstm`` command, giving it the rows just before them as
``--context`` so the new rows get the scores they have in the whole series.
"""

# %%
# Fit in Python, save, inspect, load
# ----------------------------------
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.persistence import load_model, read_model_info, save_model

taxi = load_nab("nyc_taxi", as_frame=True)
frame = taxi.frame[["value"]].reset_index()  # columns: timestamp, value
print(frame.head(3))

workdir = tempfile.mkdtemp()
model_path = os.path.join(workdir, "taxi.skv")
det = VAELSTMDetector(max_iter=5, random_state=0).fit(frame[["value"]].iloc[:5500])
save_model(det, model_path, metadata={"series": "nyc_taxi"})

info = read_model_info(model_path)
print({key: info[key] for key in ("format_version", "metadata")})
print("window_size:", info["params"]["window_size"])

same = load_model(model_path)
assert np.array_equal(same.score_samples(frame[["value"]]), det.score_samples(frame[["value"]]))

# %%
# Score new rows from the command line
# ------------------------------------
# ``old.csv`` holds the rows up to the new ones (their history), ``new.csv`` the
# last 1,000 rows. ``python -m skvaelstm`` is the ``skvaelstm`` command.
frame.iloc[:-1000].to_csv(os.path.join(workdir, "old.csv"), index=False)
frame.iloc[-1000:].to_csv(os.path.join(workdir, "new.csv"), index=False)
cmd = [sys.executable, "-m", "skvaelstm", "score", "new.csv", "-m", "taxi.skv",
       "--context", "old.csv", "--time-column", "timestamp", "-o", "scores.csv", "-q"]
done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
print("exit code", done.returncode, done.stderr)
out = pd.read_csv(os.path.join(workdir, "scores.csv"), parse_dates=["timestamp"])
print(out.head(3))

# The command line and Python agree on every row:
assert np.allclose(out["score"], det.score_samples(frame[["value"]])[-1000:])

# %%
# The scores the command wrote
# ----------------------------
import matplotlib.pyplot as plt

fig, axes = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, constrained_layout=True)
axes[0].plot(out["timestamp"], out["value"], color="k", lw=0.6)
axes[0].set_ylabel("passengers")
axes[1].plot(out["timestamp"], out["decision"], lw=0.7)
axes[1].axhline(0, color="tab:red", ls="--", lw=0.8)
flag = out["predicted"] == -1
axes[1].scatter(out["timestamp"][flag], out["decision"][flag], s=6, color="tab:red",
                label="predicted = -1")
axes[1].set_ylabel("decision")
axes[1].legend(loc="lower left")
axes[0].set_title("skvaelstm score new.csv -m taxi.skv --context old.csv")
plt.show()
