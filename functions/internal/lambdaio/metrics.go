package lambdaio

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/metrics"
)

// MetricsOut is where the flushers write the CloudWatch embedded-metric-format lines: the
// function's standard output, which Lambda sends to CloudWatch Logs, where the EMF lines
// become metrics in the namespace metrics.Namespace ("Stykovka").
var MetricsOut io.Writer = os.Stdout

// flushMu keeps the lines of one flush together when invocations overlap (they do not in the
// Go runtime, but goroutines a handler started may still record).
var flushMu sync.Mutex

// Flushed wraps a function's handler: each invocation is counted by outcome and timed
// (stykovka_lambda_invocations_total, stykovka_lambda_invocation_duration_seconds), and when
// it ends everything recorded during it — requests, calls to the outside systems, domain
// events — is written to MetricsOut as EMF lines with the dimension function=<function>.
func Flushed[E, R any](function string, h func(context.Context, E) (R, error)) func(context.Context, E) (R, error) {
	return func(ctx context.Context, ev E) (R, error) {
		start := time.Now()
		r, err := h(ctx, ev)
		record(function, start, err)
		return r, err
	}
}

// FlushedErr is Flushed for handlers that return only an error (scheduled and S3 events).
func FlushedErr[E any](function string, h func(context.Context, E) error) func(context.Context, E) error {
	return func(ctx context.Context, ev E) error {
		start := time.Now()
		err := h(ctx, ev)
		record(function, start, err)
		return err
	}
}

func record(function string, start time.Time, err error) {
	metrics.Invocations.Inc(function, metrics.Outcome(err))
	metrics.InvocationSeconds.ObserveSince(start, function)
	FlushMetrics(function)
}

// FlushMetrics writes what was recorded since the last flush to MetricsOut.
func FlushMetrics(function string) {
	flushMu.Lock()
	defer flushMu.Unlock()
	_ = metrics.Default.FlushEMF(MetricsOut, map[string]string{"function": function}, time.Now())
}
