// Package lambdatest replays the sample events of events/ through aws-lambda-go's handler
// machinery, the way the Lambda runtime delivers them, for the functions' tests.
package lambdatest

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
)

// Deps returns the embedded dependencies in a temporary folder: no test talks to AWS.
func Deps(t testing.TB) *app.Deps {
	t.Helper()
	deps, err := app.Local(t.TempDir(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	return deps
}

// Hub returns a hub over Deps(t) with the given configuration.
func Hub(t testing.TB, cfg hub.Config) *hub.Hub {
	t.Helper()
	h, err := hub.New(Deps(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Event returns the bytes of events/<job>.json.
func Event(t testing.TB, job string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), "events", job+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("events/%s.json is not valid JSON", job)
	}
	return b
}

// Invoke passes payload to handler through lambda.NewHandler, which decodes the event into the
// handler's parameter type and encodes its result, and returns the JSON result. Unknown fields
// in the payload are refused, so a sample event with a misspelt field fails here instead of
// silently decoding to zero values.
func Invoke(t testing.TB, handler any, payload []byte) ([]byte, error) {
	t.Helper()
	h := lambda.NewHandlerWithOptions(handler, lambda.WithDisallowUnknownFields(true))
	return h.Invoke(context.Background(), payload)
}

// Replay invokes handler with events/<job>.json.
func Replay(t testing.TB, handler any, job string) ([]byte, error) {
	t.Helper()
	return Invoke(t, handler, Event(t, job))
}

// RepoRoot walks up from the working directory (a package directory under go test) to go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}
