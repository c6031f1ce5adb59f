// Command sep-mail is the Lambda that S3 runs for each raw letter from SEP stored under the
// bucket's mail/ prefix: it will parse EPTS numbers, VINs and confirmation codes and notify the
// people responsible. It refuses every event until the SEP issue fills it.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
)

const job = "sep-mail"

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
func newHandler(deps *app.Deps) func(context.Context, events.S3Event) error {
	return func(ctx context.Context, ev events.S3Event) error {
		deps.Log.WarnContext(ctx, "not implemented", "records", len(ev.Records))
		return apperr.NotImplementedYet(job)
	}
}
