package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
)

// childEnv makes the test binary run as the bridge daemon (for the kill -9 test).
const childEnv = "STYKOVKA_BRIDGE_TEST_CHILD_CONFIG"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(run(context.Background(), []string{"-config", cfg}, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// world is a real hub (package bridge on bbolt, behind a recorder of its answers) and a
// bridge configuration pointing at it.
type world struct {
	t       *testing.T
	hub     *bridgetest.Hub
	rec     *bridgetest.Recorder
	srv     *httptest.Server
	ho      bridgetest.Hotel
	dir     string
	cfgPath string
	listen  string
	watch   string
	data    string
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, hub: bridgetest.New(t, bridgetest.Options{}), dir: t.TempDir()}
	w.rec = bridgetest.NewRecorder(bridge.Handler(w.hub.Service))
	w.srv = httptest.NewServer(w.rec)
	t.Cleanup(w.srv.Close)
	w.ho = w.hub.AddHotel("hotel-a", "Cyrillic")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.listen = ln.Addr().String()
	ln.Close()
	w.watch, w.data = filepath.Join(w.dir, "in"), filepath.Join(w.dir, "data")
	if err := os.MkdirAll(w.watch, 0o700); err != nil { // the reader software's folder exists
		t.Fatal(err)
	}
	cfg := map[string]any{
		"hubUrl": w.srv.URL, "tenant": w.ho.Tenant, "deviceId": w.ho.Device, "secret": w.ho.Secret,
		"dataDir": w.data, "watchDir": w.watch, "listen": w.listen, "legalEntity": w.ho.Legal,
		"logFile": filepath.Join(w.dir, "bridge.log"), "pollInterval": "30ms", "settle": "10ms",
		"backoffBase": "50ms", "maxBackoff": "300ms",
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	w.cfgPath = filepath.Join(w.dir, "bridge.json")
	if err := os.WriteFile(w.cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// daemon is a bridge process.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (w *world) start(binary string, env ...string) *daemon {
	w.t.Helper()
	cmd := exec.Command(binary, "-config", w.cfgPath)
	if binary == os.Args[0] {
		cmd = exec.Command(binary, "-test.run=^$")
		env = append(env, childEnv+"="+w.cfgPath)
	}
	cmd.Env = append(os.Environ(), env...)
	out, err := os.OpenFile(filepath.Join(w.dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); out.Close(); close(d.done) }()
	return d
}

func (d *daemon) kill() {
	_ = d.cmd.Process.Kill() // SIGKILL: no cleanup, no deferred writes
	<-d.done
}

func (d *daemon) alive() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// waitReady waits until the bridge's local endpoint answers.
func (w *world) waitReady(d time.Duration) {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if resp, err := client.Get("http://" + w.listen + "/status"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postRead posts a read to the bridge's local endpoint until the bridge acknowledges it
// (202) or recognises it (200); a dead or restarting bridge is retried.
func (w *world) postRead(raw []byte, deadline time.Time) {
	w.t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		req, _ := http.NewRequest(http.MethodPost, "http://"+w.listen+"/reads", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
				return
			}
			if resp.StatusCode != http.StatusInternalServerError {
				w.t.Fatalf("bridge answered %d", resp.StatusCode)
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the bridge did not take a read: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dropRead writes a result file into the watched folder and waits until the bridge has taken
// it (moved it out).
func (w *world) dropRead(name string, raw []byte, deadline time.Time) {
	w.t.Helper()
	tmp := filepath.Join(w.watch, "."+name+".part")
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(w.watch, name)); err != nil {
		w.t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(w.watch, name)); os.IsNotExist(err) {
			if _, err := os.Stat(filepath.Join(w.watch, "done", name)); err != nil {
				w.t.Fatalf("%s was not moved to done/: %v", name, err)
			}
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the bridge did not take %s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *world) waitAttached(n int, d time.Duration) []string {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := w.rec.Attached()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(w.dir, "bridge.log"))
			w.t.Fatalf("the hub attached %d of %d reads\n%s", len(got), n, tail(log, 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// TestKillNineLosesNothingAndDuplicatesNothing runs the bridge as a child process (this test
// binary), feeds it reads through the folder and the local endpoint one after the other, and
// SIGKILLs it at random moments, restarting it each time. The real hub must attach every read
// exactly once, in the order the bridge acknowledged them.
func TestKillNineLosesNothingAndDuplicatesNothing(t *testing.T) {
	w := newWorld(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)

	var mu sync.Mutex
	d := w.start(os.Args[0])
	feeding := make(chan struct{})
	var stopOnce sync.Once
	stopKiller := func() { stopOnce.Do(func() { close(feeding) }) }
	killerDone := make(chan int, 1)
	defer func() {
		// Also when the test fails half-way: no process outlives it.
		stopKiller()
		mu.Lock()
		d.kill()
		mu.Unlock()
	}()
	go func() {
		kills := 0
		krng := rand.New(rand.NewPCG(seed, 11))
		for {
			select {
			case <-feeding:
				killerDone <- kills
				return
			case <-time.After(time.Duration(40+krng.IntN(260)) * time.Millisecond):
			}
			mu.Lock()
			d.kill()
			kills++
			time.Sleep(time.Duration(krng.IntN(150)) * time.Millisecond)
			d = w.start(os.Args[0])
			mu.Unlock()
			// Kill again only once it is up (a slow start, e.g. under -race, must still progress).
			w.waitReady(10 * time.Second)
		}
	}()

	const n = 100
	var want []string
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; i < n; i++ {
		tx := fmt.Sprintf("kill-%03d", i)
		want = append(want, tx)
		raw := bridgetest.Read(t, bridgetest.AcceptedSamples[i%len(bridgetest.AcceptedSamples)], tx, "p"+strconv.Itoa(i%7))
		if rng.IntN(2) == 0 {
			w.postRead(raw, deadline)
		} else {
			w.dropRead(tx+".json", raw, deadline)
		}
	}
	stopKiller()
	kills := <-killerDone
	mu.Lock()
	if !d.alive() {
		d = w.start(os.Args[0])
	}
	mu.Unlock()
	got := w.waitAttached(n, time.Minute)
	time.Sleep(300 * time.Millisecond) // anything sent twice would show now
	got = w.rec.Attached()

	if !slices.Equal(got, want) {
		t.Errorf("the hub attached\n%v\nwant (exactly once each, in order)\n%v", got, want)
	}
	dups, replays := 0, 0
	for _, a := range w.rec.All() {
		switch {
		case a.Status == http.StatusOK && a.Outcome.Status == wire.StatusDuplicate:
			dups++
		case a.Status == http.StatusOK && a.Outcome.Status == wire.StatusAttached:
		case a.Status == http.StatusConflict && a.Outcome.Code == "HOOK_REPLAYED":
			// A restarted bridge resent within the second of the killed one's attempt: the
			// same signature, refused as a replay; it retries, re-signed, a moment later.
			replays++
		case a.Status == http.StatusBadRequest && a.Outcome.Code == "HOOK_BODY_INVALID":
			// The bridge was killed in the middle of sending the body: the hub answered no one.
		default:
			t.Errorf("hub answer %d %+v", a.Status, a.Outcome)
		}
	}
	queued, _ := filepath.Glob(filepath.Join(w.data, "queue", "*"))
	rejected, _ := filepath.Glob(filepath.Join(w.data, "rejected", "*"))
	if len(queued) != 0 || len(rejected) != 0 {
		t.Errorf("left in the queue %v, rejected %v", queued, rejected)
	}
	for p := 0; p < 7; p++ {
		if _, err := w.hub.Service.GuestDocuments(context.Background(), w.ho.Tenant, w.ho.Legal, "p"+strconv.Itoa(p)); err != nil {
			t.Errorf("guest p%d: %v", p, err)
		}
	}
	if kills < 5 {
		t.Errorf("only %d kills: the test did not test", kills)
	}
	t.Logf("%d reads, %d kills -9, %d resends the hub recognised as duplicates, %d same-second resends refused as replays",
		n, kills, dups, replays)
}

// TestResidentMemory builds the bridge as shipped (static, stripped), has it relay 200 reads —
// every tenth with 8 MiB of page images the bridge must strip — and reads its peak resident
// set (VmHWM) from /proc.
func TestResidentMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("the measurement reads /proc/<pid>/status: run it on Linux (this is %s)", runtime.GOOS)
	}
	w := newWorld(t)
	bin := filepath.Join(t.TempDir(), "bridge")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(gobin, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	d := w.start(bin)
	defer d.kill()
	deadline := time.Now().Add(2 * time.Minute)
	images := bigImages(t)
	start := time.Now()
	const n = 200
	for i := 0; i < n; i++ {
		raw := bridgetest.Read(t, bridgetest.AcceptedSamples[i%len(bridgetest.AcceptedSamples)], fmt.Sprintf("mem-%03d", i), "p"+strconv.Itoa(i%9))
		if i%10 == 0 {
			raw = withImages(t, raw, images)
		}
		w.postRead(raw, deadline)
	}
	w.waitAttached(n, time.Minute)
	elapsed := time.Since(start)
	hwm, rss := procStatus(t, d.cmd.Process.Pid)
	t.Logf("bridge binary: %s; %d reads relayed in %v; peak resident set (VmHWM) %.1f MB, now (VmRSS) %.1f MB",
		size(bin), n, elapsed.Round(time.Millisecond), float64(hwm)/1024, float64(rss)/1024)
	const limit = 30 * 1024 // kB
	if hwm >= limit || rss >= limit {
		t.Errorf("resident memory VmHWM %d kB, VmRSS %d kB: want under 30 MB", hwm, rss)
	}
}

func size(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MB", float64(fi.Size())/(1<<20))
}

// bigImages is a page-image container of 8 MiB of base64, as a reader with full-resolution
// page scans writes it.
func bigImages(t *testing.T) map[string]any {
	b := make([]byte, 6<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return map[string]any{"result_type": 1, "light": 6, "page_idx": 0,
		"RawImageContainer": map[string]any{"image": b, "format": ".jpg"}} // []byte marshals as base64
}

func withImages(t *testing.T, raw []byte, c map[string]any) []byte {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	list := m["ContainerList"].(map[string]any)
	list["List"] = append([]any{c}, list["List"].([]any)...)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func procStatus(t *testing.T, pid int) (hwm, rss int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		}
	}
	if hwm == 0 || rss == 0 {
		t.Fatal("no VmHWM/VmRSS in /proc status")
	}
	return hwm, rss
}

// TestCheckAndVersion: the command line.
func TestCheckAndVersion(t *testing.T) {
	w := newWorld(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-config", w.cfgPath, "-check"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "в порядке") {
		t.Errorf("check: %d %s %s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "stykovka-bridge") {
		t.Errorf("version: %d %s", code, out.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"-config", filepath.Join(w.dir, "none.json")}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "файл настроек") {
		t.Errorf("missing config: %d %s", code, errb.String())
	}
	// Runs until its context ends (a service stop or Ctrl+C).
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if code := run(ctx, []string{"-config", w.cfgPath}, &out, &errb); code != 0 {
		t.Errorf("run: %d %s", code, errb.String())
	}
}
