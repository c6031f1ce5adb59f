package main

import (
	"context"

	"github.com/stykovka/stykovka/internal/hub"
)

// demoEmis starts the emis simulator in demo mode; the emis wiring fills it.
func demoEmis(ctx context.Context, d *demoEnv, cfg *hub.Config) error { return nil }

// seedEmis seeds the demo tenant's emis data; the emis wiring fills it.
func seedEmis(ctx context.Context, d *demoEnv, h *hub.Hub) error { return nil }
