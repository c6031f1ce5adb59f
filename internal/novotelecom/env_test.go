package novotelecom_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/blobs/s3blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/httpclient"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
	"github.com/stykovka/stykovka/internal/testinfra/s3server"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

// adapters are the two deployments: the local one (bbolt + folder) and the AWS one
// (DynamoDB on dynalite + S3 on gofakes3).
var adapters = []string{"bolt", "dynamo"}

// t0 is the tests' "now": 21 June 2018, 12:00 in Moscow (the seed's dates).
var t0 = time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)

var msk = time.FixedZone("MSK", 3*3600)

const (
	tenant   = "demo-housing"
	login    = "hoa-17"
	password = "s3cret-пароль"
)

// backend is the durable state of a deployment: what survives a crash.
type backend struct {
	st    store.Store
	bl    blobs.Blobs
	seal  sealer.Sealer
	clk   *clock.Fake
	sim   *ntsim.Server
	simTo *httpclient.Client
}

var tableSeq atomic.Int64

func newBackend(t testing.TB, adapter string) *backend {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewFake(t0)
	b := &backend{clk: clk}
	switch adapter {
	case "bolt":
		st, err := boltstore.Open(filepath.Join(dir, "hub.db"), clk)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		b.st = st
		bl, err := folderblobs.New(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		b.bl = bl
	case "dynamo":
		client := dynalite.Client(t, dynalite.Shared(t))
		table := fmt.Sprintf("nt%d", tableSeq.Add(1))
		if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		b.st = dynamostore.New(client, table, clk)
		s3c := s3server.Client(t, s3server.Start(t))
		s3server.CreateBucket(t, s3c, "hub")
		b.bl = s3blobs.New(s3c, "hub")
	default:
		t.Fatalf("adapter %q", adapter)
	}
	se, err := localsealer.Open(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	b.seal = se
	b.sim = ntsim.New(clk)
	if err := b.sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.sim.Close() })
	b.sim.AddAccount(login, password)
	b.simTo, err = httpclient.New(b.sim.URL(), httpclient.Options{Timeout: 5 * time.Second, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// service is a fresh domain instance over the backend, as after a restart.
func (b *backend) service(t testing.TB, crash func(novotelecom.Step)) *novotelecom.Service {
	t.Helper()
	svc, err := novotelecom.New(novotelecom.Deps{
		Store: b.st, Blobs: b.bl, Sealer: b.seal, Clock: b.clk, Server: b.simTo,
		Zone:  func(context.Context, string) (*time.Location, error) { return msk, nil },
		Crash: crash,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func configure(t testing.TB, svc *novotelecom.Service, coding novotelecom.Coding) {
	t.Helper()
	if _, err := svc.SaveSettings(context.Background(), tenant, novotelecom.SettingsRequest{
		Coding: coding, Login: login, Password: password, ReportDetails: true, ExchangeEvery: 60,
	}); err != nil {
		t.Fatal(err)
	}
}

func d(s string) money.Decimal { return money.MustParse(s) }

// demoDebts are May 2018 debts of the demo accounts.
func demoDebts(id string) novotelecom.DebtsRequest {
	return novotelecom.DebtsRequest{RequestID: id, Period: registry.Period{Year: 2018, Month: time.May}, Lines: []novotelecom.DebtLine{
		{Account: "8032001", Address: "г. Новосибирск, ул. Ленина, 1-1", Service: novotelecom.ServiceCodes{Code: "1", City: "101", Sber: "S1"}, Amount: d("1200.00")},
		{Account: "8032001", Address: "г. Новосибирск, ул. Ленина, 1-1", Service: novotelecom.ServiceCodes{Code: "2", City: "102", Sber: "S2"}, Amount: d("510.40")},
		{Account: "8032002", Address: "г. Новосибирск, ул. Ленина, 1-2", Service: novotelecom.ServiceCodes{Code: "1", City: "101", Sber: "S1"}, Amount: d("55.00")},
		{Account: "8032003", Address: "г. Новосибирск, ул. Ленина, 1-3", Service: novotelecom.ServiceCodes{Code: "1", City: "101", Sber: "S1"}, Amount: d("-20.00")},
	}}
}

func code(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	if err == nil {
		return ""
	}
	return "not an apperr: " + err.Error()
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// all reads every page of a list.
func all[T any](t testing.TB, list func(novotelecom.ListRequest) (novotelecom.Page[T], error)) []T {
	t.Helper()
	var out []T
	req := novotelecom.ListRequest{Limit: 2}
	for {
		p, err := list(req)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		req.Cursor = p.Next
	}
}

func inFolder(t testing.TB, svc *novotelecom.Service, f novotelecom.Folder) []novotelecom.Registry {
	t.Helper()
	p, err := svc.Registries(context.Background(), tenant, novotelecom.RegistriesRequest{Folder: f, ListRequest: novotelecom.ListRequest{Limit: 1000}})
	if err != nil || p.Next != "" {
		t.Fatalf("folder %s: %v, next %q", f, err, p.Next)
	}
	return p.Items
}

func names(regs []novotelecom.Registry) []string {
	var out []string
	for _, r := range regs {
		out = append(out, r.File)
	}
	return out
}
