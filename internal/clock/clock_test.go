package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	f.Advance(90 * time.Second)
	if got := f.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Advance: %v", got)
	}
	f.Set(t0)
	if !f.Now().Equal(t0) {
		t.Fatal("Set")
	}
}

// TestScaledRunsFaster brackets two scaled readings between wall readings: the scaled time
// that passed is ten times a wall interval lying between the sleep and the outer readings.
func TestScaledRunsFaster(t *testing.T) {
	s := NewScaled(10)
	w0 := time.Now()
	s0 := s.Now()
	time.Sleep(50 * time.Millisecond)
	s1 := s.Now()
	w1 := time.Now()
	scaled, outer := s1.Sub(s0), w1.Sub(w0)
	if scaled < 10*50*time.Millisecond || scaled > 10*outer+time.Millisecond {
		t.Fatalf("scaled %v over a sleep of 50ms within %v of wall time: want 10×", scaled, outer)
	}
	if NewScaled(0).speed != 1 {
		t.Fatal("speed below 1 must be taken as 1")
	}
}
