package agent

import (
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/bridge/wire"
)

// state is what the status page shows: the hub's reachability and the last reads. It holds no
// personal data beyond the PMS person id (an opaque number) and Regula's document type name.
type state struct {
	q  *Queue
	mu sync.Mutex

	hubState   string // "ok", "down", "" (not tried yet)
	hubProblem string
	downSince  time.Time
	retryAt    time.Time
	lastOK     time.Time
	events     []Event
	byTx       map[string]int // index in events
}

// Event is one read on the status page.
type Event struct {
	At            time.Time      `json:"at"`
	TransactionID string         `json:"transactionId"`
	Source        string         `json:"source,omitempty"`
	PersonID      string         `json:"personId,omitempty"`
	Status        string         `json:"status"` // queued, attached, duplicate, refused, rejected
	DocumentName  string         `json:"documentName,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	Warnings      []wire.Warning `json:"warnings,omitempty"`
}

// Status is GET /status.
type Status struct {
	Version     string    `json:"version"`
	Queued      int       `json:"queued"`
	Hub         string    `json:"hub"` // ok, down, unknown
	HubProblem  string    `json:"hubProblem,omitempty"`
	DownSince   time.Time `json:"downSince,omitzero"`
	NextRetry   time.Time `json:"nextRetry,omitzero"`
	LastDeliver time.Time `json:"lastDelivered,omitzero"`
	Guest       *Guest    `json:"currentGuest,omitempty"`
	Events      []Event   `json:"events"`
}

const keepEvents = 50

func newState(q *Queue) *state { return &state{q: q, byTx: map[string]int{}} }

func (s *state) event(tx, source, person, status, docName, reason string, warns []wire.Warning) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byTx[tx]; ok && i < len(s.events) && s.events[i].TransactionID == tx {
		e := &s.events[i]
		e.At, e.Status = time.Now(), status
		if docName != "" {
			e.DocumentName = docName
		}
		e.Reason, e.Warnings = reason, warns
		return
	}
	s.events = append(s.events, Event{At: time.Now(), TransactionID: tx, Source: source, PersonID: person, Status: status,
		DocumentName: docName, Reason: reason, Warnings: warns})
	if len(s.events) > keepEvents {
		s.events = s.events[len(s.events)-keepEvents:]
	}
	s.byTx = map[string]int{}
	for i, e := range s.events {
		s.byTx[e.TransactionID] = i
	}
}

func (s *state) hubOK() {
	s.mu.Lock()
	s.hubState, s.hubProblem, s.downSince, s.retryAt, s.lastOK = "ok", "", time.Time{}, time.Time{}, time.Now()
	s.mu.Unlock()
}

func (s *state) hubDown(problem string, retry time.Duration) {
	s.mu.Lock()
	if s.hubState != "down" {
		s.downSince = time.Now()
	}
	s.hubState, s.hubProblem, s.retryAt = "down", problem, time.Now().Add(retry)
	s.mu.Unlock()
}

func (s *state) snapshot(g *Guest) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Version: Version, Queued: s.q.Len(), Hub: s.hubState, HubProblem: s.hubProblem, DownSince: s.downSince,
		NextRetry: s.retryAt, LastDeliver: s.lastOK, Guest: g, Events: make([]Event, 0, len(s.events))}
	if st.Hub == "" {
		st.Hub = "unknown"
	}
	for i := len(s.events) - 1; i >= 0; i-- {
		st.Events = append(st.Events, s.events[i])
	}
	return st
}
