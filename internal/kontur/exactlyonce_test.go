package kontur_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/kontur/konturhttp"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
	"github.com/stykovka/stykovka/internal/store"
)

// The exactly-once test: 1,000 write-offs, each sent by 8 concurrent duplicate callers spread
// over several hub processes, with faults at every step — the simulator's (5xx before
// applying, answers lost after applying by timeout or dropped connection, answers slower than
// the client's timeout, duplicate deliveries), the store's (writes lost, and writes done but
// reported failed), and processes killed right after Kontur debited (or cancelled), replaced
// by fresh ones that run Recover at startup. Then the faults stop, a fresh process runs
// Recover, and the hub's records must match the simulator's ledger exactly. A second phase
// cancels a part of the recorded write-offs under the same faults.
const (
	eoWriteOffs  = 1000
	eoDuplicates = 8
	eoInFlight   = 32 // write-offs in flight at once (×8 callers)
	eoProcesses  = 3
	eoFolios     = 400
	eoCards      = 40
	eoCancels    = 100
)

func TestExactlyOnce(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		began := time.Now()
		runExactlyOnce(t, a)
		t.Logf("exactly-once on %s: %v", a.name, time.Since(began).Round(time.Millisecond))
	})
}

// process is one hub process: a Service whose store and Kontur client die together.
type process struct {
	svc  *kontur.Service
	dead *atomic.Bool
	ts   *testStore
	cl   *crashClient
}

// setFaulty turns the process's store faults and crashes on or off.
func (p *process) setFaulty(c *cluster, on bool) {
	if on {
		p.ts.setFaults(c.storeBefore, c.storeAfter)
		p.cl.setP(c.crashP)
		return
	}
	p.ts.setFaults(0, 0)
	p.cl.setP(0)
}

// cluster keeps eoProcesses live processes, replacing a killed one with a fresh one that runs
// Recover at startup (next to the live calls).
type cluster struct {
	t     *testing.T
	base  store.Store
	clk   clock.Clock
	url   string
	seeds atomic.Uint64

	mu    sync.Mutex
	slots []*process
	amu   sync.Mutex
	all   []*process // every process ever started, for the counters

	sim                             *kontursim.Sim
	simFaults                       kontursim.Faults
	faulty                          atomic.Bool
	crashP, storeBefore, storeAfter float64
	crashes, startupRecovs          atomic.Int64
	recovering                      sync.WaitGroup
}

func (c *cluster) spawn() *process {
	seed := c.seeds.Add(1)
	dead := new(atomic.Bool)
	ts := newTestStore(c.base, seed)
	ts.dead = dead
	// The client's timeout is short so that held answers cost little; a slow answer outlives it.
	hc, err := konturhttp.New(konturhttp.Config{BaseURL: c.url, APIKey: apiKey, Timeout: 150 * time.Millisecond})
	if err != nil {
		c.t.Fatal(err)
	}
	cl := &crashClient{Client: hc, dead: dead, rng: newRand(seed)}
	svc := kontur.New(ts, c.clk, kontur.Single(cl), kontur.Options{Attempts: 3, RetryDelay: 5 * time.Millisecond, FollowWait: 400 * time.Millisecond})
	p := &process{svc: svc, dead: dead, ts: ts, cl: cl}
	p.setFaulty(c, c.faulty.Load())
	c.amu.Lock()
	c.all = append(c.all, p)
	c.amu.Unlock()
	return p
}

// setFaulty turns the store faults and crashes of every process on or off; the simulator's
// faults go with them.
func (c *cluster) setFaulty(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faulty.Store(on)
	for _, p := range c.slots {
		p.setFaulty(c, on)
	}
	f := kontursim.Faults{}
	if on {
		f = c.simFaults
	}
	if err := c.sim.SetFaults(f); err != nil {
		c.t.Fatal(err)
	}
}

// ops returns the store reads and writes of every process so far.
func (c *cluster) ops() (reads, writes, injected int64) {
	c.amu.Lock()
	defer c.amu.Unlock()
	for _, p := range c.all {
		reads += p.ts.reads.Load()
		writes += p.ts.writes.Load()
		injected += p.ts.injected.Load()
	}
	return reads, writes, injected
}

// pick returns the live process of slot i, replacing a dead one.
func (c *cluster) pick(i int) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	i %= len(c.slots)
	p := c.slots[i]
	if p.dead.Load() {
		n := c.crashes.Add(1)
		p = c.spawn()
		c.slots[i] = p
		if n%2 == 0 {
			// Half the replacements start without a recovery (as a Lambda does): what the
			// killed process left is finished by other calls or by the final Recover.
			return p
		}
		c.recovering.Add(1)
		go func() {
			defer c.recovering.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := p.svc.Recover(ctx, tenant); err == nil {
				c.startupRecovs.Add(1)
			}
		}()
	}
	return p
}

// outcome is what one caller was finally told.
type outcome struct {
	state kontur.State
	op    string
	err   error
	seen  bool // some answer showed the write-off stored (settled or in progress)
}

func runExactlyOnce(t *testing.T, a adapter) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	base := a.open(t, clk)
	rng := newRand(20250701)

	// Cards with balances in points and roubles; some run dry during the test.
	var cards []kontursim.Card
	for i := 0; i < eoCards; i++ {
		cards = append(cards, kontursim.Card{Number: fmt.Sprintf("70000000%08d", i), Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(10000 + rng.Int64N(40000)),
			"RUB":   money.New(500000+rng.Int64N(3000000), 2),
		}})
	}
	sim := kontursim.New(kontursim.Options{APIKey: apiKey, Clock: clk, Cards: cards})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	initial := map[string]map[string]money.Decimal{}
	for _, c := range cards {
		initial[c.Number] = sim.Balances(c.Number)
	}

	c := &cluster{t: t, base: base, clk: clk, url: url, sim: sim, crashP: 0.02, storeBefore: 0.01, storeAfter: 0.01,
		simFaults: kontursim.Faults{
			FailBefore: 0.03, TimeoutAfter: 0.02, DropAfter: 0.02, Slow: 0.04, Duplicate: 0.05,
			SlowDelay: kontursim.Duration(200 * time.Millisecond), Hold: kontursim.Duration(2 * time.Second), Seed: 42,
		}}
	setup := c.spawn().svc
	mk := func(name, cur, pct string, on bool) kontur.PaymentType {
		pt, err := setup.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Name: name, Currency: cur, MaxPercent: dec(pct), Enabled: on})
		if err != nil {
			t.Fatal(err)
		}
		return pt
	}
	types := []kontur.PaymentType{mk("Бонусы", "BONUS", "50", true), mk("Рубли", "RUB", "30.50", true), mk("Выключен", "BONUS", "50", false)}

	reqs := make([]kontur.WriteOffRequest, eoWriteOffs)
	for i := range reqs {
		saldo := money.New(50000+rng.Int64N(1950000), 2).Neg() // −500.00 … −20 000.00
		var pt kontur.PaymentType
		switch r := rng.IntN(100); {
		case r < 47:
			pt = types[0]
		case r < 94:
			pt = types[1]
		default:
			pt = types[2]
		}
		// Up to 60 % of the type's cap, so that write-offs on a folio sometimes collide.
		var amount money.Decimal
		if pt.Currency == "BONUS" {
			max := saldo.Neg().Mul(pt.MaxPercent).Mul(money.New(6, 3)).Round(0)
			amount = money.FromInt(1 + rng.Int64N(atoi(max)+1))
		} else {
			max := saldo.Neg().Mul(pt.MaxPercent).Mul(money.New(6, 3)).Round(2)
			amount = money.New(1+rng.Int64N(atoi(max.Mul(money.FromInt(100)).Round(0))+1), 2)
		}
		reqs[i] = kontur.WriteOffRequest{
			RequestID: fmt.Sprintf("wo-%04d", i), FolioID: fmt.Sprintf("Ф-%03d", rng.IntN(eoFolios)),
			CardNumber: cards[rng.IntN(eoCards)].Number, PaymentType: pt.Ref, Amount: amount, Saldo: saldo,
		}
	}

	// Phase 1: write-offs under faults.
	for i := 0; i < eoProcesses; i++ {
		c.slots = append(c.slots, c.spawn())
	}
	c.setFaulty(true)
	outcomes := make([][eoDuplicates]outcome, eoWriteOffs)
	phase := time.Now()
	parallel(eoWriteOffs, eoInFlight, func(i int) {
		var wg sync.WaitGroup
		for d := 0; d < eoDuplicates; d++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// At every fifth write-off the callers give up after one short try (a
				// gateway's deadline cuts the call mid-flight): what is left in progress
				// there is for other calls or Recover to finish.
				tries, limit := 5, 5*time.Second
				if i%5 == 0 {
					tries, limit = 1, 400*time.Millisecond
				}
				outcomes[i][d] = call(c, i+d, tries, limit, func(ctx context.Context, svc *kontur.Service) (kontur.WriteOff, error) {
					return svc.WriteOff(ctx, tenant, reqs[i])
				})
			}()
		}
		wg.Wait()
	})
	c.recovering.Wait()
	t.Logf("%s: write-offs under faults: %v", a.name, time.Since(phase).Round(time.Millisecond))
	pendingAfterCalls := settle(t, c)

	seen := func(i int) bool {
		for _, o := range outcomes[i] {
			if o.seen {
				return true
			}
		}
		return false
	}
	stored := verify(t, setup, sim, reqs, types, initial, seen)
	recorded, failed, absent := 0, 0, 0
	reasons := map[string]int{}
	for i, w := range stored {
		switch w.State {
		case kontur.StateRecorded:
			recorded++
		case kontur.StateFailed:
			failed++
			reasons[w.ReasonCode]++
		case "":
			absent++
		}
		for d, o := range outcomes[i] {
			if o.err == nil && (o.state != w.State || o.op != w.OperationID) {
				t.Errorf("%s caller %d was told %s, stored %s", w.RequestID, d, o.state, w.State)
			}
		}
	}
	reads, writes, injected := c.ops()
	t.Logf("%s: %d recorded, %d failed %v, %d never stored (every call cut short); %d left in progress for the final Recover; %d processes killed, %d startup recoveries; "+
		"store: %d reads, %d writes, %d faults injected; simulator %+v", a.name, recorded, failed, reasons, absent, pendingAfterCalls,
		c.crashes.Load(), c.startupRecovs.Load(), reads, writes, injected, sim.Stats())
	if recorded < eoWriteOffs/2 {
		t.Errorf("only %d write-offs recorded: the workload tests too little", recorded)
	}

	// Phase 2: cancel some recorded write-offs, four callers each, under the same faults.
	var toCancel []int
	for i, w := range stored {
		if w.State == kontur.StateRecorded && len(toCancel) < eoCancels {
			toCancel = append(toCancel, i)
		}
	}
	c.setFaulty(true)
	phase = time.Now()
	parallel(len(toCancel), eoInFlight, func(k int) {
		i := toCancel[k]
		var wg sync.WaitGroup
		for d := 0; d < 4; d++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := call(c, i+d, 5, 5*time.Second, func(ctx context.Context, svc *kontur.Service) (kontur.WriteOff, error) {
					return svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: reqs[i].RequestID})
				})
				if o.err == nil && o.state != kontur.StateCancelled {
					t.Errorf("%s: cancel answered %s", reqs[i].RequestID, o.state)
				}
			}()
		}
		wg.Wait()
	})
	c.recovering.Wait()
	t.Logf("%s: cancels under faults: %v", a.name, time.Since(phase).Round(time.Millisecond))
	settle(t, c)
	stored = verify(t, setup, sim, reqs, types, initial, seen)
	for _, i := range toCancel {
		if stored[i].State != kontur.StateCancelled {
			t.Errorf("%s: %s after cancel", reqs[i].RequestID, stored[i].State)
		}
	}
}

// call is one caller: it tries until it gets a settled answer, like a front desk clicking
// again, switching processes as they die; it gives up after a while (Recover finishes then).
func call(c *cluster, who, tries int, limit time.Duration, fn func(context.Context, *kontur.Service) (kontur.WriteOff, error)) outcome {
	var last error
	seen := false
	for try := 0; try < tries; try++ {
		p := c.pick(who + try)
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		w, err := fn(ctx, p.svc)
		cancel()
		if err == nil && !w.State.Pending() {
			return outcome{state: w.State, op: w.OperationID, seen: true}
		}
		seen = seen || w.State != ""
		last = err
		time.Sleep(time.Duration(2+who%7) * time.Millisecond)
	}
	return outcome{err: fmt.Errorf("gave up: %v", last), seen: seen}
}

// settle stops every fault and runs Recover in a fresh process until nothing is in progress;
// it returns how many write-offs were in progress when the faults stopped.
func settle(t *testing.T, c *cluster) int {
	t.Helper()
	c.setFaulty(false)
	fresh := c.spawn()
	ctx := context.Background()
	first := -1
	for round := 0; round < 10; round++ {
		rep, err := fresh.svc.Recover(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if first < 0 {
			first = rep.Seen
		}
		if rep.Seen == 0 {
			return first
		}
	}
	t.Fatal("write-offs still in progress after Recover with every fault off")
	return 0
}

// verify checks the hub's records against the simulator's ledger and returns the stored
// write-offs in request order.
// A request no answer ever showed stored (every caller's call was cut before the hub stored
// it) may be absent: the front desk was told nothing was done. Any other must be there.
func verify(t *testing.T, svc *kontur.Service, sim *kontursim.Sim, reqs []kontur.WriteOffRequest,
	types []kontur.PaymentType, initial map[string]map[string]money.Decimal, seen func(i int) bool) []kontur.WriteOff {
	t.Helper()
	ctx := context.Background()
	ledger := sim.Ledger()
	byOp := ledger.ByOperation()
	ours := map[string]bool{}
	hubNet := map[string]money.Decimal{}
	cardNet := map[string]map[string]money.Decimal{}
	stored := make([]kontur.WriteOff, len(reqs))
	type folioType struct{ folio, pt string }
	used := map[folioType]money.Decimal{}
	debt := map[string]money.Decimal{}
	// One query reads them all (table order, strongly consistent).
	all := map[string]kontur.WriteOff{}
	for q := (kontur.WriteOffQuery{Order: kontur.ByRef, Limit: store.MaxQueryLimit}); ; {
		p, err := svc.ListWriteOffs(ctx, tenant, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range p.Items {
			all[w.RequestID] = w
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if len(all) > len(reqs) {
		t.Errorf("%d write-offs stored for %d requests", len(all), len(reqs))
	}
	for i, req := range reqs {
		w, ok := all[req.RequestID]
		if !ok && !seen(i) {
			continue
		}
		if !ok {
			t.Errorf("%s lost", req.RequestID)
			continue
		}
		stored[i] = w
		ours[w.OperationID] = true
		var debits, stornos int
		for _, e := range byOp[w.OperationID] {
			if e.Amount.Cmp(w.Amount) != 0 || e.Currency != w.Currency || e.Card != req.CardNumber {
				t.Errorf("%s: ledger entry %+v does not match %s %s", req.RequestID, e, w.Amount, w.Currency)
			}
			if cardNet[e.Card] == nil {
				cardNet[e.Card] = map[string]money.Decimal{}
			}
			if e.Kind == kontursim.KindDebit {
				debits++
				cardNet[e.Card][e.Currency] = cardNet[e.Card][e.Currency].Add(e.Amount)
			} else {
				stornos++
				cardNet[e.Card][e.Currency] = cardNet[e.Card][e.Currency].Sub(e.Amount)
			}
		}
		switch w.State {
		case kontur.StateRecorded:
			if debits != 1 || stornos != 0 || w.Payment == nil {
				t.Errorf("%s recorded with %d debits, %d stornos", req.RequestID, debits, stornos)
			}
			hubNet[w.Currency] = hubNet[w.Currency].Add(w.Amount)
			k := folioType{req.FolioID, w.PaymentType}
			used[k] = used[k].Add(w.Amount)
		case kontur.StateFailed:
			if debits != 0 || stornos != 0 || w.Reason == "" || w.ReasonCode == "" {
				t.Errorf("%s failed (%s) with %d debits, %d stornos", req.RequestID, w.ReasonCode, debits, stornos)
			}
		case kontur.StateCancelled:
			if debits != 1 || stornos != 1 {
				t.Errorf("%s cancelled with %d debits, %d stornos", req.RequestID, debits, stornos)
			}
		default:
			t.Errorf("%s stuck in %s", req.RequestID, w.State)
		}
		if d := req.Saldo.Neg(); d.Cmp(debt[req.FolioID]) > 0 {
			debt[req.FolioID] = d
		}
	}
	for op := range byOp {
		if !ours[op] {
			t.Errorf("ledger has operation %s that no write-off knows", op)
		}
	}
	// To the kopeck: the ledger's net per currency is what the hub recorded.
	net := ledger.Net()
	for _, cur := range []string{"BONUS", "RUB"} {
		if !net[cur].Equal(hubNet[cur]) {
			t.Errorf("%s: ledger net %s, hub recorded %s", cur, net[cur], hubNet[cur])
		}
	}
	// And every card lost exactly what the ledger says.
	for card, start := range initial {
		now := sim.Balances(card)
		for cur, amt := range start {
			if got := amt.Sub(now[cur]); !got.Equal(cardNet[card][cur]) {
				t.Errorf("card %s %s: balance went down by %s, ledger says %s", card[len(card)-4:], cur, got, cardNet[card][cur])
			}
		}
	}
	// No folio went past its cap: MaxPercent of the largest debt it showed.
	pct := map[string]money.Decimal{}
	for _, pt := range types {
		pct[pt.Ref] = pt.MaxPercent
	}
	for k, sum := range used {
		limit := debt[k.folio].Mul(pct[k.pt]).Mul(money.New(1, 2))
		if sum.Cmp(limit) > 0 {
			t.Errorf("folio %s: %s written off, cap %s", k.folio, sum, limit)
		}
	}
	return stored
}

// parallel runs fn(0..n-1) with at most width at once.
func parallel(n, width int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < width; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// atoi reads a whole decimal as int64 (test workload only).
func atoi(d money.Decimal) int64 {
	var n int64
	fmt.Sscan(d.String(), &n)
	return n
}
