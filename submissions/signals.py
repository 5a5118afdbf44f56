"""Events of submissions that higher layers act on (notifications mails them; the review app
queues audit tests).

Receivers live in the app above and are connected in its ``AppConfig.ready``, so this app never
imports them. Unless said otherwise, each is sent inside the event's transaction, after its
write, with ``send_robust``: what a receiver writes commits or rolls back with the event, and a
receiver that fails never breaks the event (the receivers also keep their own savepoint, so a
failed query cannot poison the event's transaction). Rules and quotas never live in receivers.
"""

from django.dispatch import Signal

#: A submission finished or failed (a cancel is the team's own act and sends nothing).
#: Arguments: ``submission_id``.
submission_done = Signal()

#: A phase's final picks were revealed and now run on the OOD tier. Arguments: ``phase``.
phase_revealed = Signal()

#: A final pick was revealed (sent inside ``phase_reveal``'s transaction, for each pick not
#: disqualified): the review app queues the pick's audit tests. Arguments: ``pick``. Each
#: receiver returns ``(queued, skipped)``: how many tasks it queued, and the reason it queued
#: none when it skipped the pick ("" otherwise). Sent with ``send``, not ``send_robust``: a
#: failing receiver fails the reveal, as queueing the tests inline did.
final_pick_revealed = Signal()
