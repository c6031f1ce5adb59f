// Package apptest gives tests the hub's embedded dependencies — the same app.LocalWithClock
// the local binary uses — in a temporary folder, with the log captured so a test can scan it
// for personal data.
package apptest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/clock"
)

// LogBuffer collects log output; safe for the goroutines of a running hub.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Local returns the embedded dependencies on clk in a temporary folder (the bbolt file is
// dir/stykovka.db), logging JSON at debug level into logs. They are closed at the test's end.
func Local(t testing.TB, clk clock.Clock) (deps *app.Deps, logs *LogBuffer, dir string) {
	t.Helper()
	logs = &LogBuffer{}
	dir = t.TempDir()
	deps, err := app.LocalWithClock(dir, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	return deps, logs, dir
}
