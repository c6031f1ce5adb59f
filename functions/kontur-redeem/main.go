// Command kontur-redeem is the Lambda that EventBridge Scheduler runs every minute to carry
// Kontur bonus write-offs left in progress to their end. A write-off completes synchronously in
// the facade's WriteOff call; when Kontur's answer is lost or the call is cut short (a timeout,
// a killed process), it stays "requested", "debiting" or "cancelling" in the store. Every tick
// settles such write-offs of every tenant (kontur.Service.Recover): a debit whose outcome is
// unknown is looked up at Kontur by its operation id before anything is sent again, so a tick
// delivered twice, or a write-off finished meanwhile by the front desk's repeat, never debits
// twice. The local binary runs the same job in process.
//
// Environment, besides the store's: STYKOVKA_KONTUR_URL and STYKOVKA_KONTUR_API_KEY (Kontur's
// API; one endpoint for every tenant for now).
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

const job = hub.KonturRedeemJob

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

// newHandler returns the function's handler; it keeps no state of its own, and the domain
// makes concurrent runs over one write-off safe.
func newHandler(h *hub.Hub) func(context.Context, lambdaio.ScheduledEvent) error {
	return func(ctx context.Context, ev lambdaio.ScheduledEvent) error {
		tick, err := ev.Tick(job)
		if err != nil {
			return err
		}
		return h.KonturRedeem(ctx, tick)
	}
}
