// Command kontur-redeem is the Lambda that carries Kontur bonus write-offs left in progress to
// their end. A write-off completes synchronously in the facade's WriteOff call; when Kontur's
// answer is lost or the call is cut short, the write-off stays "debiting" (or "requested",
// "cancelling") in the store. A message on the Kontur SQS queue names one such write-off —
// body {"tenant": "…", "writeOff": "<RequestId>"} — and this function resumes it
// (kontur.Service.Resume): a debit whose outcome is unknown is looked up at Kontur by its
// operation id before anything is sent again, so a message delivered twice, or a write-off
// finished meanwhile by the front desk's repeat, never debits twice.
//
// Each message is reported on its own (the event source has ReportBatchItemFailures): a
// write-off Kontur still does not confirm, a malformed message or one naming no stored
// write-off is returned to the queue, retried after the visibility timeout and, after five
// receives, kept in the dead-letter queue for a person to look at.
//
// Environment, besides the store's: STYKOVKA_KONTUR_URL and STYKOVKA_KONTUR_API_KEY (Kontur's
// API; one endpoint for every tenant for now).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
)

const job = "kontur-redeem"

// maxBody bounds a message body; a valid one is far smaller.
const maxBody = 1024

func main() {
	log := lambdacontext.NewLogger().With("job", job)
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
	lambda.Start(newHandler(h))
}

// Message is the body of a message on the Kontur queue: the write-off to carry on.
type Message struct {
	Tenant   string `json:"tenant"`
	WriteOff string `json:"writeOff"` // the write-off's RequestId
}

// ParseMessage reads a message body strictly: one JSON object with exactly the known fields.
func ParseMessage(body string) (Message, error) {
	if len(body) > maxBody {
		return Message{}, errors.New("message body too large")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("message body: %w", err)
	}
	if dec.More() {
		return Message{}, errors.New("message body: data after the object")
	}
	if m.Tenant == "" || m.WriteOff == "" {
		return Message{}, errors.New("message body: tenant and writeOff are required")
	}
	return m, nil
}

// newHandler returns the function's handler; it keeps no state of its own (the domain shares
// concurrent runs of one write-off), so concurrent invocations are safe. It returns an error
// only when the invocation itself is broken; failed messages go to BatchItemFailures.
func newHandler(h *hub.Hub) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	log := h.Deps.Log
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, rec := range ev.Records {
			if err := ctx.Err(); err != nil {
				// Out of time: this and the remaining messages go back to the queue.
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				continue
			}
			m, err := ParseMessage(rec.Body)
			if err != nil {
				log.ErrorContext(ctx, "kontur message refused", "message", rec.MessageId, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				continue
			}
			w, err := h.Kontur.Resume(ctx, m.Tenant, m.WriteOff)
			if err == nil && w.State.Pending() {
				err = kontur.ErrInProgress
			}
			if err != nil {
				e := apperr.As(err)
				log.WarnContext(ctx, "kontur write-off not finished", "message", rec.MessageId, "tenant", m.Tenant,
					"request", m.WriteOff, "state", w.State, "code", e.Code, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				continue
			}
			log.InfoContext(ctx, "kontur write-off settled", "message", rec.MessageId, "tenant", m.Tenant,
				"request", m.WriteOff, "state", w.State)
		}
		return resp, nil
	}
}
