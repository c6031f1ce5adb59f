// Command novotelecom-exchange is the Lambda that EventBridge Scheduler runs every minute for
// the «Мои счета» exchange: for every tenant whose own schedule (its settings' ExchangeEvery)
// is due at the slot, send Outgoing, receive into Incoming, check what came. The slot is the
// event's scheduled time, so a redelivered tick resumes the same sessions instead of running
// new ones (hub.NovotelecomExchange).
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

const job = hub.NovotelecomExchangeJob

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

// newHandler returns the function's handler; it keeps no state between invocations, and the
// domain's per-tenant lock keeps concurrent invocations apart.
func newHandler(h *hub.Hub) func(context.Context, lambdaio.ScheduledEvent) error {
	return func(ctx context.Context, ev lambdaio.ScheduledEvent) error {
		tick, err := ev.Tick(job)
		if err != nil {
			return err
		}
		return h.NovotelecomExchange(ctx, tick)
	}
}
