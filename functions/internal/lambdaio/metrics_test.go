package lambdaio

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/metrics"
)

// TestFlushed replays an invocation through the Lambda handler as the runtime would and reads
// the EMF lines it leaves on the function's output.
func TestFlushed(t *testing.T) {
	var out bytes.Buffer
	MetricsOut = &out
	prev := MetricsOut
	t.Cleanup(func() { MetricsOut = prev })
	FlushMetrics("t-warmup") // what other tests recorded

	out.Reset()
	h := FlushedErr("t-poller", func(ctx context.Context, ev ScheduledEvent) error {
		metrics.Event("sep", "request", "answered")
		metrics.Event("sep", "request", "answered")
		return apperr.New(apperr.Unavailable, "SEP_DOWN", "СЭП недоступен")
	})
	_, err := lambda.NewHandler(h).Invoke(context.Background(), []byte(`{"job":"sep-poller","scheduledTime":"2025-07-01T12:01:00Z"}`))
	if err == nil {
		t.Fatal("the handler's error is the invocation's")
	}
	var events, invocations map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if _, ok := m["_aws"]; !ok || m["function"] != "t-poller" {
			t.Errorf("not an EMF line of the function: %s", line)
		}
		if _, ok := m["stykovka_integration_events_total"]; ok {
			events = m
		}
		if _, ok := m["stykovka_lambda_invocations_total"]; ok {
			invocations = m
		}
	}
	if events == nil || events["stykovka_integration_events_total"] != 2.0 || events["outcome"] != "answered" {
		t.Errorf("events line %v in\n%s", events, out.String())
	}
	if invocations == nil || invocations["outcome"] != "unavailable" {
		t.Errorf("invocations line %v", invocations)
	}
	if strings.Contains(out.String(), "СЭП недоступен") {
		t.Error("the error's text must not reach the metrics")
	}

	// The next invocation flushes only its own.
	out.Reset()
	g := Flushed("t-hook", func(ctx context.Context, ev map[string]string) (string, error) { return "ok", nil })
	if _, err := g(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "integration_events") || !strings.Contains(out.String(), `"function":"t-hook"`) {
		t.Errorf("second flush:\n%s", out.String())
	}
}
