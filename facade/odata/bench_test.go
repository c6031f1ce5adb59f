package odata_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/odata/catalogs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/store/boltstore"
)

// BenchmarkIndexedPage50 reads an OData JSON page of 50 with an indexed filter
// (startswith on Description, which Catalog_LegalEntities keeps in GSI2) from a set of
// 100,000 entities in the embedded bbolt store, over real HTTP.
func BenchmarkIndexedPage50(b *testing.B) {
	const n = 100_000
	// The file lives in memory when /dev/shm exists: bbolt syncs every commit, and seeding
	// is 100,000 commits. Reads, which are measured, do not sync.
	dir := os.Getenv("STYKOVKA_BENCH_DIR")
	if dir == "" {
		if _, err := os.Stat("/dev/shm"); err == nil {
			dir = "/dev/shm"
		}
	}
	tmp, err := os.MkdirTemp(dir, "odata-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	clk := clock.Real{}
	st, err := boltstore.Open(filepath.Join(tmp, "hub.db"), clk)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	seal, err := localsealer.Open(filepath.Join(tmp, "local.key"))
	if err != nil {
		b.Fatal(err)
	}
	svc := legal.New(st, seal, clk)
	start := time.Now()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		code, name := fmt.Sprintf("%06d", i), fmt.Sprintf("Организация %06d", i)
		if _, err := svc.Create(ctx, "bench", "", legal.Changes{Code: &code, Description: &name}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d entities in %s", n, time.Since(start).Round(time.Millisecond))

	authn := benchAuth{}
	h := odata.NewHandler(odata.Options{Auth: authn}, catalogs.LegalEntities(svc))
	srv := httptest.NewServer(h)
	defer srv.Close()
	u := srv.URL + "/odata/standard.odata/Catalog_LegalEntities?$format=json&$top=50&$filter=" +
		url.QueryEscape("startswith(Description,'Организация 012')")
	client := srv.Client()
	get := func(b *testing.B) {
		req, _ := http.NewRequest("GET", u, nil)
		req.SetBasicAuth("bench", "bench")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(body) < 50*300 {
			b.Fatalf("%d %d bytes", res.StatusCode, len(body))
		}
	}
	b.Run("page50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b)
		}
	})
}

type benchAuth struct{}

func (benchAuth) Authenticate(context.Context, string, string) (auth.Principal, error) {
	return auth.Principal{Tenant: "bench", User: "bench"}, nil
}
