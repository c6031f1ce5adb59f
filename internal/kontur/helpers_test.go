package kontur_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/kontur/konturhttp"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

const (
	tenant = "hotel-1"
	apiKey = "kontur-test-key"
)

// adapter opens a fresh, empty store of one kind.
type adapter struct {
	name string
	open func(t testing.TB, clk clock.Clock) store.Store
}

var tableSeq atomic.Int64

func adapters() []adapter {
	return []adapter{
		{"bolt", func(t testing.TB, clk clock.Clock) store.Store {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "stykovka.db"), clk)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"dynalite", func(t testing.TB, clk clock.Clock) store.Store {
			client := dynalite.Client(t, dynalite.Shared(t))
			table := fmt.Sprintf("kontur%d", tableSeq.Add(1))
			if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
				t.Fatal(err)
			}
			return dynamostore.New(client, table, clk)
		}},
	}
}

// forEachAdapter runs fn as a subtest per store adapter.
func forEachAdapter(t *testing.T, fn func(t *testing.T, a adapter)) {
	for _, a := range adapters() {
		t.Run(a.name, func(t *testing.T) { fn(t, a) })
	}
}

// env is a hub (one Service) over a store, talking to a simulator over real HTTP.
type env struct {
	t     *testing.T
	clk   *clock.Fake
	base  store.Store // the adapter
	ts    *testStore  // base with counters and faults; the Service's store
	sim   *kontursim.Sim
	svc   *kontur.Service
	bonus kontur.PaymentType // BONUS, 50 %
	rub   kontur.PaymentType // RUB, 30 %
}

const (
	card1 = "7000000000001234" // BONUS 5000, RUB 1500.00
	card2 = "7000000000005678" // BONUS 120, RUB 0.00
)

func newEnv(t *testing.T, a adapter, opts kontur.Options) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFake(t0)}
	e.base = a.open(t, e.clk)
	e.ts = newTestStore(e.base, 1)
	e.sim = kontursim.New(kontursim.Options{APIKey: apiKey, Clock: e.clk, Cards: []kontursim.Card{
		{Number: card1, Balances: map[string]money.Decimal{"BONUS": money.FromInt(5000), "RUB": money.MustParse("1500.00")}},
		{Number: card2, Balances: map[string]money.Decimal{"BONUS": money.FromInt(120), "RUB": money.MustParse("0.00")}},
	}})
	if _, err := e.sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sim.Close() })
	if opts.RetryDelay == 0 {
		opts.RetryDelay = time.Millisecond
	}
	e.svc = kontur.New(e.ts, e.clk, kontur.Single(e.client(2*time.Second)), opts)
	ctx := context.Background()
	var err error
	e.bonus, err = e.svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{
		Name: "Бонусы", Currency: "BONUS", MaxPercent: money.FromInt(50), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	e.rub, err = e.svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{
		Name: "Бонусные рубли", Currency: "RUB", MaxPercent: money.FromInt(30), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) client(timeout time.Duration) *konturhttp.Client {
	e.t.Helper()
	c, err := konturhttp.New(konturhttp.Config{BaseURL: e.sim.URL(), APIKey: apiKey, Timeout: timeout})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// faults sets the simulator's faults.
func (e *env) faults(f kontursim.Faults) {
	e.t.Helper()
	if err := e.sim.SetFaults(f); err != nil {
		e.t.Fatal(err)
	}
}

func dec(s string) money.Decimal { return money.MustParse(s) }

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

var errInjected = errors.New("test: injected store failure")

// testStore wraps a store: it counts writes and, on request, fails them — before applying
// (the write is lost) or after (the write happened, the caller is told it failed) — and can
// be "killed" with its process.
//
// The caller's cancellation is not passed on to the store: dynalite 4 exits when a client
// aborts a request in flight (seen here with context deadlines of a few milliseconds). A store
// call cut by a deadline looks to the domain like a failed write, which the injected faults
// cover.
type testStore struct {
	store.Store
	writes   atomic.Int64
	reads    atomic.Int64
	injected atomic.Int64

	mu                    sync.Mutex
	rng                   *rand.Rand
	failBefore, failAfter float64
	dead                  *atomic.Bool
}

func newTestStore(s store.Store, seed uint64) *testStore {
	return &testStore{Store: s, rng: rand.New(rand.NewPCG(seed, seed+1)), dead: new(atomic.Bool)}
}

func (s *testStore) setFaults(before, after float64) {
	s.mu.Lock()
	s.failBefore, s.failAfter = before, after
	s.mu.Unlock()
}

func (s *testStore) hit(p float64) bool {
	if p == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

var errDead = errors.New("test: process killed")

func (s *testStore) write(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if s.dead.Load() {
		return errDead
	}
	s.writes.Add(1)
	if s.hit(s.failBefore) {
		s.injected.Add(1)
		return errInjected
	}
	if err := fn(ctx); err != nil {
		return err
	}
	if s.hit(s.failAfter) {
		s.injected.Add(1)
		return errInjected
	}
	return nil
}

func (s *testStore) Put(ctx context.Context, it store.Item, conds ...store.Cond) (store.Item, error) {
	var out store.Item
	err := s.write(ctx, func(ctx context.Context) (err error) { out, err = s.Store.Put(ctx, it, conds...); return err })
	return out, err
}

func (s *testStore) Update(ctx context.Context, pk, sk string, u store.Update, conds ...store.Cond) (store.Item, error) {
	var out store.Item
	err := s.write(ctx, func(ctx context.Context) (err error) { out, err = s.Store.Update(ctx, pk, sk, u, conds...); return err })
	return out, err
}

func (s *testStore) Delete(ctx context.Context, pk, sk string, conds ...store.Cond) error {
	return s.write(ctx, func(ctx context.Context) error { return s.Store.Delete(ctx, pk, sk, conds...) })
}

func (s *testStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if s.dead.Load() {
		return store.Item{}, errDead
	}
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	s.reads.Add(1)
	return s.Store.Get(context.WithoutCancel(ctx), pk, sk)
}

func (s *testStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if s.dead.Load() {
		return store.Page{}, errDead
	}
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	s.reads.Add(1)
	return s.Store.Query(context.WithoutCancel(ctx), q)
}

// Close does nothing: the adapter belongs to the test.
func (s *testStore) Close() error { return nil }

// crashClient wraps the Kontur client of a "process": with probability p the process dies
// right after Kontur answered a debit or a cancel — the answer is lost, and from then on the
// process's store and client refuse everything, as if it had been killed.
type crashClient struct {
	kontur.Client
	dead *atomic.Bool
	p    float64
	mu   sync.Mutex
	rng  *rand.Rand
}

func (c *crashClient) setP(p float64) {
	c.mu.Lock()
	c.p = p
	c.mu.Unlock()
}

func (c *crashClient) crash() bool {
	c.mu.Lock()
	hit := c.p > 0 && c.rng.Float64() < c.p
	c.mu.Unlock()
	if hit {
		c.dead.Store(true)
	}
	return hit
}

func (c *crashClient) Balance(ctx context.Context, card string) ([]kontur.Balance, error) {
	if c.dead.Load() {
		return nil, errDead
	}
	return c.Client.Balance(ctx, card)
}

func (c *crashClient) Debit(ctx context.Context, req kontur.DebitRequest) (kontur.Operation, error) {
	if c.dead.Load() {
		return kontur.Operation{}, errDead
	}
	op, err := c.Client.Debit(ctx, req)
	if err == nil && c.crash() {
		return kontur.Operation{}, errDead
	}
	return op, err
}

func (c *crashClient) GetOperation(ctx context.Context, id string) (kontur.Operation, error) {
	if c.dead.Load() {
		return kontur.Operation{}, errDead
	}
	return c.Client.GetOperation(ctx, id)
}

func (c *crashClient) Cancel(ctx context.Context, id string) (kontur.Operation, error) {
	if c.dead.Load() {
		return kontur.Operation{}, errDead
	}
	op, err := c.Client.Cancel(ctx, id)
	if err == nil && c.crash() {
		return kontur.Operation{}, errDead
	}
	return op, err
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5bd1e995)) }
