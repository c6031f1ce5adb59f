package scheduler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunDueAlignsSlotsAndRunsOncePerSlot(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC))
	s := New(clk, quiet())
	var mu sync.Mutex
	var ticks []Tick
	s.Add("sep-poller", time.Minute, func(ctx context.Context, tk Tick) error {
		mu.Lock()
		ticks = append(ticks, tk)
		mu.Unlock()
		return nil
	})
	ctx := context.Background()
	if n := s.RunDue(ctx); n != 0 {
		t.Fatalf("ran %d jobs before the first slot", n)
	}
	clk.Advance(30 * time.Second) // 10:01:00
	if n := s.RunDue(ctx); n != 1 {
		t.Fatalf("want 1 run at the slot, got %d", n)
	}
	s.Wait()
	if n := s.RunDue(ctx); n != 0 {
		t.Fatalf("same slot ran twice: %d", n)
	}
	clk.Advance(3*time.Minute + 10*time.Second) // 10:04:10, slots 02, 03, 04 missed
	if n := s.RunDue(ctx); n != 1 {
		t.Fatalf("missed slots must collapse into one run, got %d", n)
	}
	s.Wait()
	want := []time.Time{
		time.Date(2026, 11, 23, 10, 1, 0, 0, time.UTC),
		time.Date(2026, 11, 23, 10, 4, 0, 0, time.UTC),
	}
	if len(ticks) != len(want) {
		t.Fatalf("ticks %v", ticks)
	}
	for i := range want {
		if !ticks[i].Scheduled.Equal(want[i]) || ticks[i].Job != "sep-poller" {
			t.Errorf("tick %d = %+v, want slot %v", i, ticks[i], want[i])
		}
	}
}

func TestJobNeverOverlapsItselfAndFailuresAreReported(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := New(clk, quiet())
	release := make(chan struct{})
	var runs int
	var mu sync.Mutex
	s.Add("slow", time.Minute, func(ctx context.Context, tk Tick) error {
		mu.Lock()
		runs++
		mu.Unlock()
		<-release
		return errors.New("boom")
	})
	s.Add("panics", time.Minute, func(ctx context.Context, tk Tick) error { panic("bad job") })
	ctx := context.Background()
	clk.Advance(time.Minute)
	s.RunDue(ctx)
	clk.Advance(time.Minute)
	s.RunDue(ctx) // "slow" still running: skipped; "panics" runs again
	close(release)
	s.Wait()
	if runs != 1 {
		t.Fatalf("slow job ran %d times, want 1 (no overlap)", runs)
	}
	for _, st := range s.Jobs() {
		if st.LastErr == "" {
			t.Errorf("job %s: failure not recorded", st.Job)
		}
	}
}

func TestRunStopsOnCancelAndWaitsForJobs(t *testing.T) {
	s := New(clock.Real{}, quiet())
	done := make(chan struct{})
	var finished bool
	s.Add("tick", time.Second, func(ctx context.Context, tk Tick) error {
		select {
		case <-done:
		default:
			close(done)
		}
		finished = true
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { s.Run(ctx, 20*time.Millisecond); close(stopped) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("job never ran")
	}
	cancel()
	<-stopped
	if !finished {
		t.Fatal("Run returned before the job finished")
	}
}
