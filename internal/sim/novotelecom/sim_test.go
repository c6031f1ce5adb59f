package novotelecom_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/httpclient"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

func TestDemoFiles(t *testing.T) {
	accounts := registry.NewAccountSet(ntsim.DemoAccounts()...)
	files := ntsim.DemoFiles()
	want := map[string]string{
		"Payments_20180621_007.txt": "Payments_20180621_007.txt: строка: 1, неизв.лиц.счёт: 8032067",
		"Payments_20180622_002.txt": "",
		"Readings_20180622_001.txt": "",
	}
	if len(files) != len(want) {
		t.Fatalf("%d demo files", len(files))
	}
	for _, f := range files {
		_, err := registry.Validate(bytes.NewReader(f.Data), f.Name, registry.Options{Accounts: accounts})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want[f.Name] {
			t.Errorf("%s: %q, want %q", f.Name, got, want[f.Name])
		}
	}
	fix := ntsim.DemoCorrection()
	h, err := registry.Validate(bytes.NewReader(fix.Data), fix.Name, registry.Options{Accounts: accounts})
	if err != nil || h.Count != 2 || h.Sum.String() != "1055.00" || h.Number != 7 {
		t.Fatalf("correction: %+v %v", h, err)
	}
}

// TestReactions: answers to registries, nothing for confirmations, a correction for a
// rejected demo file.
func TestReactions(t *testing.T) {
	ctx := context.Background()
	sim := ntsim.New(clock.NewFake(time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)))
	if err := sim.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("hoa", "pw")
	sim.SeedDemo("hoa")
	c, _ := httpclient.New(sim.URL(), httpclient.Options{})
	conn, err := c.Login(ctx, "hoa", "pw")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(h registry.Header, recs ...registry.Record) string {
		t.Helper()
		var buf bytes.Buffer
		h, err := registry.Build(&buf, h, slices.Values(recs))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Upload(ctx, h.FileName(), buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		return h.FileName()
	}
	day := registry.Date(2018, 6, 21)
	debts := upload(registry.Header{Kind: registry.Debts, Number: 1, Date: day, Period: registry.Period{Year: 2018, Month: 5}},
		registry.Record{Account: "8032001", Amount: money.MustParse("1.00")})
	if _, err := conn.Upload(ctx, "Debts_20180621_002.txt", []byte("#MS1;DEBTS;002;21.06.2018;052018;2;1.00;;\r\n8032001;;;1.00\r\n")); err != nil {
		t.Fatal(err)
	}
	upload(registry.Header{Kind: registry.Confirm, Number: 1, Date: day, Ref: "Payments_20180622_002.txt", Sum: money.New(0, 2)},
		registry.Record{RefLine: 1, Account: "8032003", Amount: money.MustParse("100.00")})
	upload(registry.Header{Kind: registry.Reject, Number: 1, Date: day, Ref: "Payments_20180621_007.txt"},
		registry.Record{RefLine: 1, Message: "неизв.лиц.счёт: 8032067"})

	pending := sim.Pending("hoa")
	var got []string
	for _, f := range pending[3:] {
		h, err := registry.Validate(bytes.NewReader(f.Data), f.Name, registry.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		line := f.Name + " " + string(h.Kind) + " " + h.Ref
		if h.Kind == registry.Answer {
			rd, _ := registry.NewReader(bytes.NewReader(f.Data), f.Name, registry.Options{})
			for rd.Next() == nil {
				line += " | " + rd.Record().Message
			}
		}
		got = append(got, line)
	}
	want := []string{
		"Answer_20180621_001.txt ANSWER " + debts,
		"Answer_20180621_002.txt ANSWER Debts_20180621_002.txt | кол-во в заголовке: 2, строк: 1",
		"Payments_20180621_007.txt PAYMENTS ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offered:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A reissue needs a delivered file.
	if _, ok := sim.Reissue("hoa", "Payments_20180622_002.txt"); ok {
		t.Fatal("reissued a file never delivered")
	}
}

func TestAuthAndRoutes(t *testing.T) {
	sim := ntsim.New(clock.Real{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v1/files", "", http.StatusUnauthorized},
		{"POST", "/api/v1/login", "{", http.StatusBadRequest},
		{"POST", "/api/v1/login", `{"login":"x","password":"y"}`, http.StatusUnauthorized},
		{"GET", "/nope", "", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(c.method, sim.URL()+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
	if err := sim.Listen("127.0.0.1:-1"); err == nil {
		t.Error("bad address accepted")
	}
}
