// Package blobstest is the conformance suite of the blobs port: every adapter passes Run, so
// that domain code behaves the same on a folder and on S3.
package blobstest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
)

// Run runs the suite. open must return an empty store, private to the calling (sub)test.
func Run(t *testing.T, open func(t *testing.T) blobs.Blobs) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, open(t)) })
	t.Run("GetAbsent", func(t *testing.T) { testGetAbsent(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListNothing", func(t *testing.T) { testListNothing(t, open(t)) })
	t.Run("Move", func(t *testing.T) { testMove(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, open(t)) })
	t.Run("SizeLimit", func(t *testing.T) { testSizeLimit(t, open(t)) })
	t.Run("ConcurrentPutsOfDifferentKeys", func(t *testing.T) { testConcurrentKeys(t, open(t)) })
	t.Run("ConcurrentPutGetOfOneKey", func(t *testing.T) { testConcurrentOneKey(t, open(t)) })
	t.Run("ConcurrentChurnInOneFolder", func(t *testing.T) { testConcurrentChurn(t, open(t)) })
}

// Keys that need escaping somewhere: Cyrillic and spaces (URLs, copy sources), "+" (decoded as
// a space by form decoders), "%", "?" and "#" (URL syntax), "&" and "=" (query syntax).
var awkwardKeys = []string{
	"t/демо/реестр №1.txt",
	"t/демо/Ёлка ёж/платежи 2024-05.xml",
	"t/x/a+b c.txt",
	"t/x/100%25 off?q=1&r=2#frag",
	"t/x/..dots/...",
}

func binaryData() []byte {
	b := make([]byte, 1024)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func mustPut(t *testing.T, b blobs.Blobs, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, b blobs.Blobs, key string, want []byte) {
	t.Helper()
	got, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %.32q, want %d bytes %.32q", key, len(got), got, len(want), want)
	}
}

func mustBeAbsent(t *testing.T, b blobs.Blobs, key string) {
	t.Helper()
	got, err := b.Get(t.Context(), key)
	if !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Get(%q) = %d bytes, %v; want ErrNotFound", key, len(got), err)
	}
}

func listKeys(t *testing.T, b blobs.Blobs, prefix string) []string {
	t.Helper()
	infos, err := b.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, 0, len(infos))
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	return keys
}

func wantKeys(t *testing.T, b blobs.Blobs, prefix string, want ...string) {
	t.Helper()
	if got := listKeys(t, b, prefix); !slices.Equal(got, want) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func testRoundTrip(t *testing.T, b blobs.Blobs) {
	bin := binaryData()
	mustPut(t, b, "t/demo/scan.bin", bin)
	mustGet(t, b, "t/demo/scan.bin", binaryData())

	mustPut(t, b, "t/demo/empty", nil)
	mustGet(t, b, "t/demo/empty", []byte{})

	for i, key := range awkwardKeys {
		data := []byte(fmt.Sprintf("содержимое %d of %s", i, key))
		mustPut(t, b, key, data)
		mustGet(t, b, key, data)
	}

	// The store must not keep a reference to the caller's slice.
	bin[0] ^= 0xff
	mustGet(t, b, "t/demo/scan.bin", binaryData())
	got, err := b.Get(t.Context(), "t/demo/scan.bin")
	if err != nil {
		t.Fatal(err)
	}
	got[1] ^= 0xff
	mustGet(t, b, "t/demo/scan.bin", binaryData())
}

func testOverwrite(t *testing.T, b blobs.Blobs) {
	mustPut(t, b, "t/o/x.txt", bytes.Repeat([]byte("long old content "), 100))
	mustPut(t, b, "t/o/x.txt", []byte("short"))
	mustGet(t, b, "t/o/x.txt", []byte("short"))
	mustPut(t, b, "t/o/x.txt", nil)
	mustGet(t, b, "t/o/x.txt", []byte{})
	wantKeys(t, b, "t/o/", "t/o/x.txt")
}

func testGetAbsent(t *testing.T, b blobs.Blobs) {
	mustBeAbsent(t, b, "t/none.txt")
	mustPut(t, b, "t/dir/file.txt", []byte("x"))
	// A "folder" is not a blob, and neither is a path through a blob.
	mustBeAbsent(t, b, "t/dir")
	mustBeAbsent(t, b, "t")
	mustBeAbsent(t, b, "t/dir/file.txt/below")
	mustBeAbsent(t, b, "t/dir/file")
}

func testList(t *testing.T, b blobs.Blobs) {
	keys := []string{
		"u/6.txt",
		"t/b/5.txt",
		"t/a/sub/deeper/4.txt",
		"t/a/sub/3.txt",
		"t/a/2.txt",
		"t/a/1.txt",
		"t/ab.txt",
		"t/a.txt",
		"t/демо/б.txt",
		"t/демо/а.txt",
		"t/демо/z.txt",
	}
	before := time.Now().Add(-time.Hour)
	for i, k := range keys {
		mustPut(t, b, k, bytes.Repeat([]byte{'x'}, i))
	}
	after := time.Now().Add(time.Hour)

	// Key order is byte order: "." < "/" < letters < Cyrillic, whatever the folder layout.
	wantKeys(t, b, "t/a/", "t/a/1.txt", "t/a/2.txt", "t/a/sub/3.txt", "t/a/sub/deeper/4.txt")
	wantKeys(t, b, "t/a", "t/a.txt", "t/a/1.txt", "t/a/2.txt", "t/a/sub/3.txt", "t/a/sub/deeper/4.txt", "t/ab.txt")
	wantKeys(t, b, "t/a/s", "t/a/sub/3.txt", "t/a/sub/deeper/4.txt")
	wantKeys(t, b, "t/a/sub/deeper/4.txt", "t/a/sub/deeper/4.txt")
	wantKeys(t, b, "t/демо/", "t/демо/z.txt", "t/демо/а.txt", "t/демо/б.txt")
	wantKeys(t, b, "t/де", "t/демо/z.txt", "t/демо/а.txt", "t/демо/б.txt")

	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	wantKeys(t, b, "", sorted...)

	infos, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		i := slices.Index(keys, in.Key)
		if in.Size != int64(i) {
			t.Errorf("List: %q has Size %d, want %d", in.Key, in.Size, i)
		}
		if in.Modified.Before(before) || in.Modified.After(after) {
			t.Errorf("List: %q has Modified %v, want about now", in.Key, in.Modified)
		}
	}
}

func testListNothing(t *testing.T, b blobs.Blobs) {
	wantKeys(t, b, "")
	wantKeys(t, b, "t/")
	mustPut(t, b, "t/a/1.txt", []byte("1"))
	wantKeys(t, b, "t/b/")
	wantKeys(t, b, "t/a/1.txt/")
	wantKeys(t, b, "t/a/2")
	wantKeys(t, b, "v")
	// Prefixes that no valid key can have are not errors: nothing starts with them.
	wantKeys(t, b, "../")
	wantKeys(t, b, "t/../t/a/")
	wantKeys(t, b, "/t/a")
	wantKeys(t, b, "t//a")
	wantKeys(t, b, `t\a`)
}

func testMove(t *testing.T, b blobs.Blobs) {
	ctx := t.Context()
	mustPut(t, b, "t/in/a.txt", []byte("new"))
	mustPut(t, b, "t/done/a.txt", []byte("old destination, longer than the source"))
	if err := b.Move(ctx, "t/in/a.txt", "t/done/a.txt"); err != nil {
		t.Fatalf("Move onto an existing blob: %v", err)
	}
	mustGet(t, b, "t/done/a.txt", []byte("new"))
	mustBeAbsent(t, b, "t/in/a.txt")
	wantKeys(t, b, "t/", "t/done/a.txt")

	// Into folders that do not exist yet, and back.
	if err := b.Move(ctx, "t/done/a.txt", "t/archive/2024/05/a.txt"); err != nil {
		t.Fatalf("Move into new folders: %v", err)
	}
	mustGet(t, b, "t/archive/2024/05/a.txt", []byte("new"))
	wantKeys(t, b, "t/", "t/archive/2024/05/a.txt")
	if err := b.Move(ctx, "t/archive/2024/05/a.txt", "t/in/a.txt"); err != nil {
		t.Fatalf("Move back: %v", err)
	}
	wantKeys(t, b, "t/", "t/in/a.txt")

	// Onto itself: a no-op that must not lose the blob.
	if err := b.Move(ctx, "t/in/a.txt", "t/in/a.txt"); err != nil {
		t.Fatalf("Move onto itself: %v", err)
	}
	mustGet(t, b, "t/in/a.txt", []byte("new"))

	// An absent source leaves the destination alone.
	mustPut(t, b, "t/keep.txt", []byte("keep"))
	if err := b.Move(ctx, "t/missing.txt", "t/keep.txt"); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Move of an absent blob = %v, want ErrNotFound", err)
	}
	if err := b.Move(ctx, "t/missing.txt", "t/missing.txt"); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Move of an absent blob onto itself = %v, want ErrNotFound", err)
	}
	if err := b.Move(ctx, "t/in", "t/moved"); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Move of a folder = %v, want ErrNotFound", err)
	}
	mustGet(t, b, "t/keep.txt", []byte("keep"))

	// Keys that need escaping on the wire, in both positions.
	for i, from := range awkwardKeys {
		to := awkwardKeys[(i+1)%len(awkwardKeys)] + ".moved"
		data := []byte("moved " + from)
		mustPut(t, b, from, data)
		if err := b.Move(ctx, from, to); err != nil {
			t.Fatalf("Move(%q, %q): %v", from, to, err)
		}
		mustGet(t, b, to, data)
		mustBeAbsent(t, b, from)
	}
}

func testDelete(t *testing.T, b blobs.Blobs) {
	ctx := t.Context()
	mustPut(t, b, "t/d/1.txt", []byte("1"))
	mustPut(t, b, "t/d/sub/2.txt", []byte("2"))
	mustPut(t, b, "t/d/sub/deep/3.txt", []byte("3"))

	for _, key := range []string{"t/d/sub/deep/3.txt", "t/d/sub/deep/3.txt", "t/never.txt", "t/d/sub", "t/d/1.txt/x"} {
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	}
	mustBeAbsent(t, b, "t/d/sub/deep/3.txt")
	mustGet(t, b, "t/d/sub/2.txt", []byte("2"))
	wantKeys(t, b, "t/", "t/d/1.txt", "t/d/sub/2.txt")

	// Emptying a folder and filling it again.
	for _, key := range []string{"t/d/sub/2.txt", "t/d/1.txt"} {
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	}
	wantKeys(t, b, "")
	mustPut(t, b, "t/d/sub/2.txt", []byte("again"))
	mustGet(t, b, "t/d/sub/2.txt", []byte("again"))
}

func testInvalidKeys(t *testing.T, b blobs.Blobs) {
	ctx := t.Context()
	mustPut(t, b, "t/ok.txt", []byte("ok"))
	bad := []string{
		"", "..", ".", "../x", "t/" + strings.Repeat("ж", 128) + ".txt", "t/../t/ok.txt", "t/./ok.txt", "t//ok.txt", "/t/ok.txt", "t/",
		`t\ok.txt`, `..\x`, "t/a\x00b", "t/a\nb", "t/\x7f", string([]byte{'t', '/', 0xff}),
		string(bytes.Repeat([]byte("a"), 901)),
	}
	for _, key := range bad {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, blobs.ErrInvalid) {
				t.Errorf("%s(%q) = %v, want ErrInvalid", op, key, err)
			}
		}
		check("Put", b.Put(ctx, key, []byte("x")))
		_, err := b.Get(ctx, key)
		check("Get", err)
		check("Move from", b.Move(ctx, key, "t/moved.txt"))
		check("Move to", b.Move(ctx, "t/ok.txt", key))
		check("Delete", b.Delete(ctx, key))
	}
	mustGet(t, b, "t/ok.txt", []byte("ok"))
	wantKeys(t, b, "", "t/ok.txt")
}

func testSizeLimit(t *testing.T, b blobs.Blobs) {
	// One allocation of MaxSize+1 per run; the store must refuse it without keeping any of it.
	big := make([]byte, blobs.MaxSize+1)
	if err := b.Put(t.Context(), "t/big.bin", big); !errors.Is(err, blobs.ErrTooLarge) {
		t.Fatalf("Put of MaxSize+1 bytes: %v, want ErrTooLarge", err)
	}
	mustBeAbsent(t, b, "t/big.bin")

	mustPut(t, b, "t/kept.bin", []byte("kept"))
	if err := b.Put(t.Context(), "t/kept.bin", big); err == nil {
		t.Fatal("Put of MaxSize+1 bytes over a blob succeeded")
	}
	mustGet(t, b, "t/kept.bin", []byte("kept"))
	wantKeys(t, b, "", "t/kept.bin")
}

func testConcurrentKeys(t *testing.T, b blobs.Blobs) {
	const workers, perWorker = 8, 8
	ctx := t.Context()
	var wg sync.WaitGroup
	var want []string
	for w := range workers {
		for i := range perWorker {
			want = append(want, fmt.Sprintf("t/c/%d/%d.txt", w, i))
		}
		wg.Go(func() {
			for i := range perWorker {
				key := fmt.Sprintf("t/c/%d/%d.txt", w, i)
				if err := b.Put(ctx, key, []byte(key)); err != nil {
					t.Errorf("Put(%q): %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(want)
	wantKeys(t, b, "t/c/", want...)
	for _, key := range want {
		mustGet(t, b, key, []byte(key))
	}
}

func testConcurrentOneKey(t *testing.T, b blobs.Blobs) {
	const key = "t/one/registry.xml"
	// Sizes that take several writes each, so a torn write would show.
	oldData := bytes.Repeat([]byte("old "), 64<<10)
	newData := bytes.Repeat([]byte("NEW!"), 48<<10)
	mustPut(t, b, key, oldData)

	// Writers keep writing until every reader has done its reads, so the reads overlap the
	// writes however the goroutines are scheduled.
	ctx := t.Context()
	stop := make(chan struct{})
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				data := oldData
				if (i+w)%2 == 0 {
					data = newData
				}
				if err := b.Put(ctx, key, data); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
		})
	}
	for range 3 {
		readers.Go(func() {
			for range 15 {
				got, err := b.Get(ctx, key)
				if err != nil {
					t.Errorf("Get during writes: %v", err)
					return
				}
				if !bytes.Equal(got, oldData) && !bytes.Equal(got, newData) {
					t.Errorf("Get during writes saw %d bytes that are neither the old nor the new blob", len(got))
					return
				}
			}
		})
	}
	readers.Go(func() {
		// Listing during writes shows the one blob, never a temporary object.
		for range 15 {
			infos, err := b.List(ctx, "t/")
			if err != nil {
				t.Errorf("List during writes: %v", err)
				return
			}
			if len(infos) != 1 || infos[0].Key != key ||
				(infos[0].Size != int64(len(oldData)) && infos[0].Size != int64(len(newData))) {
				t.Errorf("List during writes = %+v, want only %q", infos, key)
				return
			}
		}
	})
	readers.Wait()
	close(stop)
	writers.Wait()
}

// testConcurrentChurn fills and empties the same folders from several goroutines: a folder
// that one of them empties (and an adapter may remove) must not break another's Put or Move.
func testConcurrentChurn(t *testing.T, b blobs.Blobs) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				in := fmt.Sprintf("t/churn/in/%d-%d", g, i)
				out := fmt.Sprintf("t/churn/out/deep/%d-%d", g, i)
				if err := b.Put(ctx, in, []byte(in)); err != nil {
					t.Errorf("Put(%q): %v", in, err)
					return
				}
				if err := b.Move(ctx, in, out); err != nil {
					t.Errorf("Move(%q, %q): %v", in, out, err)
					return
				}
				got, err := b.Get(ctx, out)
				if err != nil || !bytes.Equal(got, []byte(in)) {
					t.Errorf("Get(%q) = %q, %v; want %q", out, got, err, in)
					return
				}
				if err := b.Delete(ctx, out); err != nil {
					t.Errorf("Delete(%q): %v", out, err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantKeys(t, b, "t/")
}
