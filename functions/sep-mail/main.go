// Command sep-mail is the Lambda that S3 runs for each raw letter from SEP that SES stores in
// the bucket under mail/<tenant>/ (one SES receipt rule per tenant address, its object key
// prefix "mail/<tenant>/"): it maps the key to the tenant, parses the letter (EPTS number,
// VIN, confirmation code), records the code, finds the fixed asset and notifies the person
// responsible for it (hub.SepIngestBlob), then removes the inbound object — the raw letter is
// kept under the tenant's own prefix t/<tenant>/sep/mail/. Malformed letters are kept and
// reported the same way, never dropped.
//
// S3 delivers at least once: a letter ingested twice is recognised by its content, and an
// event whose object is already gone does nothing. An error (SEP's letter for an unknown
// tenant, a store outage) fails the invocation, so Lambda retries it and then sends it to the
// dead-letter queue, while the object stays in mail/.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

const job = "sep-mail"

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
	lambda.Start(lambdaio.FlushedErr(job, newHandler(h, os.Getenv(app.EnvBucket))))
}

// ErrBucket refuses an event of another bucket than the hub's (a wiring mistake).
var ErrBucket = apperr.New(apperr.Invalid, "SEP_MAIL_BUCKET", "Событие S3 другой корзины: письма СЭП читаются только из корзины хаба")

// newHandler returns the function's handler for the hub's bucket; it keeps no state, so
// concurrent invocations are safe.
func newHandler(h *hub.Hub, bucket string) func(context.Context, events.S3Event) error {
	return func(ctx context.Context, ev events.S3Event) error {
		var errs []error
		for i, rec := range ev.Records {
			if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
				continue
			}
			if rec.S3.Bucket.Name != bucket {
				errs = append(errs, fmt.Errorf("record %d: %w", i, ErrBucket))
				continue
			}
			// S3 event keys are URL-encoded ("+" for a space).
			key, err := url.QueryUnescape(rec.S3.Object.Key)
			if err != nil {
				errs = append(errs, fmt.Errorf("record %d: %w", i, apperr.Wrap(err, apperr.Invalid, hub.ErrMailKey.Code, hub.ErrMailKey.Message)))
				continue
			}
			l, err := h.SepIngestBlob(ctx, key)
			if err != nil {
				h.Deps.Log.ErrorContext(ctx, "sep mail: letter not ingested", "record", i, "code", apperr.As(err).Code, "err", err)
				errs = append(errs, fmt.Errorf("record %d: %w", i, err))
				continue
			}
			if l.ID != "" {
				h.Deps.Log.InfoContext(ctx, "sep mail", "record", i, "letter", l.ID, "status", l.Status, "assets", len(l.AssetIDs))
			}
		}
		return errors.Join(errs...)
	}
}
