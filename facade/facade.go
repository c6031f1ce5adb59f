// Package facade is the hub's HTTP face: the 1C SOAP services under /ws/, 1C's standard OData
// under /odata/standard.odata/, and /healthz. The same http.Handler runs in the local binary
// and, through the API Gateway adapter, in the facade Lambda.
package facade

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/console"
	"github.com/stykovka/stykovka/facade/hubsvc"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// Version is the hub's version, set at build time with -ldflags "-X …/facade.Version=…".
var Version = "dev"

// Options configure the facade.
type Options struct {
	Hub *hub.Hub
	// PublicURL is the base URL clients reach the hub at (e.g. https://hub.example.ru); empty
	// means "as seen in the request" (Host and X-Forwarded-* headers).
	PublicURL string
	// Jobs reports the in-process scheduler's jobs for the console's health page (the local
	// binary); nil in AWS.
	Jobs func() []scheduler.Status
	// Metrics, when set, is served at /metrics in the Prometheus format (the local binary):
	// to callers on 127.0.0.1 and to admin users' Basic credentials.
	Metrics *metrics.Registry
}

// New returns the facade handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]string{
			"status": "ok", "version": Version, "profile": o.Hub.Deps.Deployment.Profile, "adapters": o.Hub.Deps.Adapters,
		})
	})

	h, d := o.Hub, o.Hub.Deps
	// Hub reports the interface version of every integration's service.
	services := h.SOAPServices()
	ws := soap.NewHandler(soap.Options{
		Auth: h.Tenants, PublicURL: o.PublicURL, Location: h.Tenants.Location, Clock: d.Clock, Logger: d.Log,
	}, append(services, hubsvc.NewWith(hubsvc.Options{Clock: d.Clock, Retention: h.Tenants,
		Profile: d.Deployment.Profile, PersonalDataAllowed: d.Deployment.PersonalData}, services...))...)
	mux.Handle("/ws/", ws)

	od := odata.NewHandler(odata.Options{
		Auth: h.Tenants, PublicURL: o.PublicURL, Clock: d.Clock, Logger: d.Log,
	}, h.EntitySets()...)
	mux.Handle("/odata/standard.odata/", od)
	mux.Handle("/odata/standard.odata", od)
	// Webhooks: in AWS the API routes them to their own functions; locally they live here.
	for pattern, handler := range h.Webhooks() {
		mux.Handle(pattern, handler)
	}
	// The operator console (package console) and, locally, the Prometheus metrics.
	mux.Handle(console.Prefix, console.New(console.Options{Hub: h, Jobs: o.Jobs, Version: Version, Metrics: o.Metrics != nil}))
	mux.Handle("GET /console", http.RedirectHandler(console.Home, http.StatusFound))
	if o.Metrics != nil {
		mux.Handle("/metrics", metrics.Handler(o.Metrics, adminOnly(h)))
	}
	return withRequestLog(d.Log, mux)
}

// withRequestLog gives each request an id (echoed as X-Request-Id), recovers panics into a 500
// and logs method, path, status and duration — never query strings or bodies, which may carry
// personal data.
func withRequestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		// Every log line of the request carries the id (metrics.LogHandler reads it from ctx).
		r = r.WithContext(metrics.WithRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic", "request_id", id, "panic", v, "stack", string(debug.Stack()))
				if !rec.wrote {
					http.Error(rec, "Внутренняя ошибка сервиса", http.StatusInternalServerError)
				}
			}
			surface, service, op := metrics.Route(r)
			metrics.Requests.Inc(surface, service, op, metrics.HTTPOutcome(rec.status))
			metrics.RequestSeconds.ObserveSince(start, surface, service, op)
			log.Info("http", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

// adminOnly admits a request with an admin user's Basic credentials (any tenant: metrics
// carry no tenant's data) and answers the others 401 or 403.
func adminOnly(h *hub.Hub) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		ok := false
		auth.Basic(h.Tenants, func(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
			http.Error(w, e.Message, http.StatusUnauthorized)
		})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, _ := auth.FromContext(r.Context()); p.Admin {
				ok = true
				return
			}
			http.Error(w, "Метрики доступны только администратору", http.StatusForbidden)
		})).ServeHTTP(w, r)
		return ok
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
