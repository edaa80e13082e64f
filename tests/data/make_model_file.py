"""Write the committed model file that tests/test_model_files.py must keep loading.

Run it only when the model file format changes on purpose (then also bump the
format version), never to make a failing compatibility test pass::

    python tests/data/make_model_file.py

It writes ``model_format1.skv`` (a small detector fitted on two seasonal
channels), the input ``model_format1_X.npy`` and the scores of that input
``model_format1_scores.npy``.
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main():
    from skvaelstm import VAELSTMDetector
    from skvaelstm.persistence import save_model

    rng = np.random.default_rng(0)
    t = np.arange(300)[:, None]
    X = np.sin(2 * np.pi * t / 25 + np.arange(2)) + 0.05 * rng.standard_normal((300, 2))
    det = VAELSTMDetector(window_size=4, n_windows=3, code_size=2, vae_hidden_size=16,
                          lstm_hidden_size=8, max_iter=3, random_state=0).fit(X)
    save_model(det, HERE / "model_format1.skv")
    np.save(HERE / "model_format1_X.npy", X)
    np.save(HERE / "model_format1_scores.npy", det.score_samples(X))


if __name__ == "__main__":
    main()
