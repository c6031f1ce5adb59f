package hub

import (
	"net/http"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
)

// EmisConfig locates the outside system; filled by the emis wiring.
type EmisConfig struct{}

// emisParts are the emis services the hub holds.
type emisParts struct{}

// The emis integration's transport is wired by its own issue; until then it contributes nothing.
func emisConfigFromEnv(getenv func(string) string, c *EmisConfig) {}
func (h *Hub) initEmis() error                                    { return nil }
func (h *Hub) emisSOAP() []*soap.Service                          { return nil }
func (h *Hub) emisSets() []*odata.EntitySet                       { return nil }
func (h *Hub) emisJobs() []Job                                    { return nil }
func (h *Hub) emisWebhooks() map[string]http.Handler              { return nil }
