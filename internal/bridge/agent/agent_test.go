package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/agent"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
)

// hubServer is the real hub side (package bridge on bbolt) behind a recorder, on a fixed
// 127.0.0.1 port that can go down and come back.
type hubServer struct {
	t    *testing.T
	hub  *bridgetest.Hub
	rec  *bridgetest.Recorder
	addr string
	mu   sync.Mutex
	srv  *http.Server
}

func newHub(t *testing.T) (*hubServer, bridgetest.Hotel) {
	h := &hubServer{t: t, hub: bridgetest.New(t, bridgetest.Options{})}
	h.rec = bridgetest.NewRecorder(bridge.Handler(h.hub.Service))
	ho := h.hub.AddHotel("hotel-a", "Cyrillic")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.serve(ln)
	t.Cleanup(h.down)
	return h, ho
}

func (h *hubServer) url() string { return "http://" + h.addr }

func (h *hubServer) serve(ln net.Listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.srv = &http.Server{Handler: h.rec}
	go h.srv.Serve(ln)
}

func (h *hubServer) down() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		h.srv.Close()
		h.srv = nil
	}
}

func (h *hubServer) up() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", h.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.serve(ln)
}

func config(t *testing.T, hubURL string, ho bridgetest.Hotel) agent.Config {
	dir := t.TempDir()
	return agent.Config{HubURL: hubURL, Tenant: ho.Tenant, DeviceID: ho.Device, Secret: ho.Secret,
		DataDir: filepath.Join(dir, "data"), WatchDir: filepath.Join(dir, "in"), Listen: freeAddr(t), LegalEntity: ho.Legal,
		PollInterval: agent.Duration{Duration: 50 * time.Millisecond}, Settle: agent.Duration{Duration: 20 * time.Millisecond},
		BackoffBase: agent.Duration{Duration: 50 * time.Millisecond}, MaxBackoff: agent.Duration{Duration: 400 * time.Millisecond}}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, cfg agent.Config) (*agent.Agent, func()) {
	t.Helper()
	a, err := agent.New(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, 5*time.Second, "the local endpoint", func() bool {
		resp, err := http.Get("http://" + cfg.Listen + "/status")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return a, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func post(t *testing.T, addr, query string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/reads"+query, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// drop writes a result file into the watched folder as reader software does (written under
// another name, then renamed).
func drop(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".part")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestSourcesToHub: reads from the folder and from the local endpoint reach the hub and are
// attached to their guests; a broken file goes to rejected/ with its reason; a read the hub
// refuses goes to the data folder's rejected/ with the hub's reason; a read taken before is
// recognised and not sent again; the status page tells the front desk.
func TestSourcesToHub(t *testing.T) {
	h, ho := newHub(t)
	cfg := config(t, h.url(), ho)
	a, stop := start(t, cfg)
	defer stop()

	drop(t, cfg.WatchDir, "0001.json", bridgetest.Sample(t, "passport_chip.json")) // passBackObject: person 160848
	drop(t, cfg.WatchDir, "0002.json", []byte(`{"ContainerList": [`))
	if st, m := post(t, cfg.Listen, "?personId=160911&bookingId=B-1", bridgetest.Sample(t, "passport_rfid_disagrees.json")); st != http.StatusAccepted || m["status"] != "queued" {
		t.Fatalf("POST /reads: %d %v", st, m)
	}
	if st, m := post(t, cfg.Listen, "", bridgetest.Sample(t, "processing_not_finished.json")); st != http.StatusAccepted {
		t.Fatalf("POST not finished: %d %v", st, m)
	}
	waitFor(t, 10*time.Second, "three answers of the hub", func() bool { return len(h.rec.All()) >= 3 && a.Queue().Len() == 0 })
	if got := h.rec.Attached(); len(got) != 2 {
		t.Fatalf("attached %v", got)
	}
	ctx := context.Background()
	g, err := h.hub.Service.GuestDocuments(ctx, ho.Tenant, ho.Legal, "160911")
	if err != nil || g.Result.Documents.Identity.Number != "U2345678" || g.Result.BookingID != "B-1" {
		t.Errorf("guest 160911: %+v %v", g.Result, err)
	}
	if _, err := h.hub.Service.GuestDocuments(ctx, ho.Tenant, ho.Legal, "160848"); err != nil {
		t.Errorf("guest 160848: %v", err)
	}
	waitFor(t, 5*time.Second, "the files moved", func() bool {
		return exists(filepath.Join(cfg.WatchDir, "done", "0001.json")) && exists(filepath.Join(cfg.WatchDir, "rejected", "0002.json"))
	})
	reason, _ := os.ReadFile(filepath.Join(cfg.WatchDir, "rejected", "0002.json.reason.txt"))
	if !strings.Contains(string(reason), "READ_INVALID") {
		t.Errorf("reason %q", reason)
	}
	refused, _ := filepath.Glob(filepath.Join(cfg.DataDir, "rejected", "*a4c9e713*.reason.txt"))
	if len(refused) != 1 {
		t.Fatalf("hub refusal not kept: %v", refused)
	}
	if r, _ := os.ReadFile(refused[0]); !strings.Contains(string(r), "READ_NOT_FINISHED") {
		t.Errorf("refusal reason %q", r)
	}

	// The same passport again, from either source: acknowledged, not sent.
	answers := len(h.rec.All())
	drop(t, cfg.WatchDir, "0003.json", bridgetest.Sample(t, "passport_chip.json"))
	if st, m := post(t, cfg.Listen, "?personId=160848", bridgetest.Sample(t, "passport_chip.json")); st != http.StatusOK || m["status"] != "duplicate" {
		t.Errorf("repeated read: %d %v", st, m)
	}
	waitFor(t, 5*time.Second, "the repeated file", func() bool { return exists(filepath.Join(cfg.WatchDir, "done", "0003.json")) })
	time.Sleep(200 * time.Millisecond)
	if n := len(h.rec.All()); n != answers {
		t.Errorf("a known read was sent again: %d answers, want %d", n, answers)
	}

	// The status page: no personal data, the hub's warnings for the front desk.
	resp, err := http.Get("http://" + cfg.Listen + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"на связи", "принято хабом", "отклонено хабом", "READ_NOT_FINISHED", "Austria - ePassport (2014)", "расходится"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	for _, secret := range []string{"GRUBER", "U2345678", "SCHNEIDER", "C3T9K1L45"} {
		if strings.Contains(string(page), secret) {
			t.Errorf("status page shows %q", secret)
		}
	}
}

// TestOffline: with the hub down, reads queue up (acknowledged all the same); when it comes
// back, all are delivered, in order, once.
func TestOffline(t *testing.T) {
	h, ho := newHub(t)
	cfg := config(t, h.url(), ho)
	h.down()
	a, stop := start(t, cfg)
	defer stop()
	var want []string
	for i := 0; i < 12; i++ {
		tx := fmt.Sprintf("offline-%02d", i)
		want = append(want, tx)
		raw := bridgetest.Read(t, bridgetest.AcceptedSamples[i%len(bridgetest.AcceptedSamples)], tx, fmt.Sprintf("p%d", i%4))
		if i%2 == 0 {
			if st, m := post(t, cfg.Listen, "", raw); st != http.StatusAccepted {
				t.Fatalf("%s: %d %v", tx, st, m)
			}
		} else {
			drop(t, cfg.WatchDir, tx+".json", raw)
			waitFor(t, 5*time.Second, tx+" taken", func() bool { return exists(filepath.Join(cfg.WatchDir, "done", tx+".json")) })
		}
	}
	waitFor(t, 5*time.Second, "the hub marked down", func() bool { return a.Status().Hub == "down" })
	if n := a.Queue().Len(); n != 12 {
		t.Fatalf("queued %d, want 12", n)
	}
	if s := a.Status(); s.HubProblem == "" || s.DownSince.IsZero() {
		t.Errorf("status %+v", s)
	}
	h.up()
	waitFor(t, 20*time.Second, "delivery after the hub came back", func() bool { return a.Queue().Len() == 0 })
	if got := h.rec.Attached(); !slices.Equal(got, want) {
		t.Errorf("attached\n%v\nwant\n%v", got, want)
	}
	for _, r := range h.rec.All() {
		if r.Outcome.Status != wire.StatusAttached {
			t.Errorf("answer %+v", r)
		}
	}
	if a.Status().Hub != "ok" {
		t.Errorf("hub state %s", a.Status().Hub)
	}
}

// TestLocalEndpointGuards: only loopback host names, only JSON posts, the current guest.
func TestLocalEndpointGuards(t *testing.T) {
	h, ho := newHub(t)
	cfg := config(t, h.url(), ho)
	cfg.WatchDir = ""
	cfg.MaxInputMB = 1
	a, stop := start(t, cfg)
	defer stop()
	req, _ := http.NewRequest(http.MethodGet, "http://"+cfg.Listen+"/status", nil)
	req.Host = "evil.example:80"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("rebound host: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPost, "http://"+cfg.Listen+"/reads", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %v %v", resp, err)
	}
	// No guest anywhere: refused with the reason.
	if st, m := post(t, cfg.Listen, "", bridgetest.Read(t, "visa.json", "v-1", "")); st != http.StatusBadRequest || m["code"] != "GUEST_NOT_SELECTED" {
		t.Errorf("no guest: %d %v", st, m)
	}
	// The PMS names the guest at the desk first.
	greq, _ := http.NewRequest(http.MethodPost, "http://"+cfg.Listen+"/guest", strings.NewReader(`{"personId":"170002","bookingId":"B-7"}`))
	greq.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(greq); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("guest: %v %v", resp, err)
	}
	if st, m := post(t, cfg.Listen, "", bridgetest.Read(t, "visa.json", "v-1", "")); st != http.StatusAccepted {
		t.Fatalf("with the current guest: %d %v", st, m)
	}
	waitFor(t, 10*time.Second, "delivery", func() bool { return a.Queue().Len() == 0 && len(h.rec.All()) == 1 })
	g, err := h.hub.Service.GuestDocuments(context.Background(), ho.Tenant, ho.Legal, "170002")
	if err != nil || g.Result.BookingID != "B-7" || len(g.Result.Documents.Stay) != 1 {
		t.Errorf("guest 170002: %+v %v", g.Result, err)
	}
	if s := a.Status(); s.Guest == nil || s.Guest.PersonID != "170002" {
		t.Errorf("current guest %+v", s.Guest)
	}
	big := append([]byte(`{"List":[],"pad":"`), bytes.Repeat([]byte("x"), int(cfg.MaxInputMB<<20))...)
	if st, m := post(t, cfg.Listen, "?personId=1", append(big, `"}`...)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d %v", st, m)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "bridge.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"hubUrl":"https://hub.example.ru/","tenant":"hotel","deviceId":"dev-abc","secret":"` + strings.Repeat("s", 43) +
		`","dataDir":"` + filepath.ToSlash(dir) + `","listen":"127.0.0.1:8765","pollInterval":"1s"}`
	c, err := agent.LoadConfig(write("\xef\xbb\xbf" + good))
	if err != nil {
		t.Fatal(err)
	}
	if c.HubURL != "https://hub.example.ru" || c.PollInterval.Duration != time.Second || c.MaxBackoff.Duration != 5*time.Minute || c.MaxInputMB != 64 {
		t.Errorf("config %+v", c)
	}
	for name, bad := range map[string]string{
		"unknown key":     strings.Replace(good, `"pollInterval"`, `"pollIntervall"`, 1),
		"network listen":  strings.Replace(good, "127.0.0.1:8765", "0.0.0.0:8765", 1),
		"LAN listen":      strings.Replace(good, "127.0.0.1:8765", "192.168.1.10:8765", 1),
		"short secret":    strings.Replace(good, strings.Repeat("s", 43), "short", 1),
		"bad hub":         strings.Replace(good, "https://hub.example.ru/", "hub.example.ru", 1),
		"bad duration":    strings.Replace(good, `"1s"`, `"soon"`, 1),
		"no source":       strings.Replace(good, `"listen":"127.0.0.1:8765",`, "", 1),
		"bad tenant":      strings.Replace(good, `"hotel"`, `"Hotel A"`, 1),
		"hub with query":  strings.Replace(good, "https://hub.example.ru/", "https://hub.example.ru/?tenant=x", 1),
		"not json object": `[]`,
	} {
		if _, err := agent.LoadConfig(write(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestQueueRecovery: what a crash can leave behind is cleaned up on the next start.
func TestQueueRecovery(t *testing.T) {
	dir := t.TempDir()
	q, err := agent.OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := func(tx string) []byte { return []byte(`{"transactionId":"` + tx + `"}`) }
	for _, tx := range []string{"a", "b", "c"} {
		if _, dup, err := q.Add(tx, body(tx)); err != nil || dup {
			t.Fatal(err, dup)
		}
	}
	if _, dup, _ := q.Add("b", body("b")); !dup {
		t.Error("a queued id was queued twice")
	}
	e, ok, err := q.Head()
	if err != nil || !ok || e.TxID != "a" || e.Seq != 1 {
		t.Fatalf("head %+v %v %v", e, ok, err)
	}
	if err := q.Delivered(e); err != nil {
		t.Fatal(err)
	}
	// A crash after "b" was logged as delivered but before its file was removed, with a torn
	// log line and an unfinished temporary file.
	f, _ := os.OpenFile(filepath.Join(dir, "delivered.log"), os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("b\nc-torn")
	f.Close()
	os.WriteFile(filepath.Join(dir, "queue", ".tmp-123"), []byte("{"), 0o600)

	q2, err := agent.OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	if q2.Len() != 1 {
		t.Fatalf("len %d, want 1 (c)", q2.Len())
	}
	e, _, _ = q2.Head()
	if e.TxID != "c" || e.Seq != 3 {
		t.Errorf("head %+v", e)
	}
	if _, dup, _ := q2.Add("a", body("a")); !dup {
		t.Error("a delivered id was queued again")
	}
	if seq, dup, _ := q2.Add("d", body("d")); dup || seq != 4 {
		t.Errorf("next seq %d", seq)
	}
	if exists(filepath.Join(dir, "queue", ".tmp-123")) {
		t.Error("temporary file left")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "delivered.log"))
	if string(log) != "a\nb\n" {
		t.Errorf("log %q", log)
	}
	if err := q2.Rejected(e, "HTTP_400"); err != nil {
		t.Fatal(err)
	}
	if _, dup, _ := q2.Add("c", body("c")); dup {
		t.Error("a rejected id cannot be queued again after correction")
	}
}
