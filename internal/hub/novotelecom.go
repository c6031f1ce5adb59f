package hub

import (
	"net/http"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
)

// NovotelecomConfig locates the outside system; filled by the novotelecom wiring.
type NovotelecomConfig struct{}

// novotelecomParts are the novotelecom services the hub holds.
type novotelecomParts struct{}

// The novotelecom integration's transport is wired by its own issue; until then it contributes nothing.
func novotelecomConfigFromEnv(getenv func(string) string, c *NovotelecomConfig) {}
func (h *Hub) initNovotelecom() error                                           { return nil }
func (h *Hub) novotelecomSOAP() []*soap.Service                                 { return nil }
func (h *Hub) novotelecomSets() []*odata.EntitySet                              { return nil }
func (h *Hub) novotelecomJobs() []Job                                           { return nil }
func (h *Hub) novotelecomWebhooks() map[string]http.Handler                     { return nil }
