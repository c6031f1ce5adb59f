// Command bridge-ingest is the Lambda that takes the scanner bridges' signed uploads of
// document reads (POST /bridge/reads?tenant=…). It serves the same handler as the local binary
// (package bridge, wired by the hub), fed API Gateway HTTP API (payload 2.0) events.
//
// Environment, besides the store's: STYKOVKA_BRIDGE_PORTRAITS ("on" keeps the holder's photo
// when a bridge sends one; default off).
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

// newHandler returns the function's handler: the upload webhook, the same handler the local
// binary serves.
func newHandler(h *hub.Hub) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return lambdaio.Webhooks(h.Deps.Log, map[string]http.Handler{
		hub.BridgeReadsPath: h.Webhooks()["POST "+hub.BridgeReadsPath],
	})
}
