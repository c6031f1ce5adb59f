// Command bridge-ingest is the Lambda that takes the scanner bridge's signed uploads of
// document reads (POST /bridge/reads). It answers 501 until the EMIS issue fills it.
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
	"github.com/stykovka/stykovka/internal/apperr"
)

const job = "bridge-ingest"

func main() {
	log := lambdacontext.NewLogger().With("job", job)
	deps, err := app.FromEnv(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(newHandler(deps))
}

// newHandler returns the function's handler; it keeps no state, so concurrent invocations are
// safe.
func newHandler(deps *app.Deps) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		deps.Log.WarnContext(ctx, "not implemented", "route", req.RouteKey)
		return lambdaio.ErrorResponse(http.StatusNotImplemented, apperr.NotImplementedYet(job)), nil
	}
}
