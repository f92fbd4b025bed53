// The official suite, unchanged: every flag (-gateway-class, -supported-features,
// -skip-tests, -run-test, -report-output, ...) is the upstream one.
package conformance

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
