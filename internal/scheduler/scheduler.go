// Package scheduler stands in for EventBridge Scheduler in the local binary: it runs registered
// jobs at fixed intervals, handing each run its scheduled time the way EventBridge does, so a
// job keys its work on (job, scheduled time) in both worlds.
package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
)

// Tick is one scheduled run.
type Tick struct {
	Job       string
	Scheduled time.Time // the slot, aligned to the job's interval (UTC)
}

// Job is work run on a schedule. It should finish before ctx is done.
type Job func(ctx context.Context, t Tick) error

type entry struct {
	name     string
	every    time.Duration
	run      Job
	next     time.Time
	running  bool
	lastErr  error
	lastTick time.Time
}

// Scheduler runs jobs. Jobs are never run concurrently with themselves: a slot that comes
// while the previous run is still going is skipped (EventBridge would deliver it; our jobs
// are idempotent per slot, so skipping is the cheaper equivalent).
type Scheduler struct {
	clk  clock.Clock
	log  *slog.Logger
	mu   sync.Mutex
	jobs []*entry
	wg   sync.WaitGroup
}

// New returns an empty scheduler.
func New(clk clock.Clock, log *slog.Logger) *Scheduler {
	return &Scheduler{clk: clk, log: log}
}

// Add registers a job run every interval (at least one second), first at the next aligned slot.
func (s *Scheduler) Add(name string, every time.Duration, run Job) {
	if every < time.Second {
		every = time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, &entry{name: name, every: every, run: run,
		next: s.clk.Now().UTC().Truncate(every).Add(every)})
}

// RunDue starts every job whose slot has come at the clock's now and returns the number
// started. Runs go on in the background; Wait waits for them.
func (s *Scheduler) RunDue(ctx context.Context) int {
	now := s.clk.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	started := 0
	for _, e := range s.jobs {
		if now.Before(e.next) {
			continue
		}
		slot := now.Truncate(e.every)
		e.next = slot.Add(e.every) // missed slots collapse into one run, as after a sleep
		if e.running {
			s.log.Warn("scheduler: previous run still going, slot skipped", "job", e.name, "slot", slot)
			continue
		}
		e.running = true
		started++
		s.wg.Add(1)
		go s.runOne(ctx, e, Tick{Job: e.name, Scheduled: slot})
	}
	return started
}

func (s *Scheduler) runOne(ctx context.Context, e *entry, t Tick) {
	defer s.wg.Done()
	// Like a Lambda timeout: a run may not take longer than its interval.
	ctx, cancel := context.WithTimeout(ctx, e.every)
	defer cancel()
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("scheduler: job panicked", "job", e.name, "panic", v)
				err = errPanic
			}
		}()
		return e.run(ctx, t)
	}()
	if err != nil {
		s.log.Error("scheduler: job failed", "job", e.name, "slot", t.Scheduled, "err", err)
	}
	s.mu.Lock()
	e.running, e.lastErr, e.lastTick = false, err, t.Scheduled
	s.mu.Unlock()
}

type panicError struct{}

func (panicError) Error() string { return "job panicked" }

var errPanic = panicError{}

// Run checks for due jobs every poll interval until ctx is done, then waits for running jobs.
func (s *Scheduler) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.Wait()
			return
		case <-t.C:
			s.RunDue(ctx)
		}
	}
}

// Wait waits for the runs in progress.
func (s *Scheduler) Wait() { s.wg.Wait() }

// Status describes a job for health pages.
type Status struct {
	Job      string
	Every    time.Duration
	Next     time.Time
	LastSlot time.Time
	LastErr  string
	Running  bool
}

// Jobs reports the registered jobs.
func (s *Scheduler) Jobs() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.jobs))
	for _, e := range s.jobs {
		st := Status{Job: e.name, Every: e.every, Next: e.next, LastSlot: e.lastTick, Running: e.running}
		if e.lastErr != nil {
			st.LastErr = e.lastErr.Error()
		}
		out = append(out, st)
	}
	return out
}
