"""Talking to the Kubernetes API server and keeping what it says: the raw-JSON client, discovery,
list+watch informers, the per-kind stores and reverse indexes, and the read-only snapshot reconcilers get."""
