package hub

import (
	"net/http"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
)

// SepConfig locates the outside system; filled by the sep wiring.
type SepConfig struct{}

// sepParts are the sep services the hub holds.
type sepParts struct{}

// The sep integration's transport is wired by its own issue; until then it contributes nothing.
func sepConfigFromEnv(getenv func(string) string, c *SepConfig) {}
func (h *Hub) initSep() error                                   { return nil }
func (h *Hub) sepSOAP() []*soap.Service                         { return nil }
func (h *Hub) sepSets() []*odata.EntitySet                      { return nil }
func (h *Hub) sepJobs() []Job                                   { return nil }
func (h *Hub) sepWebhooks() map[string]http.Handler             { return nil }
