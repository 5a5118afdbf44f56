"""Events of teams that higher layers act on (notifications tells the people and mails
invitations).

Sent inside the event's transaction, after its write, with ``send_robust``: a receiver's rows
commit or roll back with the event, and a receiver that fails never breaks the event.
"""

from django.dispatch import Signal

#: Something happened to a team that these people should hear of (an invitation, a join, a
#: departure, a removal, an ownership change). Arguments: ``users`` (a list of users),
#: ``subject``, ``body`` (text, lazily translated) and ``link`` (a site path).
team_changed = Signal()

#: A team invited someone by mail. Arguments: ``invitation_id``.
invitation_created = Signal()
