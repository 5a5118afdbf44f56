"""Events of benchmarks that higher layers act on (notifications mails them).

Sent inside the event's transaction, after its write, with ``send_robust``: a receiver's rows
commit or roll back with the event, and a receiver that fails never breaks the event.
"""

from django.dispatch import Signal

#: An organizer published (up to now or up to a moment) a hidden split's results.
#: Arguments: ``split``.
results_published = Signal()
