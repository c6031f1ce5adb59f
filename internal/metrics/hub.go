package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// The hub's metric families (README: «Консоль оператора и метрики»).
var (
	// Requests counts HTTP requests to the hub: surface is soap, odata, console, hook,
	// health, metrics or other; service the SOAP service, OData set, console page or webhook;
	// operation the SOAP operation (or wsdl) or the HTTP method; outcome ok, denied,
	// client_error, fault (a SOAP fault or OData error with a 5xx) or error.
	Requests = Default.Counter("stykovka_http_requests_total",
		"HTTP requests to the hub by surface, service, operation and outcome.",
		"surface", "service", "operation", "outcome")
	// RequestSeconds is the latency of those requests.
	RequestSeconds = Default.Histogram("stykovka_http_request_duration_seconds",
		"Latency of HTTP requests to the hub, seconds.", nil, "surface", "service", "operation")
	// JobRuns counts runs of the scheduled jobs (sep-poller, novotelecom-exchange, …) by outcome.
	JobRuns = Default.Counter("stykovka_job_runs_total", "Runs of scheduled jobs by outcome.", "job", "outcome")
	// JobSeconds is the duration of those runs.
	JobSeconds = Default.Histogram("stykovka_job_duration_seconds", "Duration of scheduled job runs, seconds.", nil, "job")
	// Events counts what the integrations did: SEP results by status, Kontur write-offs by
	// state, Novotelecom files sent and received and errors, EMIS callbacks and deliveries,
	// scanner uploads.
	Events = Default.Counter("stykovka_integration_events_total",
		"Integration events by integration, event and outcome.", "integration", "event", "outcome")
	// Calls is the latency of calls to the outside systems by integration, operation and outcome.
	Calls = Default.Histogram("stykovka_integration_call_duration_seconds",
		"Latency of calls to the outside systems, seconds.", nil, "integration", "operation", "outcome")
	// Invocations counts Lambda invocations by function and outcome (EMF only in practice).
	Invocations = Default.Counter("stykovka_lambda_invocations_total", "Lambda invocations by function and outcome.", "function", "outcome")
	// InvocationSeconds is their duration.
	InvocationSeconds = Default.Histogram("stykovka_lambda_invocation_duration_seconds",
		"Duration of Lambda invocations, seconds.", nil, "function")
)

// Event counts one integration event, e.g. Event("sep", "result", "answered").
func Event(integration, event, outcome string) { Events.Inc(integration, event, outcome) }

// EventN counts n events at once (n <= 0 records nothing).
func EventN(integration, event, outcome string, n int) {
	if n > 0 {
		Events.Add(float64(n), integration, event, outcome)
	}
}

// Call records a call to an outside system that started at start and ended with err.
func Call(integration, operation string, start time.Time, err error) {
	Calls.ObserveSince(start, integration, operation, Outcome(err))
}

// Outcome names an error's outcome for labels: ok, timeout, cancelled, unavailable, invalid,
// not_found, conflict, denied, too_large or error. It never includes the error's text.
func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	switch apperr.As(err).Kind {
	case apperr.Unavailable:
		return "unavailable"
	case apperr.Invalid:
		return "invalid"
	case apperr.NotFound:
		return "not_found"
	case apperr.Conflict:
		return "conflict"
	case apperr.Unauthorized, apperr.Forbidden:
		return "denied"
	case apperr.TooLarge:
		return "too_large"
	}
	return "error"
}

// Job wraps a scheduled job so that each run is counted by outcome and timed.
func Job(name string, run scheduler.Job) scheduler.Job {
	return func(ctx context.Context, t scheduler.Tick) error {
		start := time.Now()
		err := run(ctx, t)
		JobRuns.Inc(name, Outcome(err))
		JobSeconds.ObserveSince(start, name)
		return err
	}
}

// HTTPOutcome names an HTTP status's outcome: ok (1xx–3xx), denied (401, 403), client_error
// (other 4xx), fault (500: a SOAP fault or OData error the hub answered) or error (other 5xx).
func HTTPOutcome(status int) string {
	switch {
	case status < 400:
		return "ok"
	case status == 401 || status == 403:
		return "denied"
	case status < 500:
		return "client_error"
	case status == 500:
		return "fault"
	}
	return "error"
}
