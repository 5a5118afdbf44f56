"""Strict validation of predictions files and their masks (protocol §3), and truth errors."""

from evaluator.validation.errors import MAX_LISTED, PredictionError, TruthError
from evaluator.validation.files import DEFAULT_MAX_FILE_BYTES
from evaluator.validation.predictions import Predictions, read_predictions

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "MAX_LISTED",
    "PredictionError",
    "Predictions",
    "TruthError",
    "read_predictions",
]
