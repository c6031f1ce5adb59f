package main

import (
	"strings"
	"testing"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
)

func TestSampleEventIsRefusedNotImplemented(t *testing.T) {
	out, err := lambdatest.Replay(t, newHandler(lambdatest.Deps(t)), job)
	if out != nil {
		t.Errorf("result %s, want none", out)
	}
	lambdatest.WantNotImplementedError(t, err, job)
}

func TestEventOfAnotherJobIsRefused(t *testing.T) {
	payload := []byte(`{"job":"other","scheduledTime":"2025-07-01T09:00:00Z"}`)
	_, err := lambdatest.Invoke(t, newHandler(lambdatest.Deps(t)), payload)
	if err == nil || !strings.Contains(err.Error(), "SCHEDULE_JOB_MISMATCH") {
		t.Fatalf("error %v, want SCHEDULE_JOB_MISMATCH", err)
	}
}
