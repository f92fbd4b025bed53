"""Why a conformance feature is not claimed: the VPC Lattice fact behind each skip.

The suite skips a test with "suite does not support <Feature>" when the GatewayClass
does not claim one of its features. The report keeps the suite's words; the table
printed by `make conformance` adds the Lattice reason from here (facts from the
Lattice API model and documentation, see ../shared/reference/lattice-api.md): a
Lattice rule matches only method, path (exact or prefix) and up to 5 headers; its
action is forward (weighted target groups) or a fixed 404/500 response; listeners are
HTTP, HTTPS or TLS_PASSTHROUGH. A feature without an entry is simply not claimed.
"""

from __future__ import annotations

NO_FILTERS = "a Lattice rule's action is forward or a fixed 404/500 response: no filters"
REASONS: dict[str, str] = {
    "BackendTLSPolicy": "Lattice target groups take no CA or SAN for TLS to the backend",
    "GatewayAddressEmpty": "Lattice assigns a Gateway's addresses itself; spec.addresses is refused",
    "GatewayStaticAddresses": "Lattice assigns a Gateway's addresses itself; spec.addresses is refused",
    "GatewayBackendClientCertificate": "Lattice target groups present no client certificate to backends",
    "GatewayFrontendClientCertificateValidation": "Lattice listeners do not validate client certificates (no mTLS)",
    "GatewayHTTPListenerIsolation": "a Lattice service has one custom domain, not per-listener hostnames",
    "GatewayHTTPSListenerDetectMisdirectedRequests": "Lattice terminates TLS itself; no 421 detection to configure",
    "GatewayInfrastructure": "latticegw Gateways take no infrastructure (labels, annotations, parametersRef)",
    "GRPCRoute": "every GRPCRoute test sends traffic, which cannot run here (GRPCRoutes are programmed)",
    "GRPCRouteNamedRouteRule": "GRPCRoute is not claimed (only traffic can show it)",
    "HTTPRouteMethodMatching": "every method-matching test sends traffic, which cannot run here (method matches are programmed)",
    "HTTPRoute303RedirectStatusCode": NO_FILTERS,
    "HTTPRoute307RedirectStatusCode": NO_FILTERS,
    "HTTPRoute308RedirectStatusCode": NO_FILTERS,
    "HTTPRouteBackendProtocolH2C": "Lattice HTTP target groups speak HTTP1, HTTP2 or GRPC, chosen per target group",
    "HTTPRouteBackendProtocolWebSocket": "only traffic can show it",
    "HTTPRouteBackendRequestHeaderModification": NO_FILTERS,
    "HTTPRouteBackendTimeout": "Lattice has no per-route or per-backend timeouts",
    "HTTPRouteCORS": NO_FILTERS,
    "HTTPRouteDestinationPortMatching": "a Lattice rule cannot match the destination port",
    "HTTPRouteHostRewrite": NO_FILTERS,
    "HTTPRouteNamedRouteRule": "only traffic can show it",
    "HTTPRoutePathRedirect": NO_FILTERS,
    "HTTPRoutePathRewrite": NO_FILTERS,
    "HTTPRoutePortRedirect": NO_FILTERS,
    "HTTPRouteQueryParamMatching": "a Lattice rule matches method, path and headers only: no query parameters",
    "HTTPRouteRequestMirror": NO_FILTERS,
    "HTTPRouteRequestMultipleMirrors": NO_FILTERS,
    "HTTPRouteRequestPercentageMirror": NO_FILTERS,
    "HTTPRouteRequestTimeout": "Lattice has no per-route request timeouts",
    "HTTPRouteResponseHeaderModification": NO_FILTERS,
    "HTTPRouteRetry": "Lattice has no per-route retry policy",
    "HTTPRouteSchemeRedirect": NO_FILTERS,
    "ListenerSet": "latticegw does not implement ListenerSet",
    "Mesh": "latticegw implements Gateways only (no GAMMA mesh parents)",
    "TCPRoute": "Lattice listeners are HTTP, HTTPS or TLS_PASSTHROUGH: no plain TCP",
    "TLSRouteModeTerminate": "a Lattice TLS listener is TLS_PASSTHROUGH only",
    "UDPRoute": "Lattice listeners are HTTP, HTTPS or TLS_PASSTHROUGH: no UDP",
}


def explain(suite_reason: str) -> str:
    """The suite's skip message with the Lattice reason for the feature it names, if known."""
    prefix = "suite does not support "
    if suite_reason.startswith(prefix):
        feature = suite_reason[len(prefix):].strip()
        if feature in REASONS:
            return f"{feature} not claimed: {REASONS[feature]}"
    return suite_reason
