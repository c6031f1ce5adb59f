package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/apperr"
)

type users map[string]string

func (u users) Authenticate(_ context.Context, user, pass string) (Principal, error) {
	if p, ok := u[user]; ok && p == pass {
		return Principal{Tenant: "demo", User: user}, nil
	}
	return Principal{}, apperr.New(apperr.Unauthorized, "AUTH_FAILED", "Неверное имя пользователя или пароль")
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestBasic(t *testing.T) {
	h := Basic(users{"Администратор": "пароль:с:двоеточиями"}, func(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(e.Code))
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			t.Error("no principal in context")
		}
		w.Write([]byte(p.Tenant + "/" + p.User))
	}))
	for _, tc := range []struct {
		name, header string
		status       int
		body         string
	}{
		{"cyrillic user, colons in password", basic("Администратор", "пароль:с:двоеточиями"), 200, "demo/Администратор"},
		{"scheme is case-insensitive", "bAsIc " + base64.StdEncoding.EncodeToString([]byte("Администратор:пароль:с:двоеточиями")), 200, "demo/Администратор"},
		{"no header", "", 401, "AUTH_REQUIRED"},
		{"wrong password", basic("Администратор", "x"), 401, "AUTH_FAILED"},
		{"other scheme", "Bearer abc", 401, "AUTH_REQUIRED"},
		{"bad base64", "Basic !!!", 401, "AUTH_REQUIRED"},
		{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("user")), 401, "AUTH_REQUIRED"},
		{"empty user", basic("", "x"), 401, "AUTH_REQUIRED"},
		// 1C on Windows may be configured to send cp1251; we accept only UTF-8 and say so by refusing.
		{"not UTF-8", "Basic " + base64.StdEncoding.EncodeToString([]byte("\xc0\xe4\xec\xe8\xed:x")), 401, "AUTH_REQUIRED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/ws/Hub?wsdl", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			challenge := rec.Header().Get("WWW-Authenticate")
			if tc.status == 401 && !strings.HasPrefix(challenge, `Basic realm="Stykovka"`) {
				t.Fatalf("401 without a Basic challenge: %q", challenge)
			}
		})
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{"", "Basic ", basic("a", "b"), basic("Администратор", "п:р"), "Basic ===", "basic Og==", "Digest x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		user, pass, ok := parseBasic(h)
		if !ok {
			return
		}
		if user == "" || strings.Contains(user, ":") || !utf8.ValidString(user) || !utf8.ValidString(pass) {
			t.Fatalf("accepted %q → %q / %q", h, user, pass)
		}
	})
}
