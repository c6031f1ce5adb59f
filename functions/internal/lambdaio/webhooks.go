package lambdaio

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// Webhooks serves a webhook function: the hub's handlers at their paths (any method — each
// answers a wrong one itself), a JSON 404 for anything else the API might route here, and a log
// line per request with method, path, status and duration — never its query (the tenant),
// headers (signatures) or body (personal data). The handlers keep no per-request state, so
// concurrent invocations are safe.
func Webhooks(log *slog.Logger, byPath map[string]http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	mux := http.NewServeMux()
	for path, h := range byPath {
		mux.Handle(path, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]string{"code": "HOOK_NOT_FOUND", "message": "Неизвестный адрес вебхука"})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(body)
	})
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"ms", time.Since(start).Milliseconds())
	})
	return httpadapter.NewV2(logged).ProxyWithContext
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
