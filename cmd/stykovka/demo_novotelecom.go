package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stykovka/stykovka/facade/novotelecomapi"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

// The demo housing company's account on the «Мои счета» simulator. The simulator lives in
// memory and starts afresh with each demo run, offering the seed's registries again; the hub
// recognises the files it has stored already by their content and imports none twice.
const (
	demoNTLogin    = "demo-tszh"
	demoNTPassword = "demo-moi-scheta" // the simulator's, on 127.0.0.1 only
	demoNTEvery    = 15                // minutes between scheduled exchanges
	demoNTDebts    = "demo-debts-052018"
)

// demoNTSims holds the simulator each demo start runs, for its seeding.
var demoNTSims sync.Map // *demoEnv → *ntsim.Server

// demoNovotelecom starts the «Мои счета» simulator with the seed's registries for the demo
// account and points the hub at it.
func demoNovotelecom(ctx context.Context, d *demoEnv, cfg *hub.Config) error {
	var clk clock.Clock = clock.Real{}
	if d.clk != nil {
		clk = d.clk // the hub's clock (--clock-speed): the simulator dates its answers by it
	}
	sim := ntsim.New(clk)
	sim.AddAccount(demoNTLogin, demoNTPassword)
	sim.SeedDemo(demoNTLogin)
	if err := sim.Start(); err != nil {
		return fmt.Errorf("симулятор «Мои счета»: %w", err)
	}
	demoNTSims.Store(d, sim)
	d.onStop(func() {
		demoNTSims.Delete(d)
		_ = sim.Close()
	})
	cfg.Novotelecom.BaseURL = sim.URL()
	d.say(fmt.Sprintf("«Мои счета» (симулятор Новотелекома): %s — логин %s, реестры оплат из инструкции (Payments_20180621_007.txt с ошибкой)",
		sim.URL(), demoNTLogin))
	return nil
}

// seedNovotelecom configures the demo tenant's exchange once (coding by «Город» codes, the
// simulator's login and password, sealed; an exchange every demoNTEvery minutes) and submits
// May 2018 debts of the demo accounts, so that the demo payments name known accounts. Both
// are idempotent: the settings are saved only while there are none (a person's changes stay),
// and the debts carry a fixed RequestId.
func seedNovotelecom(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	if _, ok := demoNTSims.Load(d); !ok {
		return nil // not in demo mode
	}
	svc := h.Novotelecom
	st, err := svc.Settings(ctx, demoTenant)
	if err != nil && apperr.As(err).Code == "NOVOTELECOM_NOT_CONFIGURED" {
		st, err = svc.SaveSettings(ctx, demoTenant, novotelecom.SettingsRequest{
			Coding: novotelecom.CodingCity, Login: demoNTLogin, Password: demoNTPassword,
			ReportDetails: true, ExchangeEvery: demoNTEvery,
		})
	}
	if err != nil {
		return fmt.Errorf("настройки «Мои счета»: %w", err)
	}
	debts, err := svc.SubmitDebts(ctx, demoTenant, demoNTDebtsRequest())
	if err != nil {
		return fmt.Errorf("реестр задолженности «Мои счета»: %w", err)
	}
	when := "только по запросу (SOAP Novotelecom.RunExchange)"
	if st.ExchangeEvery > 0 {
		when = fmt.Sprintf("каждые %d мин и по запросу (SOAP Novotelecom.RunExchange)", st.ExchangeEvery)
	}
	d.say(fmt.Sprintf("«Мои счета» абонента demo: кодирование %s, обмен %s; реестр задолженности %s (%s)",
		novotelecomapi.CodingName(st.Coding), when, debts.File, debts.Folder.Title()))
	return nil
}

// demoNTDebtsRequest are the May 2018 debts of ntsim.DemoAccounts, with every coding's
// service codes, so that the request suits whatever coding the tenant has.
func demoNTDebtsRequest() novotelecom.DebtsRequest {
	req := novotelecom.DebtsRequest{RequestID: demoNTDebts, Period: registry.Period{Year: 2018, Month: time.May}}
	for i, acc := range ntsim.DemoAccounts() {
		req.Lines = append(req.Lines, novotelecom.DebtLine{
			Account: acc, Address: fmt.Sprintf("г. Новосибирск, ул. Ленина, 1-%d", i+1),
			Service: novotelecom.ServiceCodes{Code: "1", City: "101", Sber: "S1"},
			Amount:  money.MustParse("1055.00"),
		})
	}
	return req
}
