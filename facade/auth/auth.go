// Package auth maps HTTP Basic credentials to a tenant for every facade call (ONEC.md 12, 22).
package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/apperr"
)

// Principal is who is calling: a user of one tenant.
type Principal struct {
	Tenant string
	User   string
	Admin  bool
}

// Authenticator checks a user name and password.
type Authenticator interface {
	// Authenticate returns the principal, or an apperr of kind Unauthorized.
	Authenticate(ctx context.Context, user, password string) (Principal, error)
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal the middleware put into ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// DeniedWriter writes a refusal in the caller's protocol (SOAP fault, OData error). The
// middleware has already set WWW-Authenticate; the writer sets the status (401) and body.
type DeniedWriter func(w http.ResponseWriter, r *http.Request, err *apperr.Error)

// Realm is the Basic realm the hub announces.
const Realm = "Stykovka"

// Basic returns middleware that requires HTTP Basic credentials on every request.
// User names and passwords are UTF-8 (1C sends Cyrillic user names as UTF-8).
func Basic(a Authenticator, denied DeniedWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pass, ok := parseBasic(r.Header.Get("Authorization"))
			if !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
				denied(w, r, apperr.New(apperr.Unauthorized, "AUTH_REQUIRED",
					"Требуется аутентификация: укажите имя пользователя и пароль"))
				return
			}
			p, err := a.Authenticate(r.Context(), user, pass)
			if err != nil {
				e := apperr.As(err)
				if e.Kind == apperr.Unauthorized {
					w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
				}
				denied(w, r, e)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// parseBasic decodes a Basic Authorization header; unlike net/http's it insists on UTF-8.
func parseBasic(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil || !utf8.Valid(raw) {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return "", "", false
	}
	return user, pass, true
}
