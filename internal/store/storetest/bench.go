package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stykovka/stykovka/internal/store"
)

// Bench runs the port's benchmarks. open must return a fresh, empty store; Bench closes it.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	data := []byte(`{"guest":"Иванов Иван Иванович","room":"101","arrival":"2025-03-01","nights":3,` +
		`"folio":"F-000123","balance":"1250.00","documents":[{"kind":"passport","ref":"blob/abc"}]}`)
	item := func(pk string, i int) store.Item {
		return store.Item{
			PK: pk, SK: fmt.Sprintf("%06d", i),
			GSI1PK: "ROOM#101", GSI1SK: fmt.Sprintf("2025-03-01#%06d", i),
			Attrs: map[string]string{"state": "new", "kind": "stay"},
			Data:  data,
		}
	}
	withStore := func(b *testing.B, fill int, fn func(b *testing.B, s store.Store)) {
		s := open(b)
		defer s.Close()
		populate(b, s, fill, func(i int) store.Item { return item("FILLED", i) })
		b.ReportAllocs()
		fn(b, s)
	}
	ctx := context.Background()

	b.Run("Put", func(b *testing.B) {
		withStore(b, 0, func(b *testing.B, s store.Store) {
			for i := 0; b.Loop(); i++ {
				if _, err := s.Put(ctx, item("PUT", i%1000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("ConditionalPut", func(b *testing.B) {
		withStore(b, 0, func(b *testing.B, s store.Store) {
			for i := 0; b.Loop(); i++ {
				if _, err := s.Put(ctx, item("COND", i), store.NotExists()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Get", func(b *testing.B) {
		withStore(b, 1000, func(b *testing.B, s store.Store) {
			for i := 0; b.Loop(); i++ {
				if _, err := s.Get(ctx, "FILLED", fmt.Sprintf("%06d", i*7%1000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("QueryPage", func(b *testing.B) {
		withStore(b, 1000, func(b *testing.B, s store.Store) {
			for i := 0; b.Loop(); i++ {
				q := store.Query{PK: "FILLED", From: fmt.Sprintf("%06d", i*50%950), Limit: 50}
				p, err := s.Query(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) != 50 {
					b.Fatalf("page of %d items", len(p.Items))
				}
			}
		})
	})
}

// populate writes n items from a few goroutines (a network-bound adapter fills faster so).
func populate(b *testing.B, s store.Store, n int, item func(i int) store.Item) {
	b.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if _, err := s.Put(context.Background(), item(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
