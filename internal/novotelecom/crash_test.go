package novotelecom_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// crasher kills the service at the n-th time it reaches a step, once: the panic unwinds the
// exchange as a killed process would, leaving whatever the store and the blobs hold.
type crasher struct {
	mu    sync.Mutex
	step  novotelecom.Step
	n     int
	seen  int
	fired bool
	count map[novotelecom.Step]int // when counting instead of crashing
}

type crashed struct{ step novotelecom.Step }

func (c *crasher) hook(s novotelecom.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count != nil {
		c.count[s]++
		return
	}
	if c.fired || s != c.step {
		return
	}
	c.seen++
	if c.seen == c.n {
		c.fired = true
		panic(crashed{s})
	}
}

// run calls fn and reports whether it crashed; any other panic is re-raised.
func run(fn func()) (didCrash bool) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(crashed); !ok {
				panic(v)
			}
			didCrash = true
		}
	}()
	fn()
	return false
}

var (
	slot1 = time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)
	slot2 = slot1.Add(time.Hour)
)

// crashScenario is two scheduled sessions: the first sends debts and receives the demo
// registries and the answer to the debts, the second sends the rejection of the broken
// registry and receives its corrected version. After a crash the slot is run again by a fresh
// service, as EventBridge retries a failed invocation.
func crashScenario(t *testing.T, b *backend, c *crasher) {
	ctx := context.Background()
	for _, slot := range []time.Time{slot1, slot2} {
		b.clk.Set(slot.Add(time.Minute))
		for attempt := 0; ; attempt++ {
			if attempt > 1 {
				t.Fatalf("slot %v: crashed twice", slot)
			}
			svc := b.service(t, c.hook)
			var sess novotelecom.Session
			var err error
			if !run(func() { sess, err = svc.RunExchange(ctx, tenant, slot) }) {
				if err != nil || sess.State != novotelecom.SessionDone {
					t.Fatalf("slot %v: %+v %v", slot, sess, err)
				}
				break
			}
		}
	}
}

func crashSetup(t *testing.T, adapter string) *backend {
	b := newBackend(t, adapter)
	b.sim.SeedDemo(login)
	svc := b.service(t, nil)
	configure(t, svc, novotelecom.CodingCity)
	if _, err := svc.SubmitDebts(context.Background(), tenant, demoDebts("req-1")); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCrashAtEveryStep kills the exchange at every occurrence of every step, on both
// deployments, restarts it and checks that every file was sent exactly once, received and
// stored exactly once, and none lost.
func TestCrashAtEveryStep(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			// A dry run counts how often the scenario meets each step.
			counter := &crasher{count: map[novotelecom.Step]int{}}
			b := crashSetup(t, adapter)
			crashScenario(t, b, counter)
			checkOutcome(t, b, "")
			for _, step := range novotelecom.ExchangeSteps {
				if counter.count[step] == 0 {
					t.Fatalf("the scenario never reaches %s", step)
				}
			}
			// The cases wait mostly on fsync and the network, so a few run at once (t.Run may
			// be called from several goroutines).
			type crashCase struct {
				step novotelecom.Step
				n    int
			}
			cases := make(chan crashCase)
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for cc := range cases {
						t.Run(fmt.Sprintf("%s#%d", cc.step, cc.n), func(t *testing.T) {
							b := crashSetup(t, adapter)
							c := &crasher{step: cc.step, n: cc.n}
							crashScenario(t, b, c)
							if !c.fired {
								t.Fatal("never crashed")
							}
							checkOutcome(t, b, cc.step)
						})
					}
				})
			}
			for _, step := range novotelecom.ExchangeSteps {
				for n := 1; n <= counter.count[step]; n++ {
					cases <- crashCase{step, n}
				}
			}
			close(cases)
			wg.Wait()
		})
	}
}

// checkOutcome checks the end state the scenario must reach whatever crashed.
func checkOutcome(t *testing.T, b *backend, step novotelecom.Step) {
	t.Helper()
	ctx := context.Background()
	svc := b.service(t, nil)

	// Sent exactly once: the server holds each file once; a second PUT happens only after a
	// crash between the upload and its record, and the server took it as a duplicate.
	ups := b.sim.Uploads(login)
	var upNames []string
	for _, u := range ups {
		upNames = append(upNames, u.Name)
		if u.Puts != 1 && !(u.Puts == 2 && step == novotelecom.StepAfterUpload) {
			t.Errorf("%s PUT %d times (crash at %s)", u.Name, u.Puts, step)
		}
	}
	if !slices.Equal(upNames, []string{"Debts_20180621_001.txt", "Reject_20180621_001.txt"}) {
		t.Errorf("uploads: %v", upNames)
	}
	// Nothing left on the server, nothing lost: every file it offered is stored, once.
	if p := b.sim.Pending(login); len(p) != 0 {
		t.Errorf("%d files left on the server", len(p))
	}
	want := map[novotelecom.Folder][]string{
		novotelecom.FolderProcessed: {"Debts_20180621_001.txt"},
		novotelecom.FolderSent:      {"Reject_20180621_001.txt"},
		novotelecom.FolderRejected:  {"Payments_20180621_007.txt"},
		novotelecom.FolderAwaiting:  {"Payments_20180621_007.txt", "Payments_20180622_002.txt", "Readings_20180622_001.txt"},
		novotelecom.FolderAnswers:   {"Answer_20180621_001.txt"},
	}
	var in int
	for _, f := range novotelecom.Folders {
		regs := inFolder(t, svc, f)
		got := names(regs)
		sort.Strings(got)
		if !slices.Equal(got, want[f]) {
			t.Errorf("folder %s: %v, want %v", f, got, want[f])
		}
		for _, r := range regs {
			if r.Direction == novotelecom.In {
				in++
			}
		}
	}
	if in != 5 {
		t.Errorf("%d received files, want 5", in)
	}
	stored, err := b.bl.List(ctx, "t/"+tenant+"/novotelecom/in/")
	if err != nil || len(stored) != 5 {
		t.Errorf("%d received blobs (%v), want 5", len(stored), err)
	}
	errs := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.ErrorEntry], error) {
		return svc.Errors(ctx, tenant, r)
	})
	if len(errs) != 1 || errs[0].Message != "строка: 1, неизв.лиц.счёт: 8032067" {
		t.Errorf("errors: %+v", errs)
	}
	sessions := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.Session], error) {
		return svc.Sessions(ctx, tenant, r)
	})
	var sent, received int
	for _, s := range sessions {
		if s.State != novotelecom.SessionDone {
			t.Errorf("session %s: %s", s.ID, s.State)
		}
		sent += s.Sent
		received += s.Received
	}
	if len(sessions) != 2 || sent != 2 || received != 5 {
		t.Errorf("sessions: %d, sent %d, received %d", len(sessions), sent, received)
	}
}

// TestCrashDuringAccept kills an acceptance after each of its steps: the next call finishes
// it, with one document and one confirmation; a third is refused.
func TestCrashDuringAccept(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			for _, step := range []novotelecom.Step{novotelecom.StepAcceptClaimed, novotelecom.StepAcceptQueued} {
				t.Run(string(step), func(t *testing.T) {
					ctx := context.Background()
					b := crashSetup(t, adapter)
					if _, err := b.service(t, nil).RunExchange(ctx, tenant, slot1); err != nil {
						t.Fatal(err)
					}
					svc := b.service(t, nil)
					pending := inFolder(t, svc, novotelecom.FolderAwaiting)
					if len(pending) != 2 {
						t.Fatalf("pending: %v", names(pending))
					}
					id := pending[0].ID
					c := &crasher{step: step, n: 1}
					if !run(func() { _, _ = b.service(t, c.hook).Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: id}) }) {
						t.Fatal("never crashed")
					}
					doc, err := svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: id})
					if err != nil || doc.Count != pending[0].Count || doc.Confirmation == "" {
						t.Fatalf("resumed accept: %+v %v", doc, err)
					}
					if _, err := svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: id}); code(err) != "NOVOTELECOM_ALREADY_ACCEPTED" {
						t.Fatalf("third accept: %v", err)
					}
					var confirms []string
					for _, r := range inFolder(t, svc, novotelecom.FolderOutgoing) {
						if r.Kind == registry.Confirm {
							confirms = append(confirms, r.File)
						}
					}
					if !slices.Equal(confirms, []string{doc.Confirmation}) {
						t.Fatalf("confirmations: %v", confirms)
					}
				})
			}
		})
	}
}
