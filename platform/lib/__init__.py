"""Small helpers every layer may use: the log context, the client's address, cache invalidation
around a transaction. No models and no imports of the platform's apps (like healthchecks'
``hc/lib``)."""
