"""The REST API: token auth, catalog and leaderboards, resumable uploads, submissions."""
