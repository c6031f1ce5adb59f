package boltstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/storetest"
)

// The test binary doubles as the child process of the crash and lock tests.
const (
	envChild = "BOLTSTORE_TEST_CHILD" // "write" or "hold"
	envPath  = "BOLTSTORE_TEST_PATH"
	envRound = "BOLTSTORE_TEST_ROUND"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "write":
		childWrite(os.Getenv(envPath), os.Getenv(envRound))
	case "hold":
		childHold(os.Getenv(envPath))
	default:
		os.Exit(m.Run())
	}
}

func openTemp(t testing.TB, clk clock.Clock) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "store.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk *clock.Fake) store.Store { return openTemp(t, clk) })
}

func BenchmarkBolt(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openTemp(b, clock.Real{}) })
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "store.db")
	s, err := Open(path, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Fatalf("file mode %v, want no group or other access", perm)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	clk := clock.NewFake(storetest.Epoch)
	s, err := Open(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Put(ctx, store.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "1", Attrs: map[string]string{"a": "б"}, Data: []byte("данные"), ExpiresAt: clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, "P", "S")
	if err != nil || string(got.Data) != "данные" || got.Attrs["a"] != "б" || got.Version != want.Version || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	p, err := s.Query(ctx, store.Query{Index: store.GSI1, PK: "G"})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("index after reopen: %+v, %v", p, err)
	}
}

func TestRejectsUnknownFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyFormat, []byte{99})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, clock.Real{}); err == nil || !strings.Contains(err.Error(), "format") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a format-99 file: %v", err)
	}
}

// TestVersionAfterExpiry: writing over an expired item counts on from its stored version.
func TestVersionAfterExpiry(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewFake(storetest.Epoch)
	s := openTemp(t, clk)
	defer s.Close()
	for range 3 {
		if _, err := s.Put(ctx, store.Item{PK: "P", SK: "S", ExpiresAt: clk.Now().Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	got, err := s.Put(ctx, store.Item{PK: "P", SK: "S"}, store.NotExists())
	if err != nil || got.Version != 4 {
		t.Fatalf("Put over expired version 3: %+v, %v", got, err)
	}
}

func TestSweep(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewFake(storetest.Epoch)
	s := openTemp(t, clk)
	defer s.Close()
	// More items than one sweep batch, every other one expiring, all in both indexes.
	const n = sweepBatch*2 + 10
	for i := range n {
		it := store.Item{PK: "P", SK: fmt.Sprintf("%05d", i), GSI1PK: "G", GSI1SK: fmt.Sprintf("%05d", i), GSI2PK: "H", GSI2SK: "x"}
		if i%2 == 0 {
			it.ExpiresAt = clk.Now().Add(time.Minute)
		}
		if _, err := s.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Sweep(ctx); err != nil || got != 0 {
		t.Fatalf("Sweep before expiry: %d, %v", got, err)
	}
	clk.Advance(time.Minute)
	if got, err := s.Sweep(ctx); err != nil || got != n/2 {
		t.Fatalf("Sweep: %d, %v; want %d", got, err, n/2)
	}
	if got, err := s.Sweep(ctx); err != nil || got != 0 {
		t.Fatalf("second Sweep: %d, %v", got, err)
	}
	// The expired items and their index entries are physically gone; the rest are intact.
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketItems, bucketGSI1, bucketGSI2} {
			if got := tx.Bucket(name).Stats().KeyN; got != n/2 {
				t.Errorf("bucket %s holds %d keys, want %d", name, got, n/2)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, err := s.Get(ctx, "P", fmt.Sprintf("%05d", i))
		if (i%2 == 0) != errors.Is(err, store.ErrNotFound) {
			t.Fatalf("item %d after sweep: %v", i, err)
		}
	}
	// A cancelled context stops a sweep.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Sweep(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sweep with cancelled context: %v", err)
	}
}

func TestSecondOpenInSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, clock.Real{})
	if !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error does not name the file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err = Open(path, clock.Real{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

// child starts this test binary as a child process in the given mode.
func child(t *testing.T, mode, path, round string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envPath+"="+path, envRound+"="+round)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, in, bufio.NewScanner(out)
}

// childHold opens the store, says so, and holds it until stdin closes.
func childHold(path string) {
	s, err := Open(path, clock.Real{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("ready")
	var buf [1]byte
	os.Stdin.Read(buf[:]) // returns at EOF when the parent closes the pipe
	s.Close()
	os.Exit(0)
}

func TestSecondOpenFromAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	cmd, in, out := child(t, "hold", path, "")
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("child did not open the store: %q %v", out.Text(), out.Err())
	}
	s, err := Open(path, clock.Real{})
	if !errors.Is(err, ErrLocked) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open while another process holds the file: %v, want ErrLocked", err)
	}
	// The lock goes with the process: once it has exited, the file opens.
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	s, err = Open(path, clock.Real{})
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	s.Close()
}

// childWrite writes items until it is killed, printing each key only after Put returned.
func childWrite(path, round string) {
	s, err := Open(path, clock.Real{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	data := []byte(strings.Repeat("данные ", 40))
	for i := 0; ; i++ {
		sk := fmt.Sprintf("%s-%07d", round, i)
		it := store.Item{PK: "CRASH", SK: sk, GSI1PK: "CRASH-IDX", GSI1SK: sk, Attrs: map[string]string{"round": round}, Data: data}
		if _, err := s.Put(ctx, it, store.NotExists()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Every third item is also updated, so the file sees overwrites, not just appends.
		if i%3 == 0 {
			if _, err := s.Update(ctx, "CRASH", sk, store.Update{SetAttrs: map[string]string{"updated": "yes"}}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		fmt.Println(sk)
	}
}

// TestKillNine kills a writing process with SIGKILL and checks that every write it had
// acknowledged survives and the file is consistent; three rounds on the same file.
func TestKillNine(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	var acked []string
	for round := range 3 {
		cmd, _, out := child(t, "write", path, strconv.Itoa(round))
		n := 0
		for out.Scan() {
			acked = append(acked, out.Text())
			n++
			if n == 200 {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Lines still in the pipe after the kill were acknowledged too, and are kept above.
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v after %d writes, want SIGKILL", round, err, n)
		}
		if n < 200 {
			t.Fatalf("round %d: child acknowledged only %d writes", round, n)
		}

		s, err := Open(path, clock.Real{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		err = s.db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("round %d: bbolt check: %v", round, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, sk := range acked {
			if _, err := s.Get(ctx, "CRASH", sk); err != nil {
				t.Fatalf("round %d: acknowledged %s: %v", round, sk, err)
			}
		}
		// The index holds every item in the table, and only those.
		for _, ix := range []struct {
			idx store.Index
			pk  string
		}{{store.Table, "CRASH"}, {store.GSI1, "CRASH-IDX"}} {
			seen := map[string]bool{}
			q := store.Query{Index: ix.idx, PK: ix.pk, Limit: store.MaxQueryLimit}
			for {
				p, err := s.Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					seen[it.SK] = true
				}
				if q.Cursor = p.Next; q.Cursor == "" {
					break
				}
			}
			for _, sk := range acked {
				if !seen[sk] {
					t.Fatalf("round %d: %s missing from %q", round, sk, ix.idx)
				}
			}
			// Only the one write in flight at each kill may be there unacknowledged.
			if len(seen) > len(acked)+round+1 {
				t.Fatalf("round %d: %q holds %d items, %d acknowledged", round, ix.idx, len(seen), len(acked))
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d writes acknowledged, all present", round, n)
	}
}
