package main

import (
	"context"

	"github.com/stykovka/stykovka/internal/hub"
)

// demoNovotelecom starts the novotelecom simulator in demo mode; the novotelecom wiring fills it.
func demoNovotelecom(ctx context.Context, d *demoEnv, cfg *hub.Config) error { return nil }

// seedNovotelecom seeds the demo tenant's novotelecom data; the novotelecom wiring fills it.
func seedNovotelecom(ctx context.Context, d *demoEnv, h *hub.Hub) error { return nil }
