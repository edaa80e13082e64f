"""The exceptions and warning of model files (public in :mod:`skvaelstm.persistence`)."""

from ..exceptions import InputError

__all__ = ["ModelFileError", "ModelUpgradeWarning", "UntrustedModelFileError"]


class ModelFileError(InputError):
    """A model file is missing parts, corrupted, truncated or of another format,
    or cannot be read safely here."""


class UntrustedModelFileError(ModelFileError):
    """A model file can only be read by unpickling, and ``trusted`` was not set."""


class ModelUpgradeWarning(UserWarning):
    """A model of an older skvaelstm was loaded with something changed (see the message)."""


# Shown where users meet them: tracebacks, reprs and docs say
# skvaelstm.persistence.ModelFileError, which is where they are imported from.
for _class in (ModelFileError, UntrustedModelFileError, ModelUpgradeWarning):
    _class.__module__ = "skvaelstm.persistence"
del _class


def _corrupted(path, detail="the archive cannot be read"):
    # torch's own messages are long and sometimes misleading (an "Unsupported
    # operand" blurb about weights_only); they stay in the exception chain.
    return ModelFileError(f"{path} is truncated or corrupted ({detail}); it is not a valid "
                          "skvaelstm model file.")
