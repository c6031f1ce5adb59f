package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

// demoKontur starts the Kontur simulator with its demo cards and points the hub at it. The
// simulator keeps balances in memory: every start begins with the cards' demo balances (the
// hub's write-offs stay in the data folder).
func demoKontur(ctx context.Context, d *demoEnv, cfg *hub.Config) error {
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		return err
	}
	apiKey := hex.EncodeToString(key[:])
	sim := kontursim.New(kontursim.Options{APIKey: apiKey, Cards: kontursim.DemoCards()})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("симулятор Контура: %w", err)
	}
	d.onStop(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Shutdown(ctx)
	})
	cfg.Kontur = hub.KonturConfig{BaseURL: url, APIKey: apiKey}
	d.say("Контур (симулятор ППС): " + url + "/ — карты гостей с баллами:")
	for _, c := range kontursim.DemoCards() {
		d.say("    " + c.Number + " — " + demoBalances(c))
	}
	return nil
}

// demoBalances writes a card's balances as the front desk reads them: "5000 Бонусные баллы, …".
func demoBalances(c kontursim.Card) string {
	codes := make([]string, 0, len(c.Balances))
	for code := range c.Balances {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	parts := make([]string, 0, len(codes))
	for _, code := range codes {
		name := code
		if cur, ok := kontur.LookupCurrency(code); ok {
			name = cur.Name
		}
		parts = append(parts, c.Balances[code].String()+" "+name)
	}
	return strings.Join(parts, ", ")
}

// seedKontur creates the demo tenant's payment types "Бонусы Контура" (points at 50 %, bonus
// roubles at 30 %) once, and finishes any write-off a previous run left in progress.
func seedKontur(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	for _, in := range kontur.DemoPaymentTypes() {
		_, err := h.Kontur.GetPaymentType(ctx, demoTenant, in.Ref)
		if errors.Is(err, kontur.ErrPaymentTypeNotFound) {
			_, err = h.Kontur.CreatePaymentType(ctx, demoTenant, in)
			if errors.Is(err, kontur.ErrPaymentTypeExists) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("вид оплаты «%s»: %w", in.Name, err)
		}
	}
	if _, err := h.Kontur.Recover(ctx, demoTenant); err != nil {
		// Not fatal: the kontur-redeem job tries again every minute.
		h.Deps.Log.WarnContext(ctx, "kontur recovery at start", "err", err)
	}
	types := kontur.DemoPaymentTypes()
	d.say(fmt.Sprintf("Контур: виды оплаты абонента demo — «%s» (ссылка %s) и «%s» (ссылка %s); SOAP: /ws/Kontur?wsdl",
		types[0].Name, types[0].Ref, types[1].Name, types[1].Ref))
	return nil
}
