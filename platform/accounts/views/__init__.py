"""Account pages, one module per group: sign-up and teams, and team membership (invitations,
leave, remove, ownership)."""
