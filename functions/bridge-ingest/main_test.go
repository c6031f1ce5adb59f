package main

import (
	"testing"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
)

func TestSampleEventIsAnsweredNotImplemented(t *testing.T) {
	out, err := lambdatest.Replay(t, newHandler(lambdatest.Deps(t)), job)
	if err != nil {
		t.Fatal(err)
	}
	lambdatest.WantNotImplementedResponse(t, out, job)
}
