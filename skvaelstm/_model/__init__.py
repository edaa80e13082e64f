"""The estimator and its networks: ``VAELSTMDetector`` (``_detector``), what ``fit``
does (``_fitting``), the VAE, the LSTM, their training loop, standardisation,
input validation and the sizes ``fit`` needs. Imports the scoring engine
(``skvaelstm._scoring``); never files, metrics, plotting or the command line.
"""
