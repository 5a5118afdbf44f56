"""Small helpers every layer may use: the log context and the client's address. No models and
no imports of the platform's apps (like healthchecks' ``hc/lib``)."""
