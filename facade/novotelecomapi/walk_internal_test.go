package novotelecomapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/httpclient"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
	"github.com/stykovka/stykovka/internal/store/boltstore"
)

// walkService is the domain over a bbolt store and the simulator, after one exchange of the
// seed's registries and a debts registry of its own.
func walkService(t *testing.T) *novotelecom.Service {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(dir, "db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := folderblobs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	se, err := localsealer.Open(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	sim := ntsim.New(clk)
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sim.AddAccount("l", "p")
	sim.SeedDemo("l")
	cl, err := httpclient.New(sim.URL(), httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := novotelecom.New(novotelecom.Deps{Store: st, Blobs: bl, Sealer: se, Clock: clk, Server: cl,
		Zone: func(context.Context, string) (*time.Location, error) { return time.UTC, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.SaveSettings(ctx, "t", novotelecom.SettingsRequest{Coding: novotelecom.CodingAccount, Login: "l", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	var lines []novotelecom.DebtLine
	for i := range 7 {
		lines = append(lines, novotelecom.DebtLine{Account: fmt.Sprintf("803200%d", i+1), Amount: money.MustParse("1.00")})
	}
	if _, err := svc.SubmitDebts(ctx, "t", novotelecom.DebtsRequest{RequestID: "r", Period: registry.Period{Year: 2018, Month: time.May}, Lines: lines}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunExchange(ctx, "t", time.Time{}); err != nil {
		t.Fatal(err)
	}
	return svc
}

func lineKey(e odata.Entity) string { return fmt.Sprintf("%s#%d", e["RegistryID"], e["LineNumber"]) }

// TestWalkPagesAddUp: the key-order walk of every registry's lines gives the same lines in
// the same order whatever the page size, pages ending inside a registry or at its end.
func TestWalkPagesAddUp(t *testing.T) {
	svc := walkService(t)
	src := linesSource{svc: svc}
	ctx := context.Background()
	whole, err := src.List(ctx, "t", odata.ListRequest{Limit: 1000})
	if err != nil || whole.Next != "" {
		t.Fatalf("one page: next %q, %v", whole.Next, err)
	}
	var want []string
	for _, e := range whole.Entities {
		want = append(want, lineKey(e))
	}
	// The debts (7), the broken payments as stored (2), the other payments (1), the readings
	// (2), the rejection queued (1).
	if len(want) != 13 {
		t.Fatalf("%d lines: %v", len(want), want)
	}
	for size := 1; size <= 8; size++ {
		var got []string
		req := odata.ListRequest{Limit: size}
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatalf("size %d: no end", size)
			}
			p, err := src.List(ctx, "t", req)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Entities) > size {
				t.Fatalf("size %d: a page of %d", size, len(p.Entities))
			}
			for _, e := range p.Entities {
				got = append(got, lineKey(e))
			}
			if p.Next == "" {
				break
			}
			// The same request gives the same page (the handler re-reads pages).
			again, err := src.List(ctx, "t", req)
			if err != nil || len(again.Entities) != len(p.Entities) || again.Next != p.Next {
				t.Fatalf("size %d: a page read twice differs", size)
			}
			req.Cursor = p.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("size %d:\n%v\nwant\n%v", size, got, want)
		}
	}

	// A cursor naming a registry that is gone goes on with the next one, from its first line.
	gone, _ := json.Marshal(walkCursor{Reg: "Debts_20180621_000.txt", Lines: "bogus"})
	p, err := src.List(ctx, "t", odata.ListRequest{Limit: 1000, Cursor: base64.RawURLEncoding.EncodeToString(gone)})
	if err != nil || len(p.Entities) == 0 || lineKey(p.Entities[0]) != "Debts_20180621_001.txt#1" {
		t.Fatalf("after a gone registry: %v %v", p.Entities, err)
	}
	if _, err := src.List(ctx, "t", odata.ListRequest{Limit: 5, Cursor: "!!"}); err == nil {
		t.Fatal("a broken cursor was taken")
	}
	if _, err := src.List(ctx, "t", odata.ListRequest{Limit: 5, Desc: true}); err == nil {
		t.Fatal("a descending walk was taken")
	}
}
