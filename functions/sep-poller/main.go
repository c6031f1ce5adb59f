// Command sep-poller is the Lambda that EventBridge Scheduler runs every minute to ask SEP for
// the results of queued requests that are due. It refuses every run until the SEP issue fills
// it.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
)

const job = "sep-poller"

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
func newHandler(deps *app.Deps) func(context.Context, lambdaio.ScheduledEvent) error {
	return func(ctx context.Context, ev lambdaio.ScheduledEvent) error {
		tick, err := ev.Tick(job)
		if err != nil {
			return err
		}
		deps.Log.WarnContext(ctx, "not implemented", "slot", tick.Scheduled)
		return apperr.NotImplementedYet(job)
	}
}
