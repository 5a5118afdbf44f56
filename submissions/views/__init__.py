"""Submission pages, one module per group: upload, list, detail and the queue status, a
team's final picks, and a team's page (its submissions and quotas)."""
