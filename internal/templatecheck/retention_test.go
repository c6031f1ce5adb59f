package templatecheck

import (
	"slices"

	"github.com/stykovka/stykovka/internal/retention"
)

// personalDataPrefixes are the object patterns the retention-sweep job (hub-jobs) deletes
// under: t/<tenant>/<system>/ of every system whose blobs may hold personal data, as package
// retention accepts them in leases. A system added there needs its prefix in template.yaml.
func personalDataPrefixes() []string {
	var out []string
	for _, sys := range retention.Systems {
		out = append(out, "t/*/"+sys+"/*")
	}
	slices.Sort(out)
	return out
}
