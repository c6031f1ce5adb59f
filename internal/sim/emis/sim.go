// Package emis simulates EMIS Service for tests and the demo: the integration API of package
// emisclient (sessions, changes since a version), a web page per session where an operator
// types or "scans" a guest's documents and presses «Сохранить», and a signed callback to the
// hub on every save. Fault switches, settable at runtime (SetFaults or POST /_sim/faults),
// break each step: wrong credentials, 5xx answers, late, repeated and replayed callbacks.
//
// State is in memory; the simulator is a real HTTP server on 127.0.0.1.
package emis

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

// Account is an EMIS integration account (one per legal entity of a hotel).
type Account struct {
	Login      string // integration login
	Password   string // integration password
	HookSecret string // signs the callbacks (the tenant's EMIS secret in the hub)
}

// Faults are the switches; the zero value is a healthy EMIS.
type Faults struct {
	// WrongCredentials makes every API call answer 401, as if the hub's login were wrong.
	WrongCredentials bool `json:"wrong_credentials"`
	// ServerErrors makes the next N API calls answer 503; -1 makes all of them fail.
	ServerErrors int `json:"server_errors"`
	// CallbackDelay sends callbacks this late (wall time).
	CallbackDelay time.Duration `json:"callback_delay"`
	// CallbackRepeat sends every callback this many extra times, each signed anew (as a
	// sender retrying after a lost answer does).
	CallbackRepeat int `json:"callback_repeat"`
	// CallbackReplay also sends a byte-identical copy of every callback (a replay).
	CallbackReplay bool `json:"callback_replay"`
}

// CallbackAttempt is one callback the simulator sent, for tests and the status page.
type CallbackAttempt struct {
	SessionID string
	Version   int64
	Status    int // 0: network failure
	Replay    bool
}

// Options configure a simulator.
type Options struct {
	Clock clock.Clock // signs callbacks and dates sessions; nil is the wall clock
	Log   *slog.Logger
	// HTTPClient posts the callbacks; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running simulator.
type Server struct {
	clk  clock.Clock
	log  *slog.Logger
	hc   *http.Client
	srv  *http.Server
	ln   net.Listener
	base string
	wg   sync.WaitGroup

	mu        sync.Mutex
	accounts  map[string]Account                  // by login
	sessions  map[string]*session                 // by page token
	byID      map[string]*session                 // by session id
	persons   map[string][]emisclient.VersionWire // by login + "\x00" + person id
	faults    Faults
	callbacks []CallbackAttempt
}

type session struct {
	ID          string
	Token       string
	Login       string
	PersonID    string
	BookingID   string
	GuestName   string
	CallbackURL string
	Expires     time.Time
}

// Limits.
const (
	maxBody    = 64 << 10
	sessionTTL = 24 * time.Hour
)

// Start starts a simulator on addr ("127.0.0.1:0" for any free port).
func Start(addr string, o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		clk: o.Clock, log: o.Log.With("sim", "emis"), hc: o.HTTPClient, ln: ln,
		base:     "http://" + ln.Addr().String(),
		accounts: map[string]Account{}, sessions: map[string]*session{}, byID: map[string]*session{},
		persons: map[string][]emisclient.VersionWire{},
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the simulator's base URL.
func (s *Server) URL() string { return s.base }

// Close stops the server and waits for callbacks in flight.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.wg.Wait()
	return err
}

// Flush waits until every callback scheduled so far has been sent (or given up).
func (s *Server) Flush() { s.wg.Wait() }

// AddAccount adds or replaces an integration account.
func (s *Server) AddAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[a.Login] = a
}

// SetFaults replaces the fault switches.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Faults returns the current switches.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Sessions returns how many sessions were opened.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// SessionIDOf returns the id of the session whose page is pageURL.
func (s *Server) SessionIDOf(pageURL string) (string, bool) {
	_, token, ok := strings.Cut(pageURL, "/s/")
	if !ok {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[token]
	if !ok {
		return "", false
	}
	return sess.ID, true
}

// Callbacks returns the callbacks sent so far.
func (s *Server) Callbacks() []CallbackAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAttempt(nil), s.callbacks...)
}

// Handler serves the API, the operator pages and the fault switches.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+emisclient.PathSessions, s.api(s.openSession))
	mux.HandleFunc("GET "+emisclient.PathPersons+"{person}"+emisclient.PathChanges, s.api(s.changes))
	mux.HandleFunc("GET /s/{token}", s.page)
	mux.HandleFunc("POST /s/{token}", s.submit)
	mux.HandleFunc("GET /_sim/faults", s.getFaults)
	mux.HandleFunc("POST /_sim/faults", s.postFaults)
	mux.HandleFunc("GET /{$}", s.index)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// api authenticates an integration call and applies the API faults.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		if s.faults.ServerErrors > 0 {
			s.faults.ServerErrors--
		}
		login, pass, ok := r.BasicAuth()
		acct, known := s.accounts[login]
		s.mu.Unlock()
		if f.ServerErrors != 0 {
			apiError(w, http.StatusServiceUnavailable, "service temporarily unavailable")
			return
		}
		if f.WrongCredentials || !ok || !known || subtle.ConstantTimeCompare([]byte(pass), []byte(acct.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="emis"`)
			apiError(w, http.StatusUnauthorized, "invalid integration credentials")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r, acct)
	}
}

func newToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("._:-", c)) {
			return false
		}
	}
	return true
}

func (s *Server) openSession(w http.ResponseWriter, r *http.Request, a Account) {
	var req emisclient.SessionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "body is not a session request")
		return
	}
	if !validID(req.PersonID) || (req.BookingID != "" && !validID(req.BookingID)) ||
		!strings.HasPrefix(req.CallbackURL, "http") || len(req.GuestName) > 200 {
		apiError(w, http.StatusBadRequest, "personId, bookingId or callbackUrl invalid")
		return
	}
	sess := &session{ID: newToken(8), Token: newToken(16), Login: a.Login, PersonID: req.PersonID,
		BookingID: req.BookingID, GuestName: req.GuestName, CallbackURL: req.CallbackURL,
		Expires: s.clk.Now().Add(sessionTTL)}
	s.mu.Lock()
	s.sessions[sess.Token] = sess
	s.byID[sess.ID] = sess
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, emisclient.SessionResponse{SessionID: sess.ID, URL: s.base + "/s/" + sess.Token, ExpiresAt: sess.Expires})
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request, a Account) {
	person := r.PathValue("person")
	since, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	if !validID(person) || err != nil || since < 0 {
		apiError(w, http.StatusBadRequest, "person or since invalid")
		return
	}
	s.mu.Lock()
	var out []emisclient.VersionWire
	for _, v := range s.persons[a.Login+"\x00"+person] {
		if v.Version > since {
			out = append(out, v)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, emisclient.ChangesResponse{PersonID: person, Versions: out})
}

// save stores a new version of the session's person and schedules its callback.
func (s *Server) save(sess *session, doc emisclient.Document) emisclient.VersionWire {
	s.mu.Lock()
	key := sess.Login + "\x00" + sess.PersonID
	v := emisclient.VersionWire{Version: int64(len(s.persons[key]) + 1), SavedAt: s.clk.Now().UTC(),
		SessionID: sess.ID, BookingID: sess.BookingID, Document: doc}
	s.persons[key] = append(s.persons[key], v)
	secret := s.accounts[sess.Login].HookSecret
	f := s.faults
	s.mu.Unlock()
	body, _ := json.Marshal(emisclient.Callback{Event: emisclient.EventSaved, PersonID: sess.PersonID, VersionWire: v})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if f.CallbackDelay > 0 {
			time.Sleep(f.CallbackDelay)
		}
		var last string
		for i := 0; i <= f.CallbackRepeat; i++ {
			last = hooksig.Sign([]byte(secret), s.clk.Now(), body)
			s.post(sess, v.Version, last, body, false)
		}
		if f.CallbackReplay {
			s.post(sess, v.Version, last, body, true)
		}
	}()
	return v
}

// post sends one callback, retrying network failures and 5xx a few times with the same
// signature (a retry of the same request).
func (s *Server) post(sess *session, version int64, sig string, body []byte, replay bool) {
	status := 0
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, sess.CallbackURL, bytes.NewReader(body))
		if err != nil {
			break
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(hooksig.EmisHeader, sig)
		resp, err := s.hc.Do(req)
		if err != nil {
			status = 0
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		status = resp.StatusCode
		if status < 500 {
			break
		}
	}
	s.mu.Lock()
	s.callbacks = append(s.callbacks, CallbackAttempt{SessionID: sess.ID, Version: version, Status: status, Replay: replay})
	s.mu.Unlock()
	s.log.Info("callback sent", "session", sess.ID, "version", version, "status", status, "replay", replay)
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		apiError(w, http.StatusBadRequest, "body is not a Faults object: "+err.Error())
		return
	}
	if f.CallbackDelay < 0 || f.CallbackDelay > 10*time.Minute || f.CallbackRepeat < 0 || f.CallbackRepeat > 10 || f.ServerErrors < -1 {
		apiError(w, http.StatusBadRequest, "fault values out of range")
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) sessionOf(r *http.Request) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[r.PathValue("token")]
	if !ok || s.clk.Now().After(sess.Expires) {
		return nil, errors.New("no such session")
	}
	return sess, nil
}

// latest returns the last saved document of the session's person, if any.
func (s *Server) latest(sess *session) (emisclient.Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.persons[sess.Login+"\x00"+sess.PersonID]
	if len(vs) == 0 {
		return emisclient.Document{}, false
	}
	return vs[len(vs)-1].Document, true
}
