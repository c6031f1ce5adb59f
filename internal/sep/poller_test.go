package sep_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/internal/store"
)

// idleQueue is the size of the queue in the counting test. Filling it is what costs (two
// conditional writes per entry: 200,000 writes for 100,000 entries take about half a minute
// on bbolt in memory and several minutes on dynalite), so the default run uses smaller
// queues, and SEP_IDLE_QUEUE=100000 runs the full figure on both adapters. The counts the
// test asserts cannot depend on the size: the idle query's range holds no item either way.
func idleQueue(t *testing.T, adapter string) int {
	if v := os.Getenv("SEP_IDLE_QUEUE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SEP_IDLE_QUEUE=%q: want a positive number", v)
		}
		return n
	}
	// The figure on the embedded store; dynalite (one node process, ~2 ms a write)
	// would need minutes to fill as many, and the counts asserted do not depend on the size.
	return map[string]int{"bbolt": 100_000, "dynalite": 1_000}[adapter]
}

// TestIdleTickCostsOneEmptyQuery: with a large queue (100,000 entries on bbolt, 1,000 on
// dynalite; SEP_IDLE_QUEUE overrides both) none of which is due, a tick is one index query that returns no item, and nothing else —
// on both adapters. When they come due, the same query finds them, TickLimit at a time.
func TestIdleTickCostsOneEmptyQuery(t *testing.T) {
	for _, ad := range adapters {
		if ad.name == "bbolt" {
			ad.open = func(t testing.TB, clk clock.Clock) store.Store { return openBolt(t, memDir(t), clk) }
		}
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			n := idleQueue(t, ad.name)
			e := newEnv(t, ad, sep.Options{TickLimit: 10})
			e.setup()
			start := time.Now()
			queuedAt := t0.Add(-30 * time.Second) // due 30 s from now
			if err := sep.SeedQueued(e.ctx, e.svc, tenant, sepsim.DemoLessorINN, n, 16, queuedAt); err != nil {
				t.Fatal(err)
			}
			fill := time.Since(start)

			for _, slot := range []time.Time{t0, t0.Add(10 * time.Second), t0.Add(29 * time.Second)} {
				e.clk.Set(slot)
				e.st.reset()
				rep, err := e.svc.Tick(e.ctx, slot)
				if err != nil {
					t.Fatal(err)
				}
				q, items := e.st.queries.Load(), e.st.items.Load()
				others := e.st.gets.Load() + e.st.puts.Load() + e.st.updates.Load() + e.st.deletes.Load()
				if q != 1 || items != 0 || others != 0 || rep.Due != 0 {
					t.Fatalf("idle tick at %v: %d queries, %d items, %d other calls, report %+v", slot, q, items, others, rep)
				}
			}
			if n := len(e.sim.Calls()); n != 0 {
				t.Fatalf("idle ticks called SEP %d times", n)
			}

			// Due now: the same index yields them, TickLimit at a time.
			e.clk.Set(queuedAt.Add(time.Minute))
			e.st.reset()
			rep, err := e.svc.Tick(e.ctx, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			// The simulator does not know these seeded queue numbers: each call is a fault,
			// backed off — which also shows a failed poll is recorded and rescheduled.
			if rep.Due != 10 || rep.Worked != 10 || len(e.resultCalls()) != 10 {
				t.Fatalf("due tick: %+v, calls %v", rep, e.resultCalls())
			}
			t.Logf("%s: %d entries written in %v; idle tick: 1 query, 0 items", ad.name, n, fill)
		})
	}
}

// TestDuplicateTicks: EventBridge may deliver a tick twice, one after the other or at the
// same time, and two pollers may overlap. Each entry's result is asked for and applied once.
func TestDuplicateTicks(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, ad, sep.Options{})
			e.setup()
			second := e.newService(e.client) // another process on the same store
			ctx := e.ctx
			const n = 12
			var ids []string
			for i := range n {
				en, err := e.svc.RequestApplications(ctx, tenant, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN,
					From: t0.AddDate(0, 0, -i-1), To: t0})
				if err != nil || en.Status != sep.StatusQueued {
					t.Fatalf("request: %+v, %v", en, err)
				}
				ids = append(ids, en.ID)
			}
			e.clk.Advance(time.Minute)
			slot := e.clk.Now().Truncate(time.Minute)

			// The same slot delivered four times at once, to two pollers.
			var wg sync.WaitGroup
			reps := make([]sep.TickReport, 4)
			for i := range reps {
				svc := e.svc
				if i%2 == 1 {
					svc = second
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := svc.Tick(ctx, slot)
					if err != nil {
						t.Error(err)
					}
					reps[i] = r
				}()
			}
			wg.Wait()
			// And once more after they finished.
			again, err := e.svc.Tick(ctx, slot)
			if err != nil {
				t.Fatal(err)
			}
			worked := again.Worked
			for _, r := range reps {
				worked += r.Worked
			}
			if worked != n || again.Due != 0 {
				t.Fatalf("worked %d of %d (reports %+v, again %+v)", worked, n, reps, again)
			}
			calls := e.resultCalls()
			if len(calls) != n {
				t.Fatalf("GetResult for %d queue numbers, want %d", len(calls), n)
			}
			for q, c := range calls {
				if c != 1 {
					t.Fatalf("queue %s asked %d times", q, c)
				}
			}
			hist, _ := e.svc.History(ctx, tenant, sep.PageRequest{Limit: 1000})
			if len(hist.Items) != 2*n {
				t.Fatalf("history: %d records, want %d", len(hist.Items), 2*n)
			}
			for _, id := range ids {
				if got := e.entry(id); got.Status != sep.StatusAnswered || got.Calls != 2 {
					t.Fatalf("entry %s: %+v", id, got)
				}
			}
			e.assertNeverEarly()
		})
	}
}

// TestOverlapAfterClaimExpiry: a poller that stalls past its claim loses the entry to another
// one; when it wakes up with the same answer its write is refused, and the answer's effects
// exist once.
func TestOverlapAfterClaimExpiry(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, ad, sep.Options{})
			e.setup()
			ctx := e.ctx
			truck := sepsim.DemoVehicles()[0]
			number, err := e.sim.CreateOwnershipChange(truck.EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
			if err != nil {
				t.Fatal(err)
			}
			l := e.ingestOutbox(0)[0]
			if _, err := e.svc.RequestLetterData(ctx, tenant, sep.LetterDataRequest{OrganisationINN: sepsim.DemoLessorINN, LetterIDs: []string{l.ID}}); err != nil {
				t.Fatal(err)
			}
			e.tick(time.Minute)
			conf, err := e.svc.ConfirmOwnership(ctx, tenant, sep.ConfirmRequest{Number: number, Status: sep.PartyConfirmed})
			if err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(time.Minute)

			// The slow poller gets SEP's answer, then stalls before recording it.
			stalled, release := make(chan struct{}), make(chan struct{})
			slow := e.newService(&pausing{Gateway: e.client, stalled: stalled, release: release})
			done := make(chan error)
			go func() {
				_, err := slow.Tick(ctx, e.clk.Now())
				done <- err
			}()
			<-stalled
			// Its claim runs out; the next tick's poller takes the entry and applies it.
			e.clk.Advance(e.svc.Options().ClaimTTL + time.Second)
			rep, err := e.svc.Tick(ctx, e.clk.Now())
			if err != nil || rep.Worked != 1 {
				t.Fatalf("second poller: %+v, %v", rep, err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := e.entry(conf.ID)
			if got.Status != sep.StatusAnswered || got.Outcome != sep.OutcomeCompleted {
				t.Fatalf("entry: %+v", got)
			}
			st, _ := e.svc.AssetStatuses(ctx, tenant, sep.AssetStatusQuery{AssetID: "asset-1"})
			if len(st.Items) != 1 || st.Items[0].Status != sep.AssetOwned {
				t.Fatalf("asset statuses: %+v", st.Items)
			}
			if c, _ := e.svc.Counts(ctx, tenant); c.Waiting != 0 {
				t.Fatalf("counts: %+v", c)
			}
		})
	}
}

// pausing is a Gateway whose first GetResult answers, then waits for release before
// returning: a poller stalled between SEP's answer and its own write.
type pausing struct {
	sep.Gateway
	once             sync.Once
	stalled, release chan struct{}
}

func (p *pausing) GetResult(ctx context.Context, id string) (sep.Result, error) {
	r, err := p.Gateway.GetResult(ctx, id)
	p.once.Do(func() {
		close(p.stalled)
		<-p.release
	})
	return r, err
}

// TestPollTenantKeepsTheRule: the console's "get results now" asks nothing before 60 s.
func TestPollTenantKeepsTheRule(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	en, err := e.svc.RequestApplications(e.ctx, tenant, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN, From: t0, To: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, 30 * time.Second, 29 * time.Second} {
		e.clk.Advance(d)
		if _, err := e.svc.PollTenant(e.ctx, tenant); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.resultCalls()) != 0 {
		t.Fatal("GetResult before 60 s")
	}
	c, _ := e.svc.Counts(e.ctx, tenant)
	if c.Waiting != 1 || c.Ready != 0 {
		t.Fatalf("counts before due: %+v", c)
	}
	e.clk.Advance(time.Second)
	if c, _ := e.svc.Counts(e.ctx, tenant); c.Ready != 1 {
		t.Fatalf("counts when due: %+v", c)
	}
	rep, err := e.svc.PollTenant(e.ctx, tenant)
	if err != nil || rep.Worked != 1 || e.entry(en.ID).Status != sep.StatusAnswered {
		t.Fatalf("poll when due: %+v, %v, %+v", rep, err, e.entry(en.ID))
	}
	e.assertNeverEarly()
}

// TestOneTickServesEveryTenant: the poller's one query finds the due entries of all tenants,
// and each tenant sees only its own.
func TestOneTickServesEveryTenant(t *testing.T) {
	e := newEnv(t, adapters[1], sep.Options{})
	e.setup()
	const other, inn, ogrn = "second-leasing", "7810000033", "1077800000046"
	e.sim.AddParticipant(sepsim.Participant{INN: inn, OGRN: ogrn, Name: "ООО «Второй Лизинг»", Email: "sep@second.example"})
	must(t, func() error {
		_, err := e.svc.PutSettings(e.ctx, other, sep.Settings{Organisations: []sep.Organisation{{INN: inn, OGRN: ogrn, Name: "ООО «Второй Лизинг»"}}})
		return err
	})
	key, err := e.svc.OrganisationKey(e.ctx, other, inn)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetPublicKey(inn, key); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.RequestApplications(e.ctx, tenant, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN, From: t0, To: t0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.RequestApplications(e.ctx, other, sep.PeriodRequest{OrganisationINN: inn, From: t0, To: t0})
	if err != nil || b.Status != sep.StatusQueued {
		t.Fatalf("other tenant: %+v %v", b, err)
	}
	// The other tenant cannot send as the first one's organisation.
	if _, err := e.svc.RequestApplications(e.ctx, other, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN, From: t0, To: t0}); err == nil {
		t.Fatal("sent as another tenant's organisation")
	}
	e.st.reset()
	rep := e.tick(time.Minute)
	if rep.Worked != 2 || e.st.queries.Load() != 1 {
		t.Fatalf("tick: %+v, %d queries", rep, e.st.queries.Load())
	}
	for ten, id := range map[string]string{tenant: a.ID, other: b.ID} {
		got, err := e.svc.Entry(e.ctx, ten, id)
		if err != nil || got.Status != sep.StatusAnswered {
			t.Fatalf("%s: %+v %v", ten, got, err)
		}
		q, _ := e.svc.Queue(e.ctx, ten, sep.QueueQuery{})
		if len(q.Items) != 1 || q.Items[0].ID != id {
			t.Fatalf("%s sees %+v", ten, q.Items)
		}
	}
	if _, err := e.svc.Entry(e.ctx, other, a.ID); err == nil {
		t.Fatal("a tenant read another tenant's entry")
	}
}
