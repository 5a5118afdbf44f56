"""ForgeryBench metrics engine and offline scorer (pure Python + numpy, no Django).

The platform's score step and reviewers' offline runs share one code path:
:func:`evaluator.scoring.score_files`, also available as ``python -m evaluator score``.
"""

from evaluator.splitformat import PROTOCOL_VERSION

__version__ = "0.1.0"

__all__ = ["PROTOCOL_VERSION", "__version__"]
