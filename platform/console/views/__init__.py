"""Console pages, one module per group: the home page with its publish and baseline actions,
phases and track rules, the reveal, broadcasts and terms, team merges, analytics, definitions."""
