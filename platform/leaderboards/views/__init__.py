"""Leaderboard pages, one module per group: the boards and their exports, and a benchmark's
terms."""
