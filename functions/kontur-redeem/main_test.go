package main

import (
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
