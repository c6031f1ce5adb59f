// Command kontur-redeem is the Lambda that carries out Kontur bonus write-offs. The facade
// records a write-off and queues its id on the Kontur SQS queue; this function takes the
// messages, so a debit survives a facade timeout and is retried (and reconciled) from the
// queue. It refuses every batch until the Kontur issue fills it; refused messages return to
// the queue and end in its dead-letter queue.
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

const job = "kontur-redeem"

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
// safe. The real handler reports failed messages in BatchItemFailures (the event source has
// ReportBatchItemFailures) rather than failing the batch.
func newHandler(deps *app.Deps) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		deps.Log.WarnContext(ctx, "not implemented", "messages", len(ev.Records))
		return events.SQSEventResponse{}, apperr.NotImplementedYet(job)
	}
}
