// Package clock gives domain code its time, so that deadlines and 60-second rules are testable.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Fake is a settable clock for tests; it is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Set moves the fake time to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Scaled is a clock that runs speed times faster than the wall clock from the moment it was
// made, so a demo need not wait SEP's 60 seconds (`serve --clock-speed 10`). The hub and the
// simulators share one Scaled clock.
type Scaled struct {
	start time.Time
	speed float64
}

// NewScaled returns a clock starting at the wall clock's now and running speed times as
// fast; speeds below 1 are taken as 1.
func NewScaled(speed float64) *Scaled {
	if speed < 1 {
		speed = 1
	}
	return &Scaled{start: time.Now(), speed: speed}
}

// Now returns the scaled time.
func (s *Scaled) Now() time.Time {
	elapsed := time.Since(s.start)
	return s.start.Add(time.Duration(float64(elapsed) * s.speed))
}
