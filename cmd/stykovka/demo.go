package main

import (
	"context"
	"errors"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Demo credentials seeded by --demo; printed at start.
const (
	demoTenant   = "demo"
	demoUser     = "demo"
	demoPassword = "demo"
	demoUser1C   = "Администратор" // a Cyrillic login, as 1C bases usually have
)

// demoEnv collects what the simulators started in demo mode: lines for the banner and
// functions that stop them.
type demoEnv struct {
	dataDir string
	// clk is the hub's clock (scaled by --clock-speed); simulators share it so that their
	// "60 seconds" and the hub's agree.
	clk     clock.Clock
	lines   []string
	closers []func()
}

func (d *demoEnv) say(line string)  { d.lines = append(d.lines, line) }
func (d *demoEnv) onStop(fn func()) { d.closers = append(d.closers, fn) }
func (d *demoEnv) stop() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// startSimulators starts the simulators of the outside systems on free 127.0.0.1 ports and
// points cfg at them. Each integration keeps its part in demo_<system>.go.
func startSimulators(ctx context.Context, d *demoEnv, cfg *hub.Config) error {
	for _, start := range []func(context.Context, *demoEnv, *hub.Config) error{
		demoEmis, demoKontur, demoNovotelecom, demoSep, demoBridge,
	} {
		if err := start(ctx, d, cfg); err != nil {
			return err
		}
	}
	return nil
}

// seedDemo creates the demo tenant, its users and each integration's demo data once; later
// starts keep what is there.
func seedDemo(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	reg := h.Tenants
	if _, err := reg.Tenant(ctx, demoTenant); errors.Is(err, tenants.ErrNoTenant) {
		if _, err := reg.AddTenant(ctx, demoTenant, "Демо-абонент", "Europe/Moscow"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for _, u := range []string{demoUser, demoUser1C} {
		err := reg.AddUser(ctx, demoTenant, u, demoPassword, true)
		if err != nil && !errors.Is(err, tenants.ErrUserExists) {
			return err
		}
	}
	for _, seed := range []func(context.Context, *demoEnv, *hub.Hub) error{
		seedEmis, seedBridge, seedKontur, seedNovotelecom, seedSep,
	} {
		if err := seed(ctx, d, h); err != nil {
			return err
		}
	}
	return nil
}
