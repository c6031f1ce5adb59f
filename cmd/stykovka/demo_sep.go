package main

import (
	"context"

	"github.com/stykovka/stykovka/internal/hub"
)

// demoSep starts the sep simulator in demo mode; the sep wiring fills it.
func demoSep(ctx context.Context, d *demoEnv, cfg *hub.Config) error { return nil }

// seedSep seeds the demo tenant's sep data; the sep wiring fills it.
func seedSep(ctx context.Context, d *demoEnv, h *hub.Hub) error { return nil }
