package sep_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/internal/sep/sepsoap"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
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

// t0 is a Monday morning, UTC.
var t0 = time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC)

const tenant = "demo-leasing"

// adapter opens a fresh store on one of the two adapters.
type adapter struct {
	name string
	open func(t testing.TB, clk clock.Clock) store.Store
}

var tableSeq atomic.Int64

var adapters = []adapter{
	{"bbolt", func(t testing.TB, clk clock.Clock) store.Store {
		return openBolt(t, t.TempDir(), clk)
	}},
	{"dynalite", func(t testing.TB, clk clock.Clock) store.Store {
		client := dynalite.Client(t, dynalite.Shared(t))
		table := fmt.Sprintf("sep%d", tableSeq.Add(1))
		if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		return dynamostore.New(client, table, clk)
	}},
}

func openBolt(t testing.TB, dir string, clk clock.Clock) store.Store {
	s, err := boltstore.Open(filepath.Join(dir, "hub.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// memDir is a folder on a memory-backed file system when there is one (Linux /dev/shm):
// bbolt syncs every commit, and a test that writes 200,000 items should not wait on a disk.
func memDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "sep-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// counting wraps a store and counts what goes through it.
type counting struct {
	store.Store
	queries, items, gets, puts, updates, deletes atomic.Int64
}

func (c *counting) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := c.Store.Query(ctx, q)
	c.queries.Add(1)
	c.items.Add(int64(len(p.Items)))
	return p, err
}

func (c *counting) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, pk, sk)
}

func (c *counting) Put(ctx context.Context, it store.Item, conds ...store.Cond) (store.Item, error) {
	c.puts.Add(1)
	return c.Store.Put(ctx, it, conds...)
}

func (c *counting) Update(ctx context.Context, pk, sk string, u store.Update, conds ...store.Cond) (store.Item, error) {
	c.updates.Add(1)
	return c.Store.Update(ctx, pk, sk, u, conds...)
}

func (c *counting) Delete(ctx context.Context, pk, sk string, conds ...store.Cond) error {
	c.deletes.Add(1)
	return c.Store.Delete(ctx, pk, sk, conds...)
}

func (c *counting) reset() {
	for _, n := range []*atomic.Int64{&c.queries, &c.items, &c.gets, &c.puts, &c.updates, &c.deletes} {
		n.Store(0)
	}
}

// env is a hub with the SEP domain on one store adapter, talking over real HTTP to the
// simulator; hub and simulator share one fake clock.
type env struct {
	t      testing.TB
	ctx    context.Context
	clk    *clock.Fake
	st     *counting
	blobs  *folderblobs.Folder
	sim    *sepsim.Sim
	url    string
	svc    *sep.Service
	opts   sep.Options
	dir    string
	client *sepsoap.Client
}

func newEnv(t testing.TB, ad adapter, opts sep.Options) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clk: clock.NewFake(t0), dir: t.TempDir(), opts: opts}
	e.st = &counting{Store: ad.open(t, e.clk)}
	var err error
	if e.blobs, err = folderblobs.New(filepath.Join(e.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	e.sim = sepsim.New(sepsim.Options{Clock: e.clk})
	srv := httptest.NewServer(e.sim.Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL + sepsim.Path
	e.client = sepsoap.New(e.url, &http.Client{Timeout: 10 * time.Second})
	e.svc = e.newService(e.client)
	return e
}

// newService builds another Service over the same store, blobs and keys: a second process.
func (e *env) newService(gw sep.Gateway) *sep.Service {
	return e.newServiceWith(gw, func(s sep.Signer) sep.Signer { return s })
}

// newServiceWith is newService with a wrapped signer.
func (e *env) newServiceWith(gw sep.Gateway, wrap func(sep.Signer) sep.Signer) *sep.Service {
	e.t.Helper()
	se, err := localsealer.Open(filepath.Join(e.dir, "keys", "seal.key"))
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := sep.New(sep.Deps{
		Store: e.st, Blobs: e.blobs, Sealer: se, Clock: e.clk, Gateway: gw,
		Signer:   wrap(&sep.KeySigner{Store: e.st, Sealer: se}),
		Notifier: &sep.OutboxNotifier{Blobs: e.blobs, Store: e.st, Clock: e.clk, From: "hub@demo-leasing.example"},
	}, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// Demo tenant data: the leasing company's organisation, people and assets.
const (
	personIvanov = "person-ivanov"
	personSEP    = "person-sep"
	ivanovEmail  = "ivanov@demo-leasing.example"
	sepEmail     = "sep-lead@demo-leasing.example"
)

// setup registers the demo participants and vehicles with SEP and the tenant's settings,
// people and assets with the hub (as 1C would write them), and the organisation's key.
func (e *env) setup() {
	e.t.Helper()
	for _, p := range sepsim.DemoParticipants() {
		e.sim.AddParticipant(p)
	}
	for _, v := range sepsim.DemoVehicles() {
		e.sim.AddVehicle(v)
	}
	must(e.t, func() error {
		_, err := e.svc.PutSettings(e.ctx, tenant, sep.Settings{
			Organisations:    []sep.Organisation{{INN: sepsim.DemoLessorINN, OGRN: sepsim.DemoLessorOGRN, Name: "ООО «Демо Лизинг»"}},
			SEPResponsibleID: personSEP, TechMailbox: sepsim.DemoTechMailbox,
		})
		return err
	})
	key, err := e.svc.OrganisationKey(e.ctx, tenant, sepsim.DemoLessorINN)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.sim.SetPublicKey(sepsim.DemoLessorINN, key); err != nil {
		e.t.Fatal(err)
	}
	for _, p := range []sep.Person{
		{ID: personIvanov, Name: "Иванов Иван Иванович", Email: ivanovEmail},
		{ID: personSEP, Name: "Петрова Анна Сергеевна", Email: sepEmail},
	} {
		must(e.t, func() error { _, err := e.svc.PutPerson(e.ctx, tenant, p); return err })
	}
	vs := sepsim.DemoVehicles()
	for i, v := range vs {
		a := sep.Asset{ID: fmt.Sprintf("asset-%d", i+1), Code: fmt.Sprintf("ОС-%04d", i+1), Name: v.Make + " " + v.Model,
			VIN: v.VIN, EPTS: v.EPTS, OrganisationINN: sepsim.DemoLessorINN}
		if i == 0 {
			a.ResponsibleID = personIvanov
		}
		must(e.t, func() error { _, err := e.svc.PutAsset(e.ctx, tenant, a); return err })
	}
}

func must(t testing.TB, fn func() error) {
	t.Helper()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
}

// ingestOutbox hands the hub every letter of SEP's outbox from index from on, as SES would.
func (e *env) ingestOutbox(from int) []sep.Letter {
	e.t.Helper()
	var out []sep.Letter
	for _, l := range e.sim.Outbox()[from:] {
		got, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: l.Raw})
		if err != nil {
			e.t.Fatalf("ingest %s: %v", l.ID, err)
		}
		out = append(out, got)
	}
	return out
}

// tick advances the clock and runs the poller's tick at the new time.
func (e *env) tick(d time.Duration) sep.TickReport {
	e.t.Helper()
	e.clk.Advance(d)
	rep, err := e.svc.Tick(e.ctx, e.clk.Now())
	if err != nil {
		e.t.Fatalf("tick: %v", err)
	}
	return rep
}

func (e *env) entry(id string) sep.Entry {
	e.t.Helper()
	got, err := e.svc.Entry(e.ctx, tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// resultCalls counts the simulator's GetResult calls per queue id.
func (e *env) resultCalls() map[string]int {
	out := map[string]int{}
	for _, c := range e.sim.Calls() {
		if c.Op == "GetResult" {
			out[c.QueueID]++
		}
	}
	return out
}

// assertNeverEarly checks SEP's rule on everything the simulator saw.
func (e *env) assertNeverEarly() {
	e.t.Helper()
	if early := e.sim.EarlyResultCalls(); len(early) > 0 {
		e.t.Fatalf("GetResult sent before 60 s: %+v", early)
	}
	for _, c := range e.sim.Calls() {
		if c.Op == "GetResult" && c.SinceQueued < time.Minute && c.Answer != "Fault:QUEUE_NOT_FOUND" {
			e.t.Fatalf("GetResult %s came %v after its queue number", c.QueueID, c.SinceQueued)
		}
	}
}

// own runs an ownership change of demo vehicle i to the leasing company through SEP, so that
// its asset gets the status "В собственности".
func (e *env) own(i int) {
	e.t.Helper()
	v := sepsim.DemoVehicles()[i]
	number, err := e.sim.CreateOwnershipChange(v.EPTS, sepsim.DemoLessorINN, e.clk.Now().AddDate(0, 0, 14))
	if err != nil {
		e.t.Fatal(err)
	}
	from := len(e.sim.Outbox()) - 1
	l := e.ingestOutbox(from)[0]
	if _, err := e.svc.RequestLetterData(e.ctx, tenant, sep.LetterDataRequest{OrganisationINN: sepsim.DemoLessorINN, LetterIDs: []string{l.ID}}); err != nil {
		e.t.Fatal(err)
	}
	e.tick(time.Minute)
	if _, err := e.svc.ConfirmOwnership(e.ctx, tenant, sep.ConfirmRequest{Number: number, Status: sep.PartyConfirmed}); err != nil {
		e.t.Fatal(err)
	}
	e.tick(time.Minute)
	if a, err := e.svc.ApplicationData(e.ctx, tenant, number); err != nil || a.Status != sep.AppExecuted {
		e.t.Fatalf("ownership change %s: %+v %v", number, a, err)
	}
}
