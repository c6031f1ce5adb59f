// Command bridge-ingest is the Lambda that takes the scanner bridges' signed uploads of
// document reads (POST /bridge/reads?tenant=…). It serves the same handler as the local binary
// (package bridge, wired by the hub), fed API Gateway HTTP API (payload 2.0) events.
//
// Environment, besides the store's: STYKOVKA_BRIDGE_PORTRAITS ("on" keeps the holder's photo
// when a bridge sends one; default off).
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

const job = "bridge-ingest"

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

// newHandler returns the function's handler. The upload handler keeps no per-request state,
// so concurrent invocations are safe.
func newHandler(h *hub.Hub) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(routes(h)).ProxyWithContext
}

// routes serves the upload webhook and answers anything else with a JSON 404: the API routes
// only POST /bridge/reads here. The handler joins the signature header the adapter splits at
// commas itself.
func routes(h *hub.Hub) http.Handler {
	mux := http.NewServeMux()
	// Any method: the handler answers a non-POST itself (HOOK_METHOD, with Allow).
	mux.Handle(hub.BridgeReadsPath, h.Webhooks()["POST "+hub.BridgeReadsPath])
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]string{"code": "HOOK_NOT_FOUND", "message": "Неизвестный адрес вебхука"})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(body)
	})
	return withLog(h.Deps.Log, mux)
}

// withLog logs method, path, status and duration of each request — never its query (the
// tenant), headers (device, signature) or body (personal data).
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
