package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/facade/console/cdp"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// consoleDemo is what `serve --demo --clock-speed 60` builds, in process: the simulators, the
// demo tenant seeded by the demo's own seeding, the scheduler and the facade on 127.0.0.1 —
// with the hub at hand, so that the test can add the data the demo does not seed.
type consoleDemo struct {
	base string
	h    *hub.Hub
	clk  clock.Clock
	logs *syncBuffer
}

func startConsoleDemo(t *testing.T) *consoleDemo {
	t.Helper()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "var")
	logs := &syncBuffer{}
	log := newLogger(logs)
	clk := clock.NewScaled(60) // a hub minute is a real second: SEP answers within seconds
	deps, err := app.LocalWithClock(data, log, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := hub.Config{PublicURL: base}
	d := &demoEnv{dataDir: data, clk: clk}
	if err := startSimulators(ctx, d, &cfg); err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, d, h); err != nil {
		t.Fatal(err)
	}
	sched := scheduler.New(clk, log)
	for _, j := range h.Jobs() {
		sched.Add(j.Name, j.Every, metrics.Job(j.Name, j.Run))
	}
	srv := &http.Server{Handler: facade.New(facade.Options{Hub: h, Jobs: sched.Jobs, Metrics: metrics.Default}),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() { sched.Run(schedCtx, 200*time.Millisecond); close(schedDone) }()
	t.Cleanup(func() {
		stopSched()
		<-schedDone
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		d.stop()
	})
	return &consoleDemo{base: base, h: h, clk: clk, logs: logs}
}

// artifacts is where the screenshots go: $STYKOVKA_ARTIFACTS, else testdata/out/console
// (kept out of git by its own .gitignore).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STYKOVKA_ARTIFACTS")
	if dir == "" {
		out, _ := filepath.Abs(filepath.Join("testdata", "out"))
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, ".gitignore"), []byte("*\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(out, "console")
	} else {
		dir = filepath.Join(dir, "console")
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seedConsoleData adds what the demo leaves to its users: two Kontur write-offs (one recorded,
// one refused), a guest's documents saved in the EMIS simulator (with a warning), and two
// scanner workstations, one of which has uploaded.
func (c *consoleDemo) seedConsoleData(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	pt := kontur.DemoPaymentTypes()[0].Ref
	ok, err := c.h.Kontur.WriteOff(ctx, demoTenant, kontur.WriteOffRequest{RequestID: "console-ok", FolioID: "F-1001",
		CardNumber: "7000000000001234", PaymentType: pt, Amount: money.FromInt(100), Saldo: money.FromInt(-1000)})
	if err != nil || ok.State != kontur.StateRecorded {
		t.Fatalf("write-off: %+v %v", ok, err)
	}
	bad, _ := c.h.Kontur.WriteOff(ctx, demoTenant, kontur.WriteOffRequest{RequestID: "console-refused", FolioID: "F-1002",
		CardNumber: "7000000000000000", PaymentType: pt, Amount: money.FromInt(50), Saldo: money.FromInt(-1000)})
	if bad.State != kontur.StateFailed {
		t.Fatalf("refused write-off: %+v", bad)
	}

	const person = "160848"
	if err := c.h.Emis.SaveGuest(ctx, demoTenant, emis.Guest{PersonID: person, BookingID: "473024", Surname: "WAGNER"}); err != nil {
		t.Fatal(err)
	}
	pageURL, err := c.h.Emis.StartDocuments(ctx, demoTenant, demoEmisLegalRef, person, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	scanned := emisPageForm(t, pageURL, string(page), "scan", url.Values{"sample": {"deu-visas"}})
	if saved := emisPageForm(t, pageURL, scanned, "save", nil); !strings.Contains(saved, "Данные сохранены") {
		t.Fatalf("EMIS save:\n%s", saved)
	}
	waitFor(t, "EMIS callback stored", func() bool {
		p, err := c.h.Emis.Activity(ctx, demoTenant, 10, "")
		return err == nil && len(p.Items) == 1
	})

	seen, err := c.h.Bridge.EnrollDevice(ctx, demoTenant, "Стойка 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.h.Bridge.EnrollDevice(ctx, demoTenant, "Стойка 2"); err != nil {
		t.Fatal(err)
	}
	// A signed upload (its content does not matter here) makes the device seen.
	body := []byte(`{}`)
	req, _ := http.NewRequest(http.MethodPost, c.base+wire.Path+"?tenant="+demoTenant, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.DeviceHeader, seen.Device.ID)
	req.Header.Set(hooksig.Header, hooksig.Sign([]byte(seen.Secret), c.clk.Now(), body))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	waitFor(t, "device seen", func() bool {
		devs, _ := c.h.Bridge.Devices(ctx, demoTenant)
		for _, d := range devs {
			if d.ID == seen.Device.ID && !d.LastSeen.IsZero() {
				return true
			}
		}
		return false
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(45 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// browserPage drives one tab as a user.
type browserPage struct {
	t    *testing.T
	p    *cdp.Page
	base string
	dir  string
	n    int
}

func (b *browserPage) open(path string) {
	b.t.Helper()
	status, err := b.p.Navigate(b.base + path)
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if status != http.StatusOK {
		html, _ := b.p.Text("main")
		b.t.Fatalf("open %s: HTTP %d\n%s", path, status, html)
	}
}

func (b *browserPage) text(sel string) string {
	b.t.Helper()
	s, err := b.p.Text(sel)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// eval returns a JSON-able value computed in the page.
func (b *browserPage) eval(expr string, out any) {
	b.t.Helper()
	if err := b.p.Eval(expr, out); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browserPage) click(sel string) {
	b.t.Helper()
	if err := b.p.Click(sel, true); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func (b *browserPage) shot(name string) {
	b.t.Helper()
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := b.p.Screenshot(path); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
}

// badges returns the status labels of a table's rows: {class, text} per row, of the first
// .badge in the given column selector.
func (b *browserPage) badges(sel string) []map[string]string {
	b.t.Helper()
	var out []map[string]string
	js, _ := json.Marshal(sel)
	b.eval(`Array.from(document.querySelectorAll(`+string(js)+`)).map(function(e){return {"class": e.className, "text": e.innerText.trim()}})`, &out)
	return out
}

// accessible checks what every console page must have: the Russian language, a heading,
// header cells with a scope in every table, and no status shown by colour alone.
func (b *browserPage) accessible(page string) {
	b.t.Helper()
	var r struct {
		Lang        string `json:"lang"`
		H1          int    `json:"h1"`
		BadScopes   int    `json:"badScopes"`
		EmptyBadges int    `json:"emptyBadges"`
		Tables      int    `json:"tables"`
		Unlabelled  int    `json:"unlabelled"`
	}
	b.eval(`({lang: document.documentElement.lang, h1: document.querySelectorAll("h1").length,
		badScopes: Array.from(document.querySelectorAll("table th")).filter(function(th){return !th.getAttribute("scope")}).length,
		emptyBadges: Array.from(document.querySelectorAll(".badge")).filter(function(e){return e.innerText.replace(/[^\p{L}\p{N}]/gu,"").length==0}).length,
		tables: document.querySelectorAll("table").length,
		unlabelled: Array.from(document.querySelectorAll("button")).filter(function(e){return !(e.innerText.trim()||e.getAttribute("aria-label"))}).length})`, &r)
	if r.Lang != "ru" || r.H1 != 1 || r.BadScopes != 0 || r.EmptyBadges != 0 || r.Unlabelled != 0 {
		b.t.Errorf("%s: accessibility %+v", page, r)
	}
}

// TestConsoleInBrowser is issue 9's "done when" in a real browser: headless Chromium logs in
// to the console of a demo hub with the demo credentials, watches SEP requests go from blue
// (queue number received) to green (answer received), exchanges with Novotelecom and accepts
// a registry, and reads every page; each step leaves a screenshot.
func TestConsoleInBrowser(t *testing.T) {
	start := time.Now()
	c := startConsoleDemo(t)
	dir := artifacts(t)
	browser, err := cdp.Start(context.Background(), filepath.Join(t.TempDir(), "chromium"))
	if err != nil {
		t.Fatalf("%v\n(%s)", err, cdp.InstallHint)
	}
	t.Cleanup(browser.Close)
	if v, err := browser.Version(); err == nil {
		t.Logf("browser: %s", v)
	}
	tab, err := browser.Page()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.Close)
	b := &browserPage{t: t, p: tab, base: c.base, dir: dir}

	// Without credentials the console asks for them: a 401 with the Basic challenge, which makes
	// a browser show its login dialog (headless Chromium, having none, fails the navigation).
	resp, err := http.Get(c.base + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	page401, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="Stykovka"`) ||
		!strings.Contains(string(page401), "Требуется аутентификация") || !strings.Contains(string(page401), `lang="ru"`) {
		t.Fatalf("console without credentials: %d %q\n%s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), page401)
	}
	if err := tab.BasicAuth(demoUser, demoPassword); err != nil {
		t.Fatal(err)
	}

	c.seedConsoleData(t)
	ctx := context.Background()
	waitFor(t, "the demo's SEP letters", func() bool {
		n, err := c.h.Sep.Counts(ctx, demoTenant)
		return err == nil && n.Letters >= 2
	})

	// Overview.
	b.open("/console/")
	if s := b.text("main"); !strings.Contains(s, "Писем к обработке: 2") || !strings.Contains(s, "Реестров к приёму") {
		t.Errorf("overview:\n%s", s)
	}
	if who := b.text("header"); !strings.Contains(who, "demo") || !strings.Contains(who, "администратор") {
		t.Errorf("header: %s", who)
	}
	b.accessible("overview")
	b.shot("overview")

	// SEP: two letters to process; ask SEP for their applications.
	b.open("/console/sep")
	if n := b.text("#count-letters"); n != "2" {
		t.Errorf("letters to process: %q", n)
	}
	var refresh string
	b.eval(`document.querySelector('meta[http-equiv="refresh"]').content`, &refresh)
	if refresh != "60" {
		t.Errorf("auto-refresh %q, want 60", refresh)
	}
	b.accessible("sep")
	b.shot("sep-letters")
	b.click("#sep-letters")
	if f := b.text("#flash"); !strings.Contains(f, "Отправлено запросов данных заявлений: 2") {
		t.Fatalf("flash after the request: %q", f)
	}
	rows := b.badges("#sep-queue tbody td.status .badge")
	if len(rows) != 2 {
		t.Fatalf("queue rows: %v", rows)
	}
	for _, r := range rows {
		// Sent at once: the queue number is there (blue), the answer comes 60 s later.
		if !strings.Contains(r["class"], "st-blue") || !strings.Contains(r["text"], "Получен номер очереди") {
			t.Errorf("new request: %v", r)
		}
	}
	if n := b.text("#count-waiting"); n != "2" {
		t.Errorf("waiting: %q", n)
	}
	b.shot("sep-blue")
	// The poller gets the answers after SEP's 60 seconds (one second at this clock speed);
	// the page is reloaded as its auto-refresh would.
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		b.open("/console/sep")
		green := 0
		for _, r := range b.badges("#sep-queue tbody td.status .badge") {
			if strings.Contains(r["class"], "st-green") && strings.Contains(r["text"], "Получен ответ") {
				green++
			}
		}
		if green == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SEP answers did not arrive: %v", b.badges("#sep-queue tbody td.status .badge"))
		}
	}
	if n := b.text("#count-letters"); n != "0" {
		t.Errorf("letters to process after the requests: %q", n)
	}
	if legend := b.text(".legend"); !strings.Contains(legend, "Получен ответ\t2") && !strings.Contains(legend, "Получен ответ 2") {
		t.Logf("legend: %q", legend)
	}
	b.shot("sep-green")

	// Novotelecom: exchange now, then accept a registry.
	b.open("/console/novotelecom")
	b.accessible("novotelecom")
	b.click("#nt-exchange")
	if f := b.text("#flash"); !strings.Contains(f, "Обмен выполнен") {
		t.Fatalf("flash after the exchange: %q", f)
	}
	var awaiting int
	b.eval(`parseInt(document.querySelector("#nt-awaiting-count").innerText, 10)`, &awaiting)
	if awaiting < 1 || b.text("#nt-awaiting-sum") == "0,00" {
		t.Fatalf("registries to accept: %d, sum %s", awaiting, b.text("#nt-awaiting-sum"))
	}
	if s := b.text("#nt-sessions"); !strings.Contains(s, "выполнен") || !strings.Contains(s, "по запросу") {
		t.Errorf("sessions:\n%s", s)
	}
	if s := b.text("#errors"); !strings.Contains(s, "Payments_20180621_007.txt") {
		t.Errorf("the registry with an error is not in Errors:\n%s", s)
	}
	if s := b.text("#nt-errors"); !strings.Contains(s, "строка") {
		t.Errorf("diagnostics:\n%s", s)
	}
	b.shot("novotelecom-incoming")
	var file string
	b.eval(`document.querySelector("#nt-awaiting tbody th").innerText`, &file)
	b.click("#nt-awaiting tbody button")
	if f := b.text("#flash"); !strings.Contains(f, "Реестр "+file+" принят") {
		t.Fatalf("flash after accepting: %q", f)
	}
	var after int
	b.eval(`parseInt(document.querySelector("#nt-awaiting-count").innerText, 10)`, &after)
	if after != awaiting-1 {
		t.Errorf("to accept: %d → %d", awaiting, after)
	}
	var accepted string
	js, _ := json.Marshal(file)
	b.eval(`Array.from(document.querySelectorAll("#nt-incoming tbody tr")).filter(function(r){return r.querySelector("th").innerText==`+string(js)+`}).map(function(r){return r.querySelector(".badge").innerText}).join("|")`, &accepted)
	if !strings.Contains(accepted, "Входящие: принят") {
		t.Errorf("accepted registry in Incoming: %q", accepted)
	}
	b.shot("novotelecom-accepted")

	// Kontur.
	b.open("/console/kontur")
	b.accessible("kontur")
	wo := b.text("#kontur-writeoffs")
	if !strings.Contains(wo, "console-ok") || !strings.Contains(wo, "****1234") || !strings.Contains(wo, "console-refused") {
		t.Errorf("write-offs:\n%s", wo)
	}
	states := map[string]string{}
	for _, r := range b.badges("#kontur-writeoffs tbody .badge") {
		states[r["text"]] = r["class"]
	}
	if !strings.Contains(states["✔ Проведено"]+states["Проведено"], "st-green") || !strings.Contains(states["✖ Отказ"]+states["Отказ"], "st-red") {
		t.Errorf("write-off states: %v", states)
	}
	b.shot("kontur")

	// EMIS: masked personal data, the warning.
	b.open("/console/emis")
	b.accessible("emis")
	var html string
	b.eval(`document.documentElement.outerHTML`, &html)
	for _, pd := range []string{"WAGNER", "ВАГНЕР", "C4J7R2K19", "KLAUS", "1971"} {
		if strings.Contains(html, pd) {
			t.Errorf("the EMIS page shows personal data %q", pd)
		}
	}
	guests := b.text("#emis-guests")
	if !strings.Contains(guests, "160848") || !strings.Contains(guests, "…19") || !(strings.Contains(guests, "W***") || strings.Contains(guests, "В***")) {
		t.Errorf("guests:\n%s", guests)
	}
	if b.text("#emis-warnings") != "1" {
		t.Errorf("guests with warnings: %s", b.text("#emis-warnings"))
	}
	b.shot("emis")

	// Scanner bridge.
	b.open("/console/bridge")
	b.accessible("bridge")
	dev := b.text("#bridge-devices")
	if !strings.Contains(dev, "Стойка 1") || !strings.Contains(dev, "на связи") || !strings.Contains(dev, "ещё не выходило на связь") {
		t.Errorf("devices:\n%s", dev)
	}
	b.shot("bridge")

	// Health.
	b.open("/console/health")
	b.accessible("health")
	jobs := b.text("#health-jobs")
	for _, j := range []string{hub.SepPollerJob, hub.NovotelecomExchangeJob, hub.KonturRedeemJob, hub.EmisDeliverJob} {
		if !strings.Contains(jobs, j) {
			t.Errorf("job %s missing:\n%s", j, jobs)
		}
	}
	if sys := b.text("#health-systems"); strings.Count(sys, "настроена") < 4 || !strings.Contains(sys, "GetResult") {
		t.Errorf("systems:\n%s", sys)
	}
	b.shot("health")

	// A user without the admin right sees the same pages and no actions.
	if err := c.h.Tenants.AddUser(ctx, demoTenant, "viewer", "viewer-password", false); err != nil {
		t.Fatal(err)
	}
	if err := tab.BasicAuth("viewer", "viewer-password"); err != nil {
		t.Fatal(err)
	}
	b.open("/console/novotelecom")
	var forms int
	b.eval(`document.querySelectorAll("form").length`, &forms)
	if forms != 0 || !strings.Contains(b.text("header"), "только просмотр") {
		t.Errorf("read-only user: %d forms; header %s", forms, b.text("header"))
	}
	b.shot("novotelecom-read-only")

	// What the pages did shows in the metrics, and the action's log line has its request id.
	resp, err = http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{
		`stykovka_integration_events_total{integration="sep",event="request",outcome="answered"}`,
		`stykovka_http_requests_total{surface="console",service="sep",operation="POST",outcome="ok"}`,
		`stykovka_integration_call_duration_seconds_count{integration="sep",operation="GetResult",outcome="ok"}`,
		`stykovka_integration_events_total{integration="kontur",event="writeoff",outcome="recorded"}`,
		`stykovka_job_runs_total{job="sep-poller",outcome="ok"}`,
	} {
		if !strings.Contains(string(m), series) {
			t.Errorf("metrics lack %s", series)
		}
	}
	withID := false
	for _, l := range strings.Split(c.logs.String(), "\n") {
		withID = withID || (strings.Contains(l, `msg="console: action"`) && strings.Contains(l, " request_id="))
	}
	if !withID {
		t.Errorf("the console's action lines carry no request id:\n%s", lastLines(c.logs.String(), 20))
	}
	for _, pd := range []string{"WAGNER", "C4J7R2K19"} {
		if strings.Contains(c.logs.String(), pd) {
			t.Errorf("the logs contain %q", pd)
		}
	}
	t.Logf("browser test took %s; screenshots in %s", time.Since(start).Round(time.Millisecond), dir)
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
