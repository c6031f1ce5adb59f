package kontursim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Faults are the simulator's fault switches. Each is the probability (0 to 1) that a request
// meets it; 1 turns the switch on for every request. They apply to every endpoint; "after
// applying" means after the debit or cancel took effect (or the read was answered).
type Faults struct {
	// FailBefore answers 503 before anything is applied.
	FailBefore float64 `json:"failBefore"`
	// TimeoutAfter applies the request, then holds the answer for Hold (meant to be longer
	// than the client's timeout) or until the client goes away.
	TimeoutAfter float64 `json:"timeoutAfter"`
	// DropAfter applies the request, then drops the connection without an answer.
	DropAfter float64 `json:"dropAfter"`
	// Slow waits SlowDelay before handling the request (the client may give up meanwhile; the
	// request is still handled).
	Slow float64 `json:"slow"`
	// Duplicate handles the request twice, as if the network delivered it twice.
	Duplicate float64 `json:"duplicate"`

	// Endpoints limits the faults to some endpoints: "balance", "debit", "get", "cancel".
	// Empty means all.
	Endpoints []string `json:"endpoints,omitempty"`

	SlowDelay Duration `json:"slowDelay"`
	Hold      Duration `json:"hold"`
	// Seed seeds the source the probabilities are drawn from (set with the faults).
	Seed uint64 `json:"seed"`
}

// Duration is a time.Duration written as Go's text ("250ms") in JSON.
type Duration time.Duration

// MarshalText writes the duration as "1.5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "1.5s", "250ms", …
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 || v > time.Hour {
		return fmt.Errorf("duration %v out of range", v)
	}
	*d = Duration(v)
	return nil
}

func (f Faults) validate() error {
	for _, p := range []float64{f.FailBefore, f.TimeoutAfter, f.DropAfter, f.Slow, f.Duplicate} {
		if !(p >= 0 && p <= 1) { // also refuses NaN
			return fmt.Errorf("probabilities are between 0 and 1")
		}
	}
	if f.SlowDelay < 0 || f.Hold < 0 {
		return fmt.Errorf("negative delay")
	}
	for _, e := range f.Endpoints {
		if !slices.Contains(endpoints, e) {
			return fmt.Errorf("unknown endpoint %q; known: %v", e, endpoints)
		}
	}
	return nil
}

// SetFaults replaces the fault switches and reseeds their source.
func (s *Sim) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Hold == 0 {
		f.Hold = Duration(30 * time.Second)
	}
	if f.SlowDelay == 0 {
		f.SlowDelay = Duration(100 * time.Millisecond)
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	return nil
}

// Faults returns the fault switches.
func (s *Sim) Faults() Faults {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.faults
}

// plan is the faults one request meets.
type plan struct {
	failBefore, timeoutAfter, dropAfter, slow, duplicate bool
	slowDelay, hold                                      time.Duration
}

// endpoints are the names Faults.Endpoints may list.
var endpoints = []string{"balance", "debit", "get", "cancel"}

func (s *Sim) draw(endpoint string) plan {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	f := s.faults
	if len(f.Endpoints) > 0 && !slices.Contains(f.Endpoints, endpoint) {
		return plan{}
	}
	hit := func(p float64) bool { return p > 0 && s.rng.Float64() < p }
	p := plan{slowDelay: time.Duration(f.SlowDelay), hold: time.Duration(f.Hold)}
	p.slow = hit(f.Slow)
	p.failBefore = hit(f.FailBefore)
	p.duplicate = hit(f.Duplicate)
	// At most one way of losing the answer.
	if hit(f.TimeoutAfter) {
		p.timeoutAfter = true
	} else {
		p.dropAfter = hit(f.DropAfter)
	}
	return p
}
