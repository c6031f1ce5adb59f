package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

// The demo leasing company of the SEP flows: its organisation (the simulator's demo lessor),
// two responsible persons and the three demo trucks as fixed assets, with 1C references, and
// a lease contract appendix for the first truck.
const (
	demoSepIvanov   = "5e900000-0000-4000-8000-000000000001" // responsible for the first truck
	demoSepPetrova  = "5e900000-0000-4000-8000-000000000002" // responsible for SEP (settings)
	demoSepContract = "5e900000-0000-4000-8000-0000000000c1"
	// demoSepMailDir is the hub's local inbound mail, under the data folder: a folder per
	// tenant (sep-mail/demo/), as mail/<tenant>/ in the bucket in AWS.
	demoSepMailDir = "sep-mail"
	// demoSepOutboxDir is where the simulator writes every letter SEP sends, to anyone: the
	// demo's mail server delivers those addressed to the demo tenant into its mail folder.
	demoSepOutboxDir = "sep-sim-outbox"
	// demoSepRelayEvery is how often the demo's mail server looks at SEP's outbox (real time).
	demoSepRelayEvery = time.Second
)

// demoSepAsset is the reference of demo truck i's fixed asset.
func demoSepAsset(i int) string { return fmt.Sprintf("5e900000-0000-4000-8000-a5e700000%03d", i+1) }

// demoSepSims holds the simulator each demo start runs, for its seeding.
var demoSepSims sync.Map // *demoEnv → *sepsim.Sim

// demoSep starts the SEP simulator on the hub's clock (so "60 seconds" agree under
// --clock-speed), points the hub at it, gives the hub a local mail folder and starts the demo
// mail server that delivers SEP's letters for the demo tenant's mailboxes there.
func demoSep(ctx context.Context, d *demoEnv, cfg *hub.Config) error {
	var clk clock.Clock = clock.Real{}
	if d.clk != nil {
		clk = d.clk
	}
	outbox := filepath.Join(d.dataDir, demoSepOutboxDir)
	mailDir := filepath.Join(d.dataDir, demoSepMailDir)
	sim := sepsim.New(sepsim.Options{Clock: clk, OutboxDir: outbox})
	simCtx, cancel := context.WithCancel(context.Background())
	u, err := sim.Listen(simCtx, "127.0.0.1:0")
	if err != nil {
		cancel()
		return fmt.Errorf("симулятор СЭП: %w", err)
	}
	relay := &demoMailRelay{from: outbox, to: filepath.Join(mailDir, demoTenant),
		mailboxes: []string{sepsim.DemoMailbox, sepsim.DemoTechMailbox}}
	relayDone := make(chan struct{})
	go func() { relay.run(simCtx, demoSepRelayEvery); close(relayDone) }()
	demoSepSims.Store(d, sim)
	d.onStop(func() {
		demoSepSims.Delete(d)
		cancel()
		<-relayDone
	})
	cfg.Sep.URL = u
	cfg.Sep.MailDir = mailDir
	return nil
}

// seedSep writes the demo tenant's SEP settings, persons, fixed assets and a lease contract
// appendix where they are missing (a person's changes stay), registers the organisation's key
// with the simulator and gives the simulator the demo participants and trucks. The simulator
// lives in memory and starts afresh each run: while the hub knows no application, the dealer
// starts an ownership change of each of its two trucks to the leasing company (SEP mails the
// codes, LoadDemo); once it knows some, a new run only tells the simulator which trucks the
// hub owns or has leased out — new applications would reuse the numbers of the earlier ones.
func seedSep(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	v, ok := demoSepSims.Load(d)
	if !ok {
		return nil // not in demo mode
	}
	sim := v.(*sepsim.Sim)
	svc := h.Sep
	st, err := svc.Settings(ctx, demoTenant)
	if err != nil {
		return err
	}
	if len(st.Organisations) == 0 {
		if _, err := svc.PutSettings(ctx, demoTenant, sep.Settings{
			Organisations:    []sep.Organisation{{INN: sepsim.DemoLessorINN, OGRN: sepsim.DemoLessorOGRN, Name: "ООО «Демо Лизинг»"}},
			SEPResponsibleID: demoSepPetrova, TechMailbox: sepsim.DemoTechMailbox,
		}); err != nil {
			return fmt.Errorf("настройки СЭП: %w", err)
		}
	}
	for _, p := range []sep.Person{
		{ID: demoSepIvanov, Name: "Иванов Иван Иванович", Email: "ivanov@demo-leasing.example"},
		{ID: demoSepPetrova, Name: "Петрова Анна Сергеевна", Email: "sep-lead@demo-leasing.example"},
	} {
		if _, err := svc.Person(ctx, demoTenant, p.ID); errors.Is(err, sep.ErrPersonNotFound) {
			if _, err := svc.PutPerson(ctx, demoTenant, p); err != nil {
				return fmt.Errorf("ответственные СЭП: %w", err)
			}
		} else if err != nil {
			return err
		}
	}
	vehicles := sepsim.DemoVehicles()
	for i, v := range vehicles {
		a := sep.Asset{ID: demoSepAsset(i), Code: fmt.Sprintf("ОС-%04d", i+1), Name: v.Make + " " + v.Model,
			VIN: v.VIN, EPTS: v.EPTS, OrganisationINN: sepsim.DemoLessorINN}
		if i == 0 {
			a.ResponsibleID = demoSepIvanov
		}
		if _, err := svc.Asset(ctx, demoTenant, a.ID); errors.Is(err, sep.ErrAssetNotFound) {
			if _, err := svc.PutAsset(ctx, demoTenant, a); err != nil {
				return fmt.Errorf("основные средства СЭП: %w", err)
			}
		} else if err != nil {
			return err
		}
	}
	if _, err := svc.LeaseContract(ctx, demoTenant, demoSepContract); errors.Is(err, sep.ErrContractNotFnd) {
		now := h.Deps.Clock.Now().UTC()
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		if _, err := svc.PutLeaseContract(ctx, demoTenant, sep.LeaseContract{ID: demoSepContract,
			OrganisationINN: sepsim.DemoLessorINN, DocName: "Приложение № 1 к договору лизинга", DocNumber: "ДЛ-ДЕМО/1",
			DocDate: day, LeaseEnd: day.AddDate(3, 0, 0), LesseeINN: sepsim.DemoLesseeINN, LesseeOGRN: sepsim.DemoLesseeOGRN,
			LesseeName: "ООО «Магистраль-Перевозки»", LesseeEmail: "fleet@magistral.example",
			AssetIDs: []string{demoSepAsset(0)}}); err != nil {
			return fmt.Errorf("приложение к договору лизинга: %w", err)
		}
	} else if err != nil {
		return err
	}

	// SEP's side: the participants, the organisation's key, the trucks as the hub knows them.
	for _, p := range sepsim.DemoParticipants() {
		sim.AddParticipant(p)
	}
	key, err := svc.OrganisationKey(ctx, demoTenant, sepsim.DemoLessorINN)
	if err != nil {
		return fmt.Errorf("ключ организации: %w", err)
	}
	if err := sim.SetPublicKey(sepsim.DemoLessorINN, key); err != nil {
		return err
	}
	for i := range vehicles {
		cur, err := svc.SliceLast(ctx, demoTenant, sep.SliceLastQuery{AssetID: demoSepAsset(i)})
		if err != nil {
			return err
		}
		if len(cur.Items) == 0 {
			continue
		}
		switch cur.Items[0].Status {
		case sep.AssetLeased:
			vehicles[i].OwnerINN, vehicles[i].LesseeINN = sepsim.DemoLessorINN, sepsim.DemoLesseeINN
		case sep.AssetOwned:
			vehicles[i].OwnerINN = sepsim.DemoLessorINN
		}
	}
	apps, err := svc.Applications(ctx, demoTenant, sep.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	var numbers []string
	if len(apps.Items) == 0 {
		if numbers, err = sim.LoadDemo(); err != nil {
			return err
		}
	} else {
		// The hub knows applications of an earlier run, which this simulator does not (and it
		// would number new ones from 1 again, as those): it only learns whose the trucks are.
		for _, v := range vehicles {
			sim.AddVehicle(v)
		}
	}
	news := "нет новых (симулятор начат заново, заявления прошлого запуска ему неизвестны; для новых — новая папка данных)"
	if len(numbers) > 0 {
		news = strings.Join(numbers, ", ")
	}
	d.say(fmt.Sprintf("СЭП (симулятор): %s?wsdl — организация ООО «Демо Лизинг» (ИНН %s); заявления дилера на смену собственника: %s",
		h.Cfg.Sep.URL, sepsim.DemoLessorINN, news))
	d.say(fmt.Sprintf("Почта СЭП: письма абоненту demo (%s, %s) — в %s, хаб забирает их каждую минуту; письма другим адресатам — в %s",
		sepsim.DemoMailbox, sepsim.DemoTechMailbox, filepath.Join(d.dataDir, demoSepMailDir, demoTenant),
		filepath.Join(d.dataDir, demoSepOutboxDir, "delivered")))
	d.say(fmt.Sprintf("СЭП для 1С: %s/ws/Sep?wsdl; регистры — InformationRegister_Sep* в OData; результат — не ранее 60 с (--clock-speed ускоряет)",
		strings.TrimRight(h.Cfg.PublicURL, "/")))
	return nil
}

// demoMailRelay stands in for the mail server (SES's receipt rules in AWS): it moves each
// letter SEP wrote to its outbox folder out of it, into the demo tenant's mail folder when it
// is addressed to one of the tenant's mailboxes, else into the outbox's "delivered" folder
// (mail to the dealer or the lessee, kept for a person to look at).
type demoMailRelay struct {
	from, to  string
	mailboxes []string
}

func (r *demoMailRelay) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.once()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *demoMailRelay) once() {
	files, err := os.ReadDir(r.from)
	if err != nil {
		return // nothing sent yet
	}
	for _, f := range files {
		name := f.Name()
		if !f.Type().IsRegular() || !strings.HasSuffix(name, ".eml") {
			continue // the simulator's temporary files, the delivered folder
		}
		src := filepath.Join(r.from, name)
		raw, err := os.ReadFile(src)
		if err != nil {
			continue
		}
		dest := filepath.Join(r.from, "delivered")
		if r.ours(raw) {
			dest = r.to
		}
		if err := os.MkdirAll(dest, 0o700); err != nil {
			continue
		}
		// Atomic for the reader of dest: written under a hidden name, then renamed.
		tmp := filepath.Join(dest, "."+name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			continue
		}
		if err := os.Rename(tmp, filepath.Join(dest, name)); err == nil {
			_ = os.Remove(src)
		}
	}
}

// ours reports whether a letter is addressed to one of the tenant's mailboxes.
func (r *demoMailRelay) ours(raw []byte) bool {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	to, err := m.Header.AddressList("To")
	if err != nil {
		return false
	}
	for _, a := range to {
		for _, mb := range r.mailboxes {
			if strings.EqualFold(a.Address, mb) {
				return true
			}
		}
	}
	return false
}
