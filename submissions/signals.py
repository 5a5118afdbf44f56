"""Events of submissions that higher layers act on (notifications mails them).

Each is sent inside the event's transaction, after its write, with ``send_robust``: what a
receiver writes commits or rolls back with the event, and a receiver that fails never breaks
the event (the receivers also keep their own savepoint, so a failed query cannot poison the
event's transaction). Rules and quotas never live in receivers.
"""

from django.dispatch import Signal

#: A submission finished or failed (a cancel is the team's own act and sends nothing).
#: Arguments: ``submission_id``.
submission_done = Signal()

#: A phase's final picks were revealed and now run on the OOD tier. Arguments: ``phase``.
phase_revealed = Signal()
