"""Events of the review app that higher layers act on (notifications tells the team).

Each is sent inside the event's transaction, after its write, with ``send_robust``: a receiver
that fails never breaks the event.
"""

from django.dispatch import Signal

#: A team objected to another team's result. Arguments: ``objection``.
objection_raised = Signal()
