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
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
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

// newHandler returns the function's handler: the EMIS flow's two webhooks, the same handlers
// the local binary serves.
func newHandler(h *hub.Hub) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	hooks := h.Webhooks()
	return lambdaio.Webhooks(h.Deps.Log, map[string]http.Handler{
		hub.EmisHookPath: hooks["POST "+hub.EmisHookPath],
		hub.PMSHookPath:  hooks["POST "+hub.PMSHookPath],
	})
}
