package metrics

import (
	"mime"
	"net"
	"net/http"
	"strings"
)

// Route classifies a request for the labels of Requests: surface, service and operation,
// from the path and, for SOAP, the action (SOAPAction header, or the action parameter of a
// SOAP 1.2 Content-Type). Values are bounded; anything unexpected becomes "other".
func Route(r *http.Request) (surface, service, operation string) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/ws/"):
		svc, _, _ := strings.Cut(strings.TrimPrefix(p, "/ws/"), "/")
		op := soapAction(r)
		if r.Method == http.MethodGet {
			op = "get"
			if _, ok := r.URL.Query()["wsdl"]; ok {
				op = "wsdl"
			}
		}
		return "soap", ident(svc), op
	case strings.HasPrefix(p, "/odata/standard.odata"):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, "/odata/standard.odata"), "/")
		set := rest
		if i := strings.IndexAny(rest, "(/"); i >= 0 {
			set = rest[:i]
		}
		if set == "" {
			set = "service"
		}
		return "odata", ident(set), method(r.Method)
	case p == "/console" || strings.HasPrefix(p, "/console/"):
		page, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(p, "/console"), "/"), "/")
		if page == "" {
			page = "overview"
		}
		return "console", ident(page), method(r.Method)
	case strings.HasPrefix(p, "/hooks/"):
		return "hook", ident(strings.ReplaceAll(strings.TrimPrefix(p, "/hooks/"), "/", "_")), method(r.Method)
	case p == "/healthz":
		return "health", "", method(r.Method)
	case p == "/metrics":
		return "metrics", "", method(r.Method)
	}
	return "other", "", method(r.Method)
}

// soapAction is the operation a SOAP request names: the part of its action after the last
// '#', ':' or '/' ("http://stykovka.ru/sep#Sep:RequestApplications" → RequestApplications).
func soapAction(r *http.Request) string {
	a := strings.Trim(r.Header.Get("SOAPAction"), `"' `)
	if a == "" {
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
			a = params["action"]
		}
	}
	if i := strings.LastIndexAny(a, "#:/"); i >= 0 {
		a = a[i+1:]
	}
	if a == "" {
		return "unknown"
	}
	return ident(a)
}

// ident keeps a label value made of ASCII letters, digits, '_', '-' and '.' up to 64 bytes.
func ident(s string) string {
	if s == "" || len(s) > 64 {
		return Other
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return Other
		}
	}
	return s
}

func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return Other
}

// Handler serves the registry in the Prometheus text format to callers on the loopback
// address (a Prometheus agent or curl on the same machine) that came directly — no
// X-Forwarded-For or Forwarded header — and, from anywhere else, to those allowed(r) admits
// (the facade: an admin user's Basic credentials). Others get 403 (or allowed's own answer).
func Handler(reg *Registry, allowed func(w http.ResponseWriter, r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Метод не поддерживается", http.StatusMethodNotAllowed)
			return
		}
		if !Loopback(r) && (allowed == nil || !allowed(w, r)) {
			if allowed == nil {
				http.Error(w, "Метрики доступны только с этого компьютера (127.0.0.1)", http.StatusForbidden)
			}
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		_ = reg.WritePrometheus(w)
	})
}

// Loopback reports whether the request came straight from this machine: its peer is a
// loopback address and no proxy header says it relays someone else.
func Loopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
