// Command facade is the Lambda behind the HTTP API's 1C routes (/ws, /odata, /healthz): the
// same http.Handler as the local binary, fed API Gateway HTTP API (payload 2.0) events.
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

// EnvPublicURL names the base URL clients reach the hub at (see facade.Options.PublicURL).
const EnvPublicURL = "STYKOVKA_PUBLIC_URL"

func main() {
	log := metrics.NewLogger(lambdacontext.NewLogger()).With("job", "facade")
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
	lambda.Start(lambdaio.Flushed("facade", newHandler(h, os.Getenv(EnvPublicURL))))
}

// newHandler returns the function's handler. The facade and the adapter keep no per-request
// state, so concurrent invocations are safe.
func newHandler(h *hub.Hub, publicURL string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(implicitOK(facade.New(facade.Options{Hub: h, PublicURL: publicURL}))).ProxyWithContext
}

// implicitOK sends the 200 that net/http sends for a handler that writes nothing: the adapter
// would otherwise answer such a response with a 504.
func implicitOK(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &wroteRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if !rec.wrote {
			w.WriteHeader(http.StatusOK)
		}
	})
}

type wroteRecorder struct {
	http.ResponseWriter
	wrote bool
}

func (w *wroteRecorder) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *wroteRecorder) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
