package main

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/hub"
)

func decode(t *testing.T, out []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response: %v: %s", err, out)
	}
	return resp
}

func TestHealthzEvent(t *testing.T) {
	out, err := lambdatest.Replay(t, newHandler(lambdatest.Hub(t, hub.Config{}), ""), "facade")
	if err != nil {
		t.Fatal(err)
	}
	resp := decode(t, out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body: %v: %s", err, resp.Body)
	}
	if body["status"] != "ok" || body["profile"] != "on-prem" || body["adapters"] != "local" {
		t.Errorf("body %v, want status ok from the embedded adapters (on-prem)", body)
	}
	if resp.Headers["X-Request-Id"] == "" {
		t.Error("no X-Request-Id: the facade's middleware did not run")
	}
}

// The runtime may run invocations concurrently (AWS_LAMBDA_MAX_CONCURRENCY); one handler
// serves them all.
func TestConcurrentInvocations(t *testing.T) {
	h := newHandler(lambdatest.Hub(t, hub.Config{}), "")
	payload := lambdatest.Event(t, "facade")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			out, err := lambdatest.Invoke(t, h, payload)
			if err != nil {
				t.Error(err)
				return
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("response %s (%v), want status 200", out, err)
			}
		})
	}
	wg.Wait()
}

func TestSilentHandlerAnswers200(t *testing.T) {
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	out, err := lambdatest.Replay(t, httpadapter.NewV2(implicitOK(silent)).ProxyWithContext, "facade")
	if err != nil {
		t.Fatal(err)
	}
	if resp := decode(t, out); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want the 200 net/http would send", resp.StatusCode)
	}
}
