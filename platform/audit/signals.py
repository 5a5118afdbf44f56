"""Signals of the audit log, for the apps above it.

``log_verifying``: sent by ``verify_audit_log`` once the chain itself verifies, unless
``--chain-only``. A receiver checks the rows the log pinned (the review app checks that every
Result still holds the numbers its ``result_written`` entry pinned) and returns a list of
findings, each one line of text; no findings means every row it checked matches.
"""

from django.dispatch import Signal

log_verifying = Signal()
