package httpclient_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/httpclient"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

func setup(t *testing.T, opts httpclient.Options) (*ntsim.Server, *httpclient.Client) {
	t.Helper()
	sim := ntsim.New(clock.NewFake(time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)))
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sim.AddAccount("hoa", "pw")
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	c, err := httpclient.New(sim.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func kind(err error) apperr.Kind {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return -1
	}
	return ae.Kind
}

func TestProtocol(t *testing.T) {
	ctx := context.Background()
	sim, c := setup(t, httpclient.Options{})
	if _, err := c.Login(ctx, "hoa", "wrong"); kind(err) != apperr.Unauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	conn, err := c.Login(ctx, "hoa", "pw")
	if err != nil {
		t.Fatal(err)
	}
	id := sim.Offer("hoa", "Payments_20180621_007.txt", []byte("payload"))
	files, err := conn.List(ctx)
	if err != nil || len(files) != 1 || files[0].ID != id || files[0].Name != "Payments_20180621_007.txt" || files[0].Size != 7 || len(files[0].SHA256) != 64 {
		t.Fatalf("list: %+v %v", files, err)
	}
	data, err := conn.Download(ctx, files[0])
	if err != nil || string(data) != "payload" {
		t.Fatalf("download: %q %v", data, err)
	}
	// Download does not delete; Delete does, and deleting twice is fine.
	if p := sim.Pending("hoa"); len(p) != 1 {
		t.Fatal("downloading deleted the file")
	}
	for range 2 {
		if err := conn.Delete(ctx, files[0]); err != nil {
			t.Fatal(err)
		}
	}
	if p := sim.Pending("hoa"); len(p) != 0 {
		t.Fatal("not deleted")
	}
	// Uploads are idempotent by name and content.
	dup, err := conn.Upload(ctx, "Services_20180621_001.txt", []byte("x"))
	if err != nil || dup {
		t.Fatalf("upload: %v %v", dup, err)
	}
	if dup, err = conn.Upload(ctx, "Services_20180621_001.txt", []byte("x")); err != nil || !dup {
		t.Fatalf("repeat: %v %v", dup, err)
	}
	if _, err = conn.Upload(ctx, "Services_20180621_001.txt", []byte("y")); kind(err) != apperr.Invalid || !strings.Contains(err.Error(), novotelecom.CodeServerRefused) {
		t.Fatalf("other content under the name: %v", err)
	}
	if _, err = conn.Upload(ctx, "../etc/passwd", []byte("y")); kind(err) != apperr.Invalid {
		t.Fatalf("bad name: %v", err)
	}
	if ups := sim.Uploads("hoa"); len(ups) != 1 || ups[0].Puts != 3 {
		t.Fatalf("uploads: %+v", ups)
	}
}

func TestRetriesAndClassification(t *testing.T) {
	ctx := context.Background()
	sim, c := setup(t, httpclient.Options{Attempts: 3})
	conn, err := c.Login(ctx, "hoa", "pw")
	if err != nil {
		t.Fatal(err)
	}
	sim.Offer("hoa", "Payments_20180621_007.txt", []byte(strings.Repeat("1;2;3\r\n", 1000)))

	// Within the attempts: transparent.
	sim.SetFaults(ntsim.Faults{Unavailable: 2})
	files, err := conn.List(ctx)
	if err != nil || len(files) != 1 {
		t.Fatalf("list after two 503s: %v", err)
	}
	sim.SetFaults(ntsim.Faults{DropDownloads: 2})
	if data, err := conn.Download(ctx, files[0]); err != nil || len(data) != 7000 {
		t.Fatalf("download after two cut transfers: %d %v", len(data), err)
	}
	sim.SetFaults(ntsim.Faults{MalformedLists: 2})
	if _, err := conn.List(ctx); err != nil {
		t.Fatalf("list after broken JSON: %v", err)
	}
	// Beyond them: Unavailable, never a partial file.
	sim.SetFaults(ntsim.Faults{DropDownloads: 3})
	if data, err := conn.Download(ctx, files[0]); kind(err) != apperr.Unavailable || data != nil {
		t.Fatalf("cut three times: %d bytes, %v", len(data), err)
	}
	sim.SetFaults(ntsim.Faults{Unavailable: 3})
	if _, err := conn.List(ctx); kind(err) != apperr.Unavailable || !strings.Contains(err.Error(), novotelecom.CodeServerDown) {
		t.Fatalf("three 503s: %v", err)
	}
	sim.SetFaults(ntsim.Faults{MalformedLists: 3})
	if _, err := conn.List(ctx); kind(err) != apperr.Unavailable || !strings.Contains(err.Error(), novotelecom.CodeServerProtocol) {
		t.Fatalf("broken JSON three times: %v", err)
	}
	sim.SetFaults(ntsim.Faults{})
	// An expired session is renewed once, silently.
	sim.ExpireTokens()
	if _, err := conn.List(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if st := sim.Stats(); st.Logins != 2 {
		t.Fatalf("logins: %d", st.Logins)
	}
}

func TestLimitsAndTimeouts(t *testing.T) {
	ctx := context.Background()
	sim, c := setup(t, httpclient.Options{MaxFile: 100, Timeout: 100 * time.Millisecond, Attempts: 2})
	conn, err := c.Login(ctx, "hoa", "pw")
	if err != nil {
		t.Fatal(err)
	}
	sim.Offer("hoa", "Payments_20180621_007.txt", make([]byte, 101))
	files, _ := conn.List(ctx)
	if _, err := conn.Download(ctx, files[0]); kind(err) != apperr.TooLarge {
		t.Fatalf("over the limit (listed size): %v", err)
	}
	// A listing that understates the size does not get past the limit either.
	files[0].Size = 10
	if _, err := conn.Download(ctx, files[0]); kind(err) != apperr.TooLarge {
		t.Fatalf("over the limit (real size): %v", err)
	}
	// A listed digest that does not match the content: a broken transfer, not a file.
	sim.Offer("hoa", "Payments_20180621_008.txt", []byte("abc"))
	files, _ = conn.List(ctx)
	files[1].SHA256 = strings.Repeat("0", 64)
	if _, err := conn.Download(ctx, files[1]); kind(err) != apperr.Unavailable {
		t.Fatalf("digest mismatch: %v", err)
	}
	sim.SetFaults(ntsim.Faults{Delay: time.Second})
	if _, err := conn.List(ctx); kind(err) != apperr.Unavailable {
		t.Fatalf("slow server: %v", err)
	}
	// The caller's context wins over the retries.
	sim.SetFaults(ntsim.Faults{Unavailable: 1000})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := conn.List(cctx); kind(err) != apperr.Unavailable {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := httpclient.New("http://"+addr, httpclient.Options{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), "hoa", "pw"); kind(err) != apperr.Unavailable {
		t.Fatalf("nobody listening: %v", err)
	}
	for _, bad := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := httpclient.New(bad, httpclient.Options{}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// TestConcurrentUse: one client serves concurrent exchanges (Lambda runs invocations side by
// side).
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	sim, c := setup(t, httpclient.Options{})
	for i := range 8 {
		sim.AddAccount("hoa"+string(rune('a'+i)), "pw")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			conn, err := c.Login(ctx, "hoa"+string(rune('a'+i)), "pw")
			if err == nil {
				_, err = conn.Upload(ctx, "Debts_20180621_001.txt", []byte("same name, other tenant"))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
