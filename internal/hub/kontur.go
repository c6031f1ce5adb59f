package hub

import (
	"net/http"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
)

// KonturConfig locates the outside system; filled by the kontur wiring.
type KonturConfig struct{}

// konturParts are the kontur services the hub holds.
type konturParts struct{}

// The kontur integration's transport is wired by its own issue; until then it contributes nothing.
func konturConfigFromEnv(getenv func(string) string, c *KonturConfig) {}
func (h *Hub) initKontur() error                                      { return nil }
func (h *Hub) konturSOAP() []*soap.Service                            { return nil }
func (h *Hub) konturSets() []*odata.EntitySet                         { return nil }
func (h *Hub) konturJobs() []Job                                      { return nil }
func (h *Hub) konturWebhooks() map[string]http.Handler                { return nil }
