// Command emis-callback is the Lambda behind the signed webhooks of the hotel flow: EMIS
// callbacks (POST /hooks/emis?tenant=…) and PMS notifications (POST /hooks/pms?tenant=…). It
// serves the same handlers as the local binary (package emis/webhook, wired by the hub), fed
// API Gateway HTTP API (payload 2.0) events.
//
// Environment, besides the store's: STYKOVKA_PUBLIC_URL (the hub's public base URL, from which
// EMIS callback addresses are made) and STYKOVKA_EMIS_URL (EMIS's integration API, asked for
// changes when the PMS pulls documents through documents.get).
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

const job = "emis-callback"

func main() {
	log := metrics.NewLogger(lambdacontext.NewLogger()).With("job", job)
	deps, err := app.FromEnv(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	h, err := hub.New(deps, hub.ConfigFromEnv(os.Getenv))
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	// Each invocation leaves its metrics as CloudWatch EMF lines (lambdaio.Flushed).
	lambda.Start(lambdaio.Flushed(job, newHandler(h)))
}

// newHandler returns the function's handler. The webhook handlers keep no per-request state,
// so concurrent invocations are safe.
func newHandler(h *hub.Hub) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(routes(h)).ProxyWithContext
}

// routes serves the EMIS flow's two webhooks and answers anything else with a JSON 404: the
// API routes only these two here.
func routes(h *hub.Hub) http.Handler {
	hooks := h.Webhooks()
	mux := http.NewServeMux()
	for _, path := range []string{hub.EmisHookPath, hub.PMSHookPath} {
		// Any method: the handlers answer a non-POST themselves (HOOK_METHOD, with Allow).
		mux.Handle(path, hooks["POST "+path])
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]string{"code": "HOOK_NOT_FOUND", "message": "Неизвестный адрес вебхука"})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(body)
	})
	return withLog(h.Deps.Log, joinSignatures(mux))
}

// joinSignatures undoes what the API Gateway adapter does to the signature headers: it splits
// every header value at commas into several values, and "t=…,v1=…" would reach the handler as
// its first part only. API Gateway itself joins repeated headers with commas, so joining the
// parts back gives exactly the header the sender sent.
func joinSignatures(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range []string{hooksig.Header, hooksig.EmisHeader} {
			if vs := r.Header.Values(name); len(vs) > 1 {
				r.Header.Set(name, strings.Join(vs, ","))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withLog logs method, path, status and duration of each request — never its query (the
// tenant), headers (signatures) or body (personal data).
func withLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"ms", time.Since(start).Milliseconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
