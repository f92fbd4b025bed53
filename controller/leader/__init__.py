"""Leader election through a coordination.k8s.io Lease (`lease`) and the per-term fence that stops
a deposed leader's in-flight work (`fence`)."""
