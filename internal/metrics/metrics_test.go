package metrics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/scheduler"
)

func TestPrometheusText(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("t_requests_total", "Requests.\nSecond line", "surface", "outcome")
	c.Inc("soap", "ok")
	c.Add(2, "soap", "ok")
	c.Inc("odata", `we"ird\`)
	h := r.Histogram("t_seconds", "Latency.", []float64{0.1, 1}, "op")
	h.Observe(0.05, "a")
	h.Observe(0.5, "a")
	h.Observe(5, "a")
	var b bytes.Buffer
	if err := r.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP t_requests_total Requests.\nSecond line
# TYPE t_requests_total counter
t_requests_total{surface="odata",outcome="we\"ird\\"} 1
t_requests_total{surface="soap",outcome="ok"} 3
# HELP t_seconds Latency.
# TYPE t_seconds histogram
t_seconds_bucket{op="a",le="0.1"} 1
t_seconds_bucket{op="a",le="1"} 2
t_seconds_bucket{op="a",le="+Inf"} 3
t_seconds_sum{op="a"} 5.55
t_seconds_count{op="a"} 3
`
	if b.String() != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestLabelBounds(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("t_total", "x", "v")
	c.Inc(strings.Repeat("x", 65))
	c.Inc("bad\xff")
	c.Inc("line\nbreak")
	for i := 0; i < MaxSeries+50; i++ {
		c.Inc(fmt.Sprint("v", i))
	}
	var b bytes.Buffer
	r.WritePrometheus(&b)
	out := b.String()
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") {
			lines++
		}
	}
	if lines > MaxSeries {
		t.Errorf("%d series, want at most %d", lines, MaxSeries)
	}
	if !strings.Contains(out, `t_total{v="other"} 54`) {
		t.Errorf("long, non-UTF-8 and control values and the series past the cap count as other:\n%s", out)
	}
}

func TestRegisterTwice(t *testing.T) {
	r := NewRegistry()
	a := r.Counter("t_total", "x", "a")
	b := r.Counter("t_total", "x", "a")
	a.Inc("1")
	b.Inc("1")
	var out bytes.Buffer
	r.WritePrometheus(&out)
	if !strings.Contains(out.String(), `t_total{a="1"} 2`) {
		t.Errorf("the same family twice is one: %s", out.String())
	}
	defer func() {
		if recover() == nil {
			t.Error("a family registered again with other labels must panic")
		}
	}()
	r.Counter("t_total", "x", "b")
}

func TestEMF(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("t_events_total", "x", "integration", "outcome")
	h := r.Histogram("t_call_duration_seconds", "x", nil, "integration")
	c.Add(3, "sep", "answered")
	h.Observe(0.25, "sep")
	h.Observe(1.5, "sep")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b bytes.Buffer
	if err := r.FlushEMF(&b, map[string]string{"function": "sep-poller"}, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	var hist, cnt map[string]any
	json.Unmarshal([]byte(lines[0]), &hist)
	json.Unmarshal([]byte(lines[1]), &cnt)
	if cnt["t_events_total"] != 3.0 || cnt["integration"] != "sep" || cnt["outcome"] != "answered" || cnt["function"] != "sep-poller" {
		t.Errorf("counter line %s", lines[1])
	}
	aws := cnt["_aws"].(map[string]any)
	if aws["Timestamp"] != float64(now.UnixMilli()) {
		t.Errorf("timestamp %v", aws["Timestamp"])
	}
	dir := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if dir["Namespace"] != Namespace || fmt.Sprint(dir["Dimensions"]) != "[[function integration outcome]]" ||
		fmt.Sprint(dir["Metrics"]) != "[map[Name:t_events_total Unit:Count]]" {
		t.Errorf("directive %v", dir)
	}
	if fmt.Sprint(hist["t_call_duration_ms"]) != "[250 1500]" || hist["t_call_duration_seconds_count"] != 2.0 {
		t.Errorf("histogram line %s", lines[0])
	}
	// The next flush has only what came after.
	b.Reset()
	r.FlushEMF(&b, nil, now)
	if b.Len() != 0 {
		t.Errorf("second flush without news: %s", b.String())
	}
	c.Inc("sep", "answered")
	b.Reset()
	r.FlushEMF(&b, nil, now)
	if !strings.Contains(b.String(), `"t_events_total":1`) {
		t.Errorf("delta after flush: %s", b.String())
	}
	// Prometheus keeps the totals.
	var p bytes.Buffer
	r.WritePrometheus(&p)
	if !strings.Contains(p.String(), `t_events_total{integration="sep",outcome="answered"} 4`) {
		t.Errorf("totals: %s", p.String())
	}
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("x: %w", context.Canceled), "cancelled"},
		{apperr.New(apperr.Unavailable, "X", "x"), "unavailable"},
		{apperr.New(apperr.Invalid, "X", "x"), "invalid"},
		{errors.New("boom"), "error"},
	} {
		if got := Outcome(tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestJob(t *testing.T) {
	before := count(t, `stykovka_job_runs_total{job="t-job",outcome="unavailable"}`)
	run := Job("t-job", func(ctx context.Context, tick scheduler.Tick) error {
		return apperr.New(apperr.Unavailable, "X", "x")
	})
	if err := run(context.Background(), scheduler.Tick{Job: "t-job"}); err == nil {
		t.Fatal("the job's error is returned")
	}
	if got := count(t, `stykovka_job_runs_total{job="t-job",outcome="unavailable"}`); got != before+1 {
		t.Errorf("runs %v → %v", before, got)
	}
}

// count reads one series of Default from its exposition.
func count(t *testing.T, series string) float64 {
	t.Helper()
	var b bytes.Buffer
	Default.WritePrometheus(&b)
	for _, l := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		header      map[string]string
		want        string
	}{
		{"POST", "/ws/Sep", map[string]string{"SOAPAction": `"http://stykovka.ru/sep#Sep:RequestApplications"`}, "soap Sep RequestApplications"},
		{"POST", "/ws/Kontur", map[string]string{"Content-Type": `application/soap+xml; charset=utf-8; action="http://stykovka.ru/kontur#Kontur:WriteOff"`}, "soap Kontur WriteOff"},
		{"POST", "/ws/Kontur", nil, "soap Kontur unknown"},
		{"GET", "/ws/Hub?wsdl", nil, "soap Hub wsdl"},
		{"POST", "/ws/Sep", map[string]string{"SOAPAction": "Иванов"}, "soap Sep other"},
		{"GET", "/odata/standard.odata/Catalog_Legal(guid'1')", nil, "odata Catalog_Legal GET"},
		{"GET", "/odata/standard.odata/", nil, "odata service GET"},
		{"GET", "/console/", nil, "console overview GET"},
		{"POST", "/console/sep/poll", nil, "console sep POST"},
		{"POST", "/hooks/emis", nil, "hook emis POST"},
		{"GET", "/healthz", nil, "health  GET"},
		{"BREW", "/x", nil, "other  other"},
	} {
		r := httptest.NewRequest(tc.method, tc.url, nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		a, b, c := Route(r)
		if got := a + " " + b + " " + c; got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
}

func TestHandlerAccess(t *testing.T) {
	r := NewRegistry()
	r.Counter("t_total", "x").Inc()
	admin := func(w http.ResponseWriter, req *http.Request) bool {
		if req.Header.Get("Authorization") == "admin" {
			return true
		}
		http.Error(w, "no", http.StatusUnauthorized)
		return false
	}
	h := Handler(r, admin)
	for _, tc := range []struct {
		remote, xff, authz string
		status             int
	}{
		{"127.0.0.1:5000", "", "", 200},
		{"[::1]:5000", "", "", 200},
		{"127.0.0.1:5000", "203.0.113.9", "", 401}, // through a proxy on this machine
		{"192.0.2.4:5000", "", "", 401},
		{"192.0.2.4:5000", "", "admin", 200},
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = tc.remote
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.authz != "" {
			req.Header.Set("Authorization", tc.authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%+v: %d", tc, rec.Code)
		}
		if rec.Code == 200 && (rec.Header().Get("Content-Type") != ContentType || !strings.Contains(rec.Body.String(), "t_total 1")) {
			t.Errorf("%+v: %s %q", tc, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
}

func TestLogHandler(t *testing.T) {
	var b bytes.Buffer
	log := NewLogger(slog.New(slog.NewJSONHandler(&b, nil))).With("domain", "sep")
	ctx := WithRequestID(context.Background(), "abc123")
	log.InfoContext(ctx, "with id")
	log.Info("without")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if !strings.Contains(lines[0], `"request_id":"abc123"`) || !strings.Contains(lines[0], `"domain":"sep"`) {
		t.Errorf("line of a request: %s", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("line without a request: %s", lines[1])
	}
}
