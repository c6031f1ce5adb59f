package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/console"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// env is a hub on the embedded store with two tenants, no outside system configured, and the
// console served on 127.0.0.1.
type env struct {
	h   *hub.Hub
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	deps, err := app.Local(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	h, err := hub.New(deps, hub.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range []string{"hotel-a", "hotel-b"} {
		if _, err := h.Tenants.AddTenant(ctx, tn, "Гостиница "+tn, "Europe/Moscow"); err != nil {
			t.Fatal(err)
		}
		if err := h.Tenants.AddUser(ctx, tn, "admin-"+tn, "secret-"+tn, true); err != nil {
			t.Fatal(err)
		}
		if err := h.Tenants.AddUser(ctx, tn, "viewer-"+tn, "secret-"+tn, false); err != nil {
			t.Fatal(err)
		}
	}
	sched := scheduler.New(deps.Clock, deps.Log)
	for _, j := range h.Jobs() {
		sched.Add(j.Name, j.Every, j.Run)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, console.New(console.Options{Hub: h, Jobs: sched.Jobs, Version: "test"}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{h: h, srv: srv}
}

// client is a browser-like client: cookies kept, redirects followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func (e *env) get(t *testing.T, c *http.Client, user, pass, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) post(t *testing.T, c *http.Client, user, pass, path string, form url.Values, origin string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestPagesAndAuth(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	resp, body := e.get(t, c, "", "", "/console/")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="Stykovka"`) ||
		!strings.Contains(body, `<html lang="ru">`) || !strings.Contains(body, "AUTH_REQUIRED") {
		t.Fatalf("no credentials: %d %q\n%s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	if resp, _ := e.get(t, c, "viewer-hotel-a", "wrong", "/console/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	for _, path := range []string{"/console/", "/console/sep", "/console/novotelecom", "/console/kontur", "/console/emis", "/console/bridge", "/console/health"} {
		resp, body := e.get(t, c, "viewer-hotel-a", "secret-hotel-a", path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d\n%s", path, resp.StatusCode, body)
			continue
		}
		if !strings.Contains(body, `<strong id="tenant">hotel-a</strong>`) || !strings.Contains(body, "только просмотр") {
			t.Errorf("%s: not the viewer's tenant page", path)
		}
		if strings.Contains(body, "<form") || strings.Contains(body, `name="csrf"`) {
			t.Errorf("%s: a read-only user got forms", path)
		}
		if !strings.Contains(body, `<meta http-equiv="refresh" content="60">`) {
			t.Errorf("%s: no auto-refresh", path)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
	}
	// Unconfigured outside systems are said to be so.
	_, health := e.get(t, c, "viewer-hotel-a", "secret-hotel-a", "/console/health")
	if strings.Count(health, "не настроена") != 4 || !strings.Contains(health, "sep-poller") {
		t.Errorf("health page:\n%s", health)
	}
	// The auto-refresh can be stopped.
	_, off := e.get(t, c, "viewer-hotel-a", "secret-hotel-a", "/console/sep?refresh=off")
	if strings.Contains(off, `http-equiv="refresh"`) || !strings.Contains(off, "Автообновление остановлено") {
		t.Errorf("refresh=off still refreshes")
	}
	if resp, body := e.get(t, c, "viewer-hotel-a", "secret-hotel-a", "/console/nope"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "CONSOLE_NOT_FOUND") {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
	resp, css := e.get(t, c, "viewer-hotel-a", "secret-hotel-a", "/console/static/console.css")
	if resp.StatusCode != http.StatusOK || !strings.Contains(css, ".st-red") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.h.Bridge.EnrollDevice(ctx, "hotel-b", "Стойка гостиницы Б"); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if _, body := e.get(t, c, "admin-hotel-a", "secret-hotel-a", "/console/bridge"); strings.Contains(body, "Стойка гостиницы Б") {
		t.Error("hotel-a sees hotel-b's device")
	}
	_, body := e.get(t, c, "viewer-hotel-b", "secret-hotel-b", "/console/bridge")
	if !strings.Contains(body, "Стойка гостиницы Б") || !strings.Contains(body, "ещё не выходило на связь") {
		t.Errorf("hotel-b's devices:\n%s", body)
	}
}

func TestAdminActionsNeedTheRightAndAToken(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	origin := e.srv.URL

	// A read-only user is refused whatever the form says.
	if resp, body := e.post(t, c, "viewer-hotel-a", "secret-hotel-a", "/console/sep/poll", url.Values{}, origin); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "CONSOLE_ADMIN_ONLY") {
		t.Errorf("viewer's action: %d", resp.StatusCode)
	}
	// An admin without a token, with a forged one, or from another site is refused.
	if resp, body := e.post(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep/poll", url.Values{}, origin); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "CONSOLE_CSRF") {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	_, page := e.get(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the admin's page has no token:\n%s", page)
	}
	tok := m[1]
	for name, tc := range map[string]struct {
		user, pass, tok, origin string
	}{
		"forged token":         {"admin-hotel-a", "secret-hotel-a", tok[:len(tok)-2] + "xx", origin},
		"other site":           {"admin-hotel-a", "secret-hotel-a", tok, "https://evil.example"},
		"another tenant's use": {"admin-hotel-b", "secret-hotel-b", tok, origin},
	} {
		if resp, _ := e.post(t, c, tc.user, tc.pass, "/console/sep/poll", url.Values{"csrf": {tc.tok}}, tc.origin); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}

	// With the token: the action runs (SEP is not configured here, so it is refused) and the
	// page tells why, once.
	resp, body := e.post(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep/poll", url.Values{"csrf": {tok}}, origin)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/sep" ||
		!strings.Contains(body, `id="flash"`) || !strings.Contains(body, "SEP_NOT_CONFIGURED") {
		t.Fatalf("action: %d %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if _, again := e.get(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep"); strings.Contains(again, `id="flash"`) {
		t.Error("the flash message shows twice")
	}
	// Novotelecom not configured: the exchange fails with its code; no registry to accept.
	if _, body := e.post(t, c, "admin-hotel-a", "secret-hotel-a", "/console/novotelecom/exchange", url.Values{"csrf": {tok}}, origin); !strings.Contains(body, "NOVOTELECOM_") {
		t.Errorf("exchange without settings:\n%s", body)
	}
	if _, body := e.post(t, c, "admin-hotel-a", "secret-hotel-a", "/console/novotelecom/accept", url.Values{"csrf": {tok}, "registry": {"nope"}}, origin); !strings.Contains(body, "flash-err") {
		t.Errorf("accepting an unknown registry:\n%s", body)
	}
	// A flash cookie the hub did not sign is ignored.
	jar := c.Jar
	u, _ := url.Parse(e.srv.URL + "/console/")
	jar.SetCookies(u, []*http.Cookie{{Name: "stykovka_flash", Value: "oSGFja2Vk.forged", Path: "/console/"}})
	if _, body := e.get(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep"); strings.Contains(body, "Hacked") || strings.Contains(body, `id="flash"`) {
		t.Error("a forged flash cookie was shown")
	}
	// GET on an action is not an action.
	if resp, _ := e.get(t, c, "admin-hotel-a", "secret-hotel-a", "/console/sep/poll"); resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/console/sep/poll" {
		t.Errorf("GET of an action answered 200")
	}
}
