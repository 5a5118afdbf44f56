"""Operations: health checks, Prometheus metrics, log context, the periodic sweeper task."""
