package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeDemoPrintsTheConsole is `make run` as a new user meets it: the banner names the
// console, which opens with the demo credentials; /metrics answers this machine.
func TestServeDemoPrintsTheConsole(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", data}, nil, pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exit:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	var banner strings.Builder
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`Консоль: +(http://127\.0\.0\.1:\d+)/console/ `).FindStringSubmatch(banner.String())
	if m == nil {
		t.Fatalf("the banner has no console URL:\n%s\n%s", banner.String(), stderr.String())
	}
	base := m[1]
	get := func(path, user string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, demoPassword)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, user := range []string{demoUser, demoUser1C} {
		if resp, body := get("/console/", user, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Сводка</h1>") {
			t.Errorf("console as %s: %d", user, resp.StatusCode)
		}
	}
	if resp, _ := get("/console", "", nil); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/overview" {
		t.Errorf("/console: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get("/metrics", "", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `stykovka_http_requests_total{surface="console",service="overview",operation="GET",outcome="ok"}`) {
		t.Errorf("/metrics from 127.0.0.1: %d\n%s", resp.StatusCode, body)
	}
	proxied := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	if resp, _ := get("/metrics", "", proxied); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics through a proxy without credentials: %d", resp.StatusCode)
	}
	if resp, _ := get("/metrics", demoUser, proxied); resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics through a proxy as the demo admin: %d", resp.StatusCode)
	}
}
