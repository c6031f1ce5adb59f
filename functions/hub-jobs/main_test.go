package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
)

func TestSampleEventRunsTheNamedJobWithItsSlot(t *testing.T) {
	var got []scheduler.Tick
	record := func(ctx context.Context, tk scheduler.Tick) error { got = append(got, tk); return nil }
	h := newHandler([]hub.Job{{Name: "emis-deliver", Every: time.Minute, Run: record}, {Name: "other", Every: time.Minute, Run: record}})
	if _, err := lambdatest.Replay(t, h, "hub-jobs"); err != nil {
		t.Fatal(err)
	}
	want := scheduler.Tick{Job: "emis-deliver", Scheduled: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("ran %v, want exactly %v", got, want)
	}
}

func TestUnknownJobIsRefused(t *testing.T) {
	h := newHandler(nil)
	_, err := lambdatest.Invoke(t, h, []byte(`{"job":"nope","scheduledTime":"2026-11-23T18:00:00Z"}`))
	if err == nil || !strings.Contains(err.Error(), "HUB_JOB_UNKNOWN") {
		t.Fatalf("error %v, want HUB_JOB_UNKNOWN", err)
	}
}

// TestRealHubRunsTheSampleJob replays the sample against the hub's real job list: every job a
// schedule names must exist there.
func TestRealHubRunsTheSampleJob(t *testing.T) {
	h := lambdatest.Hub(t, hub.Config{})
	var ev struct{ Job string }
	json.Unmarshal(lambdatest.Event(t, "hub-jobs"), &ev)
	found := false
	for _, j := range h.Jobs() {
		found = found || j.Name == ev.Job
	}
	if !found {
		t.Fatalf("the hub has no job %q", ev.Job)
	}
	if _, err := lambdatest.Replay(t, newHandler(h.Jobs()), "hub-jobs"); err != nil {
		t.Fatal(err)
	}
}

// TestEveryScheduledJobExists reads template.yaml: every job a schedule names is either a
// function of its own or one of the hub's jobs that this function runs.
func TestEveryScheduledJobExists(t *testing.T) {
	root := lambdatest.RepoRoot(t)
	tmpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, j := range lambdatest.Hub(t, hub.Config{}).Jobs() {
		have[j.Name] = true
	}
	named := regexp.MustCompile(`"job":"([a-z0-9-]+)"`).FindAllStringSubmatch(string(tmpl), -1)
	if len(named) == 0 {
		t.Fatal("no schedule inputs found in template.yaml")
	}
	for _, m := range named {
		_, ownFunction := os.Stat(filepath.Join(root, "functions", m[1], "main.go"))
		if ownFunction != nil && !have[m[1]] {
			t.Errorf("template.yaml schedules job %q: neither a function nor a hub job", m[1])
		}
	}
}
