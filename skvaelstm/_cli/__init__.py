"""The command line (``skvaelstm.cli`` dispatches here): its flags, generated from
the estimator's parameters, the exit policy, reading DATA, fitting and writing
scores, ``watch`` and the demo. The top layer: nothing else imports it.
"""
