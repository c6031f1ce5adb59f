package main

import (
	"context"

	"github.com/stykovka/stykovka/internal/hub"
)

// demoKontur starts the kontur simulator in demo mode; the kontur wiring fills it.
func demoKontur(ctx context.Context, d *demoEnv, cfg *hub.Config) error { return nil }

// seedKontur seeds the demo tenant's kontur data; the kontur wiring fills it.
func seedKontur(ctx context.Context, d *demoEnv, h *hub.Hub) error { return nil }
