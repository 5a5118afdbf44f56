"""Operations: health checks, Prometheus metrics and the status pages; it reads every app."""
