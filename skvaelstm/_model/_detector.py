"""The scikit-learn estimator: ``VAELSTMDetector``."""

from numbers import Integral, Real

from sklearn.base import BaseEstimator, OutlierMixin

from .._scoring._options import COMBINATIONS, PER_ROW, POOLED, SOURCES
from ._compat import Interval, StrOptions, _fit_context
from ._device import _DevicePortablePickle
from ._fitting import _Fitting
from ._scores import _OutlierScores
from ._threshold import _Threshold

__all__ = ["VAELSTMDetector"]


class VAELSTMDetector(_DevicePortablePickle, _Fitting, _Threshold, _OutlierScores, OutlierMixin,
                      BaseEstimator):
    """VAE-LSTM hybrid anomaly detector for (multivariate) time series.

    A variational auto-encoder (VAE) learns windows of ``window_size``
    consecutive rows; a stacked LSTM reads the VAE latent means of the
    ``n_windows - 1`` non-overlapping windows before a window and predicts that
    window's code; the decoder turns the prediction back into a window. A row is
    anomalous when it differs from what was predicted for it (Lin et al., 2020),
    and, unlike the paper, every input row gets its own score.

    Rows are time steps in order (regular sampling assumed), columns are
    channels. Inputs are standardised with statistics learned in ``fit``.

    Parameters
    ----------
    window_size : int or "auto", default=48
        Rows per window (the paper's ``l_win``); at least 2. ``"auto"``: the
        dominant period of the training data (TSB-AD's autocorrelation rule,
        median over channels) within 16 .. 96 rows, 48 without a period, and
        no larger than the training rows can fit; the choice is stored in
        ``window_size_``.
    code_size : int, default=6
        Size of the VAE latent code.
    n_windows : int, default=12
        Windows per LSTM training sequence (the paper's ``l_seq``): a prediction
        reads up to ``n_windows - 1`` preceding windows. At least 2.
    vae_hidden_size : int, default=64
        Width of the VAE (the paper's ``num_hidden_units``, 512 there); the
        convolution channels grow from ``vae_hidden_size // 16``. The default
        was chosen on 11 NAB tuning series by skvaelstm 0.1's tuning run
        (benchmarks/results/tune_defaults.md at git commit c2736fd): wider
        networks scored no better and fit 1.7x slower (10.9 s vs 6.3 s mean
        fit there).
    lstm_hidden_size : int, default=16
        Units of each of the two LSTM layers (64 in the paper).
    sigma : float, default=0.1
        Fixed standard deviation of the Gaussian likelihood of the VAE (in
        standardised units); it weights reconstruction against the KL term.
    score_aggregation : str, default="window_max"
        How the errors of the windows around a row become its score. Errors
        are squared differences from the data in units of each channel's
        typical error (``error_scale_``), combined over channels.

        Pooled options: each window first gets one error, the mean
        (``*_mean``) or the maximum (``*_max``) over its rows:

        - ``"window_max"``, ``"window_mean"``: a row gets the mean over the
          complete windows covering it. **Not causal**: a row's score reads up
          to ``window_size - 1`` later rows, so the scores of the last
          ``window_size - 1`` rows of an input change when rows are appended.
          ``"window_max"`` is the default: with ``error_source="both"`` the
          best mean VUS-PR over the 55 tuning series (43 NAB, 12 ASD;
          benchmarks/results/tune_defaults.md). Labelled anomaly
          windows are wide, short spikes are not: a row's own error is often
          ordinary noise, the windows around it are not.
        - ``"trailing_max"``, ``"trailing_mean"``: a row gets the error of the
          window ending at it. **Causal**: what live monitoring needs.

        Per-row options (``error_source="prediction"`` only; causal): a row's
        own errors in the predicted windows covering it, i.e. those starting
        in ``r - window_size + 1 .. r`` (and at or after ``window_size``):

        - ``"mean"``: their mean; ``"max"``: their maximum;
        - ``"newest"``: the error in the window starting at the row, predicted
          from the most recent context (the default of skvaelstm 0.1).

        Causal options give the same scores to a prefix of a series as to the
        whole series, for the prefix rows.
    error_source : {"both", "prediction", "reconstruction"}, default="both"
        Which windows rows are compared with: the LSTM's ``"prediction"`` of a
        window from the windows before it (the paper's score), the VAE's
        ``"reconstruction"`` of the window from its own code, or ``"both"``
        (the mean of the two; each is in units of its own typical error on
        the validation tail, so neither dominates by scale). Reconstructions
        read the whole window: only the pooled aggregations accept them.
        ``"both"`` is the default (best on the univariate NAB tuning series);
        on the multivariate ASD servers ``"reconstruction"`` scored higher
        (VUS-PR 0.583 vs 0.536), so prefer it for many-KPI data.
    channel_combination : str, default="geometric"
        How a row's errors in the channels become one (``e_c``: a channel's
        squared error in units of ``error_scale_``): ``"geometric"``
        (``exp(mean(log(1 + e_c))) - 1``: one channel far off counts less than
        several), ``"mean"``, ``"max"``, ``"top3"`` (mean of the 3 largest),
        ``"common_scale"`` (squared errors over the sum of the typical errors:
        0.1's rule) or ``"tail"`` (each ``e_c`` as the negative log of its tail
        probability on the validation tail, ``error_tail_``, combined as
        ``"geometric"``). For one channel every rule gives the same score.
        A scoring option: no refit needed, but ``offset_`` belongs to the rule
        of ``fit``. The rules and their ``channel_scores`` parts: README.
    missing : {"error", "mask"}, default="error"
        What NaN values (missing points) do. ``"error"``: ``fit`` and scoring
        refuse them, so that a gap never passes unnoticed. ``"mask"``: they are
        masked as Donut (Xu et al., WWW 2018) does, in training (left out of
        the VAE's loss; windows more than half missing are skipped) and in
        scoring (a row's error combines its observed channels; a row is never
        high for being missing); a row with no error in any window around it
        gets NaN, labelled +1 by ``predict``. Without NaN, ``"mask"`` gives the
        scores of ``"error"`` bit for bit. The rules: the user guide's
        "Missing values". Infinities are refused either way. ``"error"`` stays
        the default: masking was level with linear interpolation at best (NAB,
        5 % missing) and below it on the 19-KPI ASD servers
        (benchmarks/results/missing_notes.md).
    contamination : "auto", float or "pot", default="auto"
        The rule that sets the threshold ``offset_`` from the scores of the
        training rows (kept in ``train_scores_``; ``set_threshold`` applies
        another rule without refitting):

        - if ``"auto"``, ``offset_`` is the 1st percentile of the training
          scores (1% of training rows are flagged). Not ``IsolationForest``'s
          ``"auto"`` (a fixed offset of its paper's score, which has no
          counterpart here): ``"auto"`` is ``0.01``. On the NAB tuning series
          this flagged about 15% of the normal rows after the training segment
          (data drift); thresholds from the held-out validation tail flagged
          twice as many (measured with skvaelstm 0.1's row scores,
          benchmarks/results/tune_defaults.md at git commit c2736fd);
        - if a float in (0, 0.5], that percentile, as in ``IsolationForest``;
        - if ``"pot"``, peaks over threshold (Siffer et al., 2017): a
          generalised Pareto distribution is fitted (maximum likelihood) to the
          excesses of the training rows' errors (``-train_scores_``) over their
          ``pot_level`` quantile, and a row is flagged when its error exceeds
          the level that normal errors exceed with probability ``pot_risk``.
          It extrapolates beyond the training scores instead of flagging a
          fixed share of them. It needs at least 10 excesses (for
          ``pot_level=0.98``, 500 training rows) and raises ``InputError``
          when the tail cannot be fitted.
    pot_risk : float, default=1e-4
        With ``contamination="pot"``: the probability that a normal row's
        error exceeds the threshold (SPOT's ``q``); it must be below the share
        of rows over the initial threshold, ``1 - pot_level``.
    pot_level : float, default=0.98
        With ``contamination="pot"``: the quantile of the training errors over
        which the tail is fitted (SPOT's initial threshold ``t``).
    max_iter : int, default=20
        Maximum epochs of each training stage (VAE, then LSTM); with
        ``learning_rate="cosine"`` also the length of the schedule. 20 rather
        than 25 (skvaelstm 0.2.0's first default): 0.8x the optimiser steps for a
        paired VUS-PR difference of -0.001 on the 43 NAB tuning series and
        -0.007 on the 12 ASD entities; 15 epochs lost 0.013 on ASD
        (benchmarks/results/tune_faster.md).
    batch_size : int, default=256
        Windows (VAE) or sequences (LSTM) per mini-batch.
    learning_rate : {"cosine", "constant"}, default="cosine"
        Learning-rate schedule of both stages: ``"cosine"`` lowers it after
        every mini-batch along half a cosine to 0 at epoch ``max_iter``, which
        then is the planned end of training (no ``ConvergenceWarning``). The
        cosine schedule from 1e-2 (over 25 epochs) fitted the tuning series 3-4x
        faster than skvaelstm 0.1's constant 2e-3 for up to 100 epochs, at the
        same VUS-PR (benchmarks/results/tune_defaults.md).
    learning_rate_init : float, default=1e-2
        Adam learning rate of both stages (the initial one with ``"cosine"``).
        Training that diverges (a non-finite loss or weight, or a loss 1e4
        times that of the untrained network) raises ``FloatingPointError`` and
        leaves the estimator as it was.
    early_stopping : bool, default=True
        Hold out the last ``validation_fraction`` of the training rows (a
        chronological tail, never a random split of overlapping windows), stop
        each stage when its validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the best weights. If False,
        a stage stops when its training loss stalls in the same way.
    validation_fraction : float, default=0.1
        Share of training rows in the validation tail; it must hold at least
        ``2 * window_size`` rows.
    n_iter_no_change : int, default=10
        Patience of the stopping rule, in epochs.
    tol : float, default=1e-4
        Minimum loss improvement (losses are per window element).
    device : str, default="auto"
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"``; resolved in ``fit`` into ``device_``.
    n_threads : int or None, default=1
        Torch intra-op threads for ``fit`` and scoring, set for the call in
        the calling thread and restored afterwards (see Notes). One thread is
        the default: the small networks gain little from more threads on an
        idle machine, and on a busy one torch's threads stall each other (on 2
        cores next to one CPU-bound process a default fit took 5.7 s with 1
        thread and did not finish within 120 s with 2, over 20x longer;
        benchmarks/results/threads.md). None: use torch's current setting
        (``torch.get_num_threads()``).
    verbose : int, default=0
        0: silent; 1: progress bars (tqdm) for both stages; 2: one log record
        per epoch on the ``"skvaelstm"`` logger (level INFO).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the VAE's sampling. With an
        int, two fits with the same ``n_threads`` and torch build give
        bit-identical scores on CPU (floating-point sums are split differently
        over another number of threads, which changes the last bits and then
        the training path). The global numpy, torch and Python RNGs are never
        used or changed.

    Attributes
    ----------
    window_size_ : int
        The window size used: ``window_size``, or the one chosen by ``"auto"``.
    n_windows_ : int
        ``n_windows``, or fewer for short training data (see Notes).
    validation_rows_ : int
        Rows of the validation tail (0 without early stopping).
    error_tail_ : ndarray of shape (2, 2, n_features_in_)
        Per source, the median and the e-folding length of each channel's
        scaled errors on the validation tail (``channel_combination="tail"``).
    error_scale_ : ndarray of shape (2, n_features_in_)
        Typical squared error of each channel (standardised units): the median
        over the validation tail (without early stopping: over the training
        rows) of the LSTM-predicted windows (row 0) and of the VAE
        reconstructions (row 1). Errors are divided by it, so each channel is
        measured against its own normal error level; a channel below a tenth of
        the median channel's level gets that floor, so that a channel which
        was (nearly) constant in training cannot decide every score.
    offset_ : float
        ``decision_function = score_samples - offset_``: rows with a negative
        decision value are predicted anomalous.
    train_scores_ : ndarray of shape (n_samples,), dtype float64
        ``score_samples`` of the training rows (8 bytes a row), which
        ``offset_`` comes from: ``set_threshold`` derives it again from them.
    threshold_params_ : dict
        The parameters ``offset_`` belongs to: the scoring options of
        ``train_scores_`` (``score_aggregation``, ``error_source``,
        ``channel_combination``) and the rule (``contamination``,
        ``pot_risk``, ``pot_level``).
    mean_ : ndarray of shape (n_features_in_,)
        Per-channel mean of the training data.
    scale_ : ndarray of shape (n_features_in_,)
        Per-channel standard deviation of the training data; for (nearly)
        constant channels (at most 1e-6 of the mean), which ``fit`` warns
        about: 1, as in ``StandardScaler``, or the float64 resolution of the
        mean when that is larger.
    vae_ : torch.nn.Module
        The fitted VAE (``encoder`` and ``decoder``).
    lstm_ : torch.nn.Module
        The fitted LSTM code predictor.
    device_ : torch.device
        Device the networks live on.
    n_iter_ : ndarray of shape (2,)
        Epochs run by the VAE and by the LSTM stage.
    loss_curve_ : dict
        ``{"vae": [...], "lstm": [...]}``, the training loss of each epoch.
    validation_loss_curve_ : dict
        The same for the validation tail (empty lists without early stopping).
    best_validation_loss_ : dict or None
        Best validation loss of each stage; None without early stopping.
    n_features_in_ : int
        Number of channels seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Channel names, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based detector; needs lag features
        to see time.
    skvaelstm.streaming.StreamScorer : Scores of a live series as rows arrive,
        equal to ``score_samples``.

    Notes
    -----
    Fitting needs ``window_size * n_windows`` rows plus a validation tail of
    ``2 * window_size`` rows with early stopping. With fewer, ``fit`` shrinks
    and warns (``UserWarning``): the tail to ``2 * window_size`` rows,
    ``n_windows`` to what the other rows hold, no fewer than 3 (defaults: from
    240 rows; 300 rows give ``n_windows_=4``). Scoring needs at
    least ``2 * window_size`` rows with the pooled aggregations (one complete
    predicted window) and ``window_size + 1`` with the per-row ones. Rows that
    no window of the chosen option scores (warm-up: the first ``window_size``
    rows; with ``trailing_*`` and predictions the first ``2 * window_size - 1``)
    get the VAE's reconstruction error of the first window instead, pooled the
    same way: a measured value, never a fill.

    Torch's thread count is set per calling thread (OpenMP), so fits and
    scoring calls running at once in several threads of one process each keep
    their own ``n_threads`` (tested: bit-identical to running alone), and each
    thread gets its own previous setting back.

    ``set_params`` may change the scoring options (``score_aggregation``,
    ``error_source``, ``channel_combination``) of a fitted detector:
    ``score_samples`` then follows the new options at once. ``offset_`` and
    ``train_scores_`` still belong to the options of ``fit``, so
    ``decision_function`` and ``predict`` raise ``NotFittedError`` until
    ``set_threshold(X_train)`` scores the training rows with the new options
    (the detector keeps their scores, not the rows) or the detector is refitted.
    Likewise after ``set_params`` changed ``contamination``, ``pot_risk`` or
    ``pot_level``: ``set_threshold()`` derives ``offset_`` from
    ``train_scores_``, no rows needed.

    References
    ----------
    .. [1] S. Lin, R. Clark, R. Birke, S. Schönborn, N. Trigoni and S. Roberts,
       "Anomaly Detection for Time Series Using VAE-LSTM Hybrid Model", ICASSP
       2020, :doi:`10.1109/ICASSP40776.2020.9053558`.
    .. [2] A. Siffer, P.-A. Fouque, A. Termier and C. Largouët, "Anomaly
       Detection in Streams with Extreme Value Theory", KDD 2017,
       :doi:`10.1145/3097983.3098144`.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm import VAELSTMDetector
    >>> t = np.arange(2000)
    >>> X = np.sin(2 * np.pi * t / 50)[:, None]
    >>> det = VAELSTMDetector(window_size=10, n_windows=4, max_iter=5,
    ...                       random_state=0).fit(X)
    >>> det.decision_function(X).shape
    (2000,)
    >>> sorted(set(det.predict(X).tolist()))
    [-1, 1]
    """

    _parameter_constraints: dict = {
        "window_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "code_size": [Interval(Integral, 1, None, closed="left")],
        "n_windows": [Interval(Integral, 2, None, closed="left")],
        "vae_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "lstm_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "score_aggregation": [StrOptions(set(PER_ROW + POOLED))],
        "error_source": [StrOptions(set(SOURCES))],
        "channel_combination": [StrOptions(set(COMBINATIONS))],
        "missing": [StrOptions({"error", "mask"})],
        "contamination": [StrOptions({"auto", "pot"}), Interval(Real, 0, 0.5, closed="right")],
        "pot_risk": [Interval(Real, 0, 1, closed="neither")],
        "pot_level": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, window_size=48, code_size=6, n_windows=12, vae_hidden_size=64,
                 lstm_hidden_size=16, sigma=0.1, score_aggregation="window_max",
                 error_source="both", channel_combination="geometric", missing="error",
                 contamination="auto",
                 pot_risk=1e-4, pot_level=0.98, max_iter=20, batch_size=256,
                 learning_rate="cosine", learning_rate_init=1e-2,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4,
                 device="auto", n_threads=1, verbose=0, random_state=None):
        self.window_size = window_size
        self.code_size = code_size
        self.n_windows = n_windows
        self.vae_hidden_size = vae_hidden_size
        self.lstm_hidden_size = lstm_hidden_size
        self.sigma = sigma
        self.score_aggregation = score_aggregation
        self.error_source = error_source
        self.channel_combination = channel_combination
        self.missing = missing
        self.contamination = contamination
        self.pot_risk = pot_risk
        self.pot_level = pot_level
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the VAE, then the LSTM, on the time series ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps in order, columns channels. Preferably free of
            anomalies (the paper trains on an anomaly-free segment).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._fit_or_restore(X)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "offset_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "mask"
        return tags

