package novotelecom_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

// TestConcurrentCalls: double clicks and concurrent Lambda invocations. A request submitted
// twice at once builds one file, concurrent submits lose no account, a registry accepted
// twice at once makes one document, two exchanges at once do not both run.
func TestConcurrentCalls(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := newBackend(t, adapter)
			svc := b.service(t, nil)
			configure(t, svc, novotelecom.CodingCity)

			const n = 6
			var wg sync.WaitGroup
			files := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					var reg novotelecom.Registry
					reg, errs[i] = b.service(t, nil).SubmitDebts(ctx, tenant, demoDebts("same"))
					files[i] = reg.File
				})
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil || files[i] != files[0] {
					t.Fatalf("submit %d: %s %v (first %s)", i, files[i], errs[i], files[0])
				}
			}
			// Different requests at once, each with an account of its own.
			for i := range n {
				wg.Go(func() {
					req := demoDebts(fmt.Sprintf("acc-%d", i))
					req.Lines = append(req.Lines, novotelecom.DebtLine{Account: fmt.Sprintf("9000%d", i),
						Service: novotelecom.ServiceCodes{City: "101"}, Amount: d("1.00")})
					_, errs[i] = b.service(t, nil).SubmitDebts(ctx, tenant, req)
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var recs []registry.Record
			for i := range n {
				recs = append(recs, pay(fmt.Sprintf("9000%d", i), "1.00", fmt.Sprintf("c%d", i)))
			}
			name, data := payments(t, 5, registry.CP1251, recs...)
			b.sim.Offer(login, name, data)

			// Two exchanges at once: one runs, the other is told to wait (or, if the first
			// finished already, runs an empty session).
			b.sim.SetFaults(ntsim.Faults{Delay: 20 * time.Millisecond})
			codes := make([]string, 2)
			for i := range 2 {
				wg.Go(func() {
					_, err := b.service(t, nil).RunExchange(ctx, tenant, time.Date(2018, 6, 21, 10, i, 0, 0, time.UTC))
					codes[i] = code(err)
				})
			}
			wg.Wait()
			b.sim.SetFaults(ntsim.Faults{})
			for _, c := range codes {
				if c != "" && c != "NOVOTELECOM_BUSY" {
					t.Fatalf("concurrent exchanges: %v", codes)
				}
			}
			if codes[0] == "NOVOTELECOM_BUSY" && codes[1] == "NOVOTELECOM_BUSY" {
				t.Fatal("both refused")
			}
			b.clk.Advance(time.Hour)
			if _, err := svc.RunExchange(ctx, tenant, time.Time{}); err != nil {
				t.Fatal(err)
			}
			awaiting := inFolder(t, svc, novotelecom.FolderAwaiting)
			if len(awaiting) != 1 || awaiting[0].Count != n {
				t.Fatalf("payments for the concurrently added accounts: %+v", awaiting)
			}
			var ok, already int
			var mu sync.Mutex
			for range n {
				wg.Go(func() {
					_, err := b.service(t, nil).Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: awaiting[0].ID})
					mu.Lock()
					defer mu.Unlock()
					switch code(err) {
					case "":
						ok++
					case "NOVOTELECOM_ALREADY_ACCEPTED":
						already++
					default:
						t.Errorf("accept: %v", err)
					}
				})
			}
			wg.Wait()
			if ok != 1 || already != n-1 {
				t.Fatalf("accepted %d times, refused %d", ok, already)
			}
			var confirms int
			for _, r := range inFolder(t, svc, novotelecom.FolderOutgoing) {
				if r.Kind == registry.Confirm {
					confirms++
				}
			}
			if confirms != 1 {
				t.Fatalf("%d confirmations", confirms)
			}
		})
	}
}
