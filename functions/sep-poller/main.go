// Command sep-poller is the Lambda that EventBridge Scheduler runs every minute to ask SEP for
// the results of queued requests that are due, for every tenant (hub.SepPoll). One query of
// the due index finds them; an idle minute reads nothing. A result is never asked for sooner
// than 60 s after its queue number, and a tick delivered twice (or two overlapping runs)
// applies nothing twice: each entry is claimed before its call.
//
// Environment, besides the store's: STYKOVKA_SEP_URL (SEP's SOAP endpoint; empty: the poller
// does nothing and says so in its log).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

const job = hub.SepPollerJob

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
	lambda.Start(lambdaio.FlushedErr(job, newHandler(h)))
}

// newHandler returns the function's handler; it keeps no state, so concurrent invocations are
// safe.
func newHandler(h *hub.Hub) func(context.Context, lambdaio.ScheduledEvent) error {
	return func(ctx context.Context, ev lambdaio.ScheduledEvent) error {
		tick, err := ev.Tick(job)
		if err != nil {
			return err
		}
		return h.SepPoll(ctx, tick)
	}
}
