// Package console is the operator's web console under /console/: plain server-rendered HTML
// pages (html/template, embedded; no script, no build step) of one tenant's exchanges — the
// SEP queue, Novotelecom's sessions and folders, Kontur's write-offs, EMIS documents, the
// scanner bridges and the health of the outside systems.
//
// It sits behind the facade's Basic authentication: a user sees their own tenant. Pages are
// read-only; a user with the admin right also gets a few actions («Обменяться сейчас»,
// «Принять реестр», «Опросить СЭП сейчас», …), POST forms protected by a CSRF token (an HMAC
// of the tenant, the user and the time with a key kept in the store, so every process of the
// hub accepts the tokens of the others) and by an Origin check. Personal data are shown
// masked or not at all.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/store"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

// Home is the overview page: /console/ shows it too, but in AWS only /console and
// /console/{proxy+} are routed, so links and redirects use this address.
const Home = Prefix + "overview"

// RefreshSeconds is how often the pages reload themselves (<meta http-equiv="refresh">).
const RefreshSeconds = 60

// Options configure the console.
type Options struct {
	Hub *hub.Hub
	// Jobs reports the in-process scheduler's jobs (the local binary); nil in AWS, where
	// EventBridge runs them and the health page says so.
	Jobs func() []scheduler.Status
	// Version is the hub's version, shown in the footer.
	Version string
	// Metrics says /metrics is served (the local binary), for the health page's link.
	Metrics bool
}

//go:embed templates/*.html static/*
var files embed.FS

// Console serves the pages.
type Console struct {
	o     Options
	h     *hub.Hub
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux

	keyMu sync.Mutex
	key   []byte
}

// New returns the console's handler, with the Basic authentication of the hub's users.
func New(o Options) http.Handler {
	c := &Console{o: o, h: o.Hub, log: o.Hub.Deps.Log, pages: parsePages()}
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", cacheable(http.FileServerFS(static))))
	mux.HandleFunc("GET "+Prefix+"{$}", c.overview)
	mux.HandleFunc("GET "+Home, c.overview)
	mux.HandleFunc("GET "+Prefix+"sep", c.sepPage)
	mux.HandleFunc("POST "+Prefix+"sep/letters", c.admin(c.sepRequestLetters))
	mux.HandleFunc("POST "+Prefix+"sep/period", c.admin(c.sepRequestPeriod))
	mux.HandleFunc("POST "+Prefix+"sep/poll", c.admin(c.sepPoll))
	mux.HandleFunc("GET "+Prefix+"novotelecom", c.novotelecomPage)
	mux.HandleFunc("POST "+Prefix+"novotelecom/exchange", c.admin(c.novotelecomExchange))
	mux.HandleFunc("POST "+Prefix+"novotelecom/accept", c.admin(c.novotelecomAccept))
	mux.HandleFunc("GET "+Prefix+"kontur", c.konturPage)
	mux.HandleFunc("GET "+Prefix+"emis", c.emisPage)
	mux.HandleFunc("GET "+Prefix+"bridge", c.bridgePage)
	mux.HandleFunc("GET "+Prefix+"health", c.healthPage)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, apperr.New(apperr.NotFound, "CONSOLE_NOT_FOUND", "Страница не найдена"))
	})
	c.mux = mux
	return securityHeaders(auth.Basic(o.Hub.Tenants, c.denied)(mux))
}

func cacheable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// securityHeaders: no script at all, nothing from elsewhere, no framing, no caching of pages.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// denied answers a request the authentication refused, as a page (WWW-Authenticate is set
// already, so the browser asks for the login and password).
func (c *Console) denied(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
	c.render(w, r, statusOf(e), "error", &view{Title: "Вход в консоль", Data: errorView{Code: e.Code, Message: e.Message,
		Hint: "Войдите под пользователем абонента Стыковки (тем же, что и в 1С)."}})
}

func statusOf(e *apperr.Error) int {
	switch e.Kind {
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail renders an error page; the cause is logged, never shown.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e.Kind == apperr.Internal || e.Kind == apperr.Unavailable {
		c.log.WarnContext(r.Context(), "console: page failed", "path", r.URL.Path, "code", e.Code, "err", err)
	}
	v := c.base(r, "", "Ошибка")
	v.Data = errorView{Code: e.Code, Message: e.Message}
	c.render(w, r, statusOf(e), "error", v)
}

type errorView struct{ Code, Message, Hint string }

// view is what every page's layout needs.
type view struct {
	Title      string
	Active     string
	User       string
	Tenant     string
	Admin      bool
	CSRF       string
	Refresh    int    // seconds; 0: no auto-refresh
	RefreshOff string // link that stops the auto-refresh
	RefreshOn  string // link that turns it back on
	Flash      *flash
	Now        string
	Version    string
	Data       any
}

type flash struct {
	OK   bool
	Text string
}

func (c *Console) base(r *http.Request, active, title string) *view {
	p, _ := auth.FromContext(r.Context())
	v := &view{Title: title, Active: active, User: p.User, Tenant: p.Tenant, Admin: p.Admin, Version: c.o.Version}
	if p.Tenant != "" {
		v.Now = c.fmtTime(p.Tenant, c.h.Deps.Clock.Now())
	}
	if p.Admin {
		if tok, err := c.token(r.Context(), p, time.Now()); err == nil {
			v.CSRF = tok
		}
	}
	if active != "" {
		if r.URL.Query().Get("refresh") == "off" {
			v.RefreshOn = r.URL.Path
		} else {
			v.Refresh = RefreshSeconds
			v.RefreshOff = r.URL.Path + "?refresh=off"
		}
	}
	return v
}

// principal returns the caller (always there behind auth.Basic).
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.Flash == nil {
		v.Flash = c.takeFlash(w, r)
	}
	t := c.pages[name]
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		c.log.ErrorContext(r.Context(), "console: template", "page", name, "err", err)
		http.Error(w, "Внутренняя ошибка консоли", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// admin wraps an action: admins only, a valid CSRF token, a same-origin request; then the
// action runs and the browser is sent back to the page with the outcome as a flash message.
func (c *Console) admin(action func(r *http.Request, tenant string) (back, message string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if !p.Admin {
			c.fail(w, r, apperr.New(apperr.Forbidden, "CONSOLE_ADMIN_ONLY", "Действие доступно только администратору абонента"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			c.fail(w, r, apperr.New(apperr.Invalid, "CONSOLE_FORM", "Неверная форма"))
			return
		}
		if !sameOrigin(r) || !c.validToken(r.Context(), p, r.PostForm.Get("csrf"), time.Now()) {
			c.fail(w, r, apperr.New(apperr.Forbidden, "CONSOLE_CSRF",
				"Форма устарела или отправлена с другого сайта: обновите страницу и повторите действие"))
			return
		}
		back, msg, err := action(r, p.Tenant)
		f := flash{OK: err == nil, Text: msg}
		if err != nil {
			e := apperr.As(err)
			f.Text = e.Message + " (" + e.Code + ")"
			if e.Kind == apperr.Internal {
				c.log.WarnContext(r.Context(), "console: action failed", "path", r.URL.Path, "code", e.Code, "err", err)
			}
		}
		c.log.InfoContext(r.Context(), "console: action", "path", r.URL.Path, "tenant", p.Tenant, "ok", err == nil)
		c.setFlash(w, r, f)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// sameOrigin refuses what a browser says came from another site.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == "" // a browser sends "null" for opaque origins: refused
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// tokenTTL is how long a page's forms stay valid.
const tokenTTL = 12 * time.Hour

func (c *Console) token(ctx context.Context, p auth.Principal, now time.Time) (string, error) {
	key, err := c.secret(ctx)
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(now.Unix(), 36)
	return ts + "." + mac(key, "csrf", p.Tenant, p.User, ts), nil
}

func (c *Console) validToken(ctx context.Context, p auth.Principal, tok string, now time.Time) bool {
	ts, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 100 {
		return false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	at := time.Unix(sec, 0)
	if at.After(now.Add(time.Minute)) || now.Sub(at) > tokenTTL {
		return false
	}
	key, err := c.secret(ctx)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(mac(key, "csrf", p.Tenant, p.User, ts)))
}

func mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Where the console's key lives: one item of the hub's own (not a tenant's) in the store,
// written once by whichever process needs it first.
const (
	keyPK = "CONSOLE"
	keySK = "KEY"

	// The key belongs to no tenant: it is sealed under the hub's own name.
	keySealTenant  = "_hub"
	keySealPurpose = "console/form-key"
)

func (c *Console) secret(ctx context.Context) ([]byte, error) {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	if c.key != nil {
		return c.key, nil
	}
	st, se := c.h.Deps.Store, c.h.Deps.Sealer
	it, err := st.Get(ctx, keyPK, keySK)
	if errors.Is(err, store.ErrNotFound) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		// Sealed at rest like every other secret of the hub.
		sealed, serr := se.Seal(ctx, keySealTenant, keySealPurpose, k)
		if serr != nil {
			return nil, serr
		}
		it, err = st.Put(ctx, store.Item{PK: keyPK, SK: keySK, Data: sealed}, store.NotExists())
		if errors.Is(err, store.ErrConditionFailed) {
			it, err = st.Get(ctx, keyPK, keySK)
		}
	}
	if err != nil {
		return nil, err
	}
	k, err := se.Open(ctx, keySealTenant, keySealPurpose, it.Data)
	if err != nil {
		return nil, fmt.Errorf("console: form key: %w", err)
	}
	if len(k) < 32 {
		return nil, errors.New("console: key too short")
	}
	c.key = k
	return c.key, nil
}

// The flash message travels in a short-lived signed cookie from the action to the page.
const flashCookie = "stykovka_flash"

func (c *Console) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	key, err := c.secret(r.Context())
	if err != nil {
		return
	}
	kind := "e"
	if f.OK {
		kind = "o"
	}
	text := f.Text
	if len(text) > 600 {
		text = text[:600]
	}
	val := kind + base64.RawURLEncoding.EncodeToString([]byte(text))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: val + "." + mac(key, "flash", val), Path: Prefix,
		MaxAge: 120, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	key, err := c.secret(r.Context())
	if err != nil {
		return nil
	}
	val, sig, ok := strings.Cut(ck.Value, ".")
	if !ok || len(val) < 1 || !hmac.Equal([]byte(sig), []byte(mac(key, "flash", val))) {
		return nil
	}
	text, err := base64.RawURLEncoding.DecodeString(val[1:])
	if err != nil {
		return nil
	}
	return &flash{OK: val[0] == 'o', Text: string(text)}
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// fmtTime writes an instant in the tenant's time zone, "—" for none.
func (c *Console) fmtTime(tenant string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(c.h.Tenants.Location(tenant)).Format("02.01.2006 15:04:05")
}
