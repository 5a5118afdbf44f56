"""Submission pages, one module per group: upload, list, detail and the queue status, and a
team's final picks."""
