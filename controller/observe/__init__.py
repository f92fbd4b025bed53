"""What the process tells operators: Prometheus metrics, OpenTelemetry spans, structlog logging,
and the aiohttp sidecar that serves them with the health probes."""
