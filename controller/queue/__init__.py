"""The durable work queue: client-go workqueue semantics (`workqueue`), per-key backoff and the
token bucket (`ratelimit`), and the backends that persist pending keys (`store*`, `persister`)."""
