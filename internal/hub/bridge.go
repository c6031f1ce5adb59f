package hub

import (
	"net/http"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
)

// BridgeConfig locates the outside system; filled by the bridge wiring.
type BridgeConfig struct{}

// bridgeParts are the bridge services the hub holds.
type bridgeParts struct{}

// The bridge integration's transport is wired by its own issue; until then it contributes nothing.
func bridgeConfigFromEnv(getenv func(string) string, c *BridgeConfig) {}
func (h *Hub) initBridge() error                                      { return nil }
func (h *Hub) bridgeSOAP() []*soap.Service                            { return nil }
func (h *Hub) bridgeSets() []*odata.EntitySet                         { return nil }
func (h *Hub) bridgeJobs() []Job                                      { return nil }
func (h *Hub) bridgeWebhooks() map[string]http.Handler                { return nil }
