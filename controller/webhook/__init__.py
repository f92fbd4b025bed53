"""The pod readiness gate webhook, served by every replica (it is stateless; the leader is not special).

- `inject.py`  the decision (pure): does this pod back a route or a ServiceExport of ours? -> a JSONPatch
- `certs.py`   its serving certificate: minted and kept in a Secret (rotated before expiry, the CA
               bundle patched into the MutatingWebhookConfiguration), or read from files that
               cert-manager (or any other issuer) keeps in a mounted Secret
- `server.py`  the HTTPS endpoint the API server calls: POST /mutate-pod (AdmissionReview v1)
"""
