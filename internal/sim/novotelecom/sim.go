// Package novotelecom simulates Novotelecom's «Мои счета» file exchange server: a real HTTP
// server on 127.0.0.1 that speaks the protocol of the hub's adapter
// (internal/novotelecom/httpclient), answers the registries it receives, and breaks on demand.
//
// Protocol (JSON errors as {"error": "…"}):
//
//	POST   /api/v1/login          {"login","password"} → 200 {"token"} | 401
//	GET    /api/v1/files          Bearer → 200 {"files":[{"id","name","size","sha256"}]}
//	GET    /api/v1/files/{id}     Bearer → 200 the bytes (Content-Length, X-Content-SHA256) | 404
//	DELETE /api/v1/files/{id}     Bearer → 204 | 404 (gone already)
//	PUT    /api/v1/upload/{name}  Bearer, X-Content-SHA256 → 201 {"id"} | 200 {"id","duplicate":true}
//	                              | 409 (the name holds other content) | 413 | 400
//
// Files for the hub stay until the hub deletes them: download and delete are separate, so
// that the hub can store a file durably before it lets the server forget it. An upload is
// idempotent by name and content, as a real server keeps the names it has received.
//
// For every Services, Debts or Meters registry it receives, the simulator offers an Answer:
// without lines when the file reads well, with the diagnostic otherwise. DemoFiles are the
// seed's registries; a rejection of a demo file brings its corrected version, as Novotelecom
// would resend it.
package novotelecom

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// MaxUpload is the largest file the simulator accepts.
const MaxUpload = 64 << 20

// Faults are switches that break the server; set them with SetFaults at any time.
type Faults struct {
	Unavailable      int           // answer the next N requests 503
	DropDownloads    int           // cut the next N downloads off halfway and close the connection
	DuplicateListing bool          // list every file twice
	MalformedLists   int           // answer the next N listings with broken JSON
	Delay            time.Duration // answer every request this much later ("slow")
}

// File is a file waiting for the hub.
type File struct {
	ID   string
	Name string
	Data []byte
}

// Upload is a file the hub uploaded, with how many times it was PUT (repeats included).
type Upload struct {
	Name   string
	Data   []byte
	SHA256 string
	Puts   int
}

// Stats counts requests by kind.
type Stats struct {
	Logins, Lists, Downloads, Deletes, Puts, Failed int
}

type account struct {
	password    string
	outbox      []*File            // for the hub, in order
	delivered   map[string]*File   // by name: files the hub deleted, for Reissue
	uploads     map[string]*Upload // by name
	order       []string           // upload names in order
	answerNo    map[string]int     // by YYYYMMDD
	corrections map[string][]byte  // by name: sent when the hub rejects that name
}

// Server is the simulator. It is safe for concurrent use.
type Server struct {
	clk clock.Clock

	mu       sync.Mutex
	accounts map[string]*account
	tokens   map[string]string // token → login
	seq      int
	faults   Faults
	stats    Stats

	srv *http.Server
	url string
}

// New returns a simulator with no accounts; clk dates its answers.
func New(clk clock.Clock) *Server {
	return &Server{clk: clk, accounts: map[string]*account{}, tokens: map[string]string{}}
}

// Start serves on a free port of 127.0.0.1.
func (s *Server) Start() error { return s.Listen("127.0.0.1:0") }

// Listen serves on addr.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// URL is the server's base URL (after Start or Listen).
func (s *Server) URL() string { return s.url }

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// AddAccount adds a login (a tenant's, as Novotelecom issues them).
func (s *Server) AddAccount(login, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[login] = &account{password: password, delivered: map[string]*File{}, uploads: map[string]*Upload{},
		answerNo: map[string]int{}, corrections: map[string][]byte{}}
}

func (s *Server) account(login string) *account {
	a := s.accounts[login]
	if a == nil {
		panic("sim/novotelecom: no account " + login)
	}
	return a
}

// Offer puts a file on the server for the hub and returns its id.
func (s *Server) Offer(login, name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offer(s.account(login), name, data)
}

func (s *Server) offer(a *account, name string, data []byte) string {
	s.seq++
	f := &File{ID: fmt.Sprintf("f%06d", s.seq), Name: name, Data: slices.Clone(data)}
	a.outbox = append(a.outbox, f)
	return f.ID
}

// Reissue offers again, under a new id, a file the hub has already downloaded and deleted —
// the server glitch that must not import a file twice.
func (s *Server) Reissue(login, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(login)
	f, ok := a.delivered[name]
	if !ok {
		return "", false
	}
	return s.offer(a, f.Name, f.Data), true
}

// Pending returns the files waiting for the hub.
func (s *Server) Pending(login string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.account(login).outbox {
		out = append(out, File{ID: f.ID, Name: f.Name, Data: slices.Clone(f.Data)})
	}
	return out
}

// Uploads returns what the hub uploaded, in order.
func (s *Server) Uploads(login string) []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(login)
	out := make([]Upload, 0, len(a.order))
	for _, n := range a.order {
		u := *a.uploads[n]
		u.Data = slices.Clone(u.Data)
		out = append(out, u)
	}
	return out
}

// SetFaults replaces the fault switches.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// ExpireTokens forgets every session token, as a server restart would.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]string{}
	s.mu.Unlock()
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Handler is the HTTP handler, for embedding the simulator into another server.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/login", s.login)
	mux.HandleFunc("GET /api/v1/files", s.authed(s.list))
	mux.HandleFunc("GET /api/v1/files/{id}", s.authed(s.download))
	mux.HandleFunc("DELETE /api/v1/files/{id}", s.authed(s.delete))
	mux.HandleFunc("PUT /api/v1/upload/{name}", s.authed(s.upload))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		delay := s.faults.Delay
		fail := s.faults.Unavailable > 0
		if fail {
			s.faults.Unavailable--
			s.stats.Failed++
		}
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if fail {
			writeErr(w, http.StatusServiceUnavailable, "service temporarily unavailable")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct{ Login, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad login request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Logins++
	a := s.accounts[req.Login]
	if a == nil || a.password != req.Password {
		writeErr(w, http.StatusUnauthorized, "wrong login or password")
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.tokens[tok] = req.Login
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// authed resolves the bearer token; the handler runs with the lock held.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, a *account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		login := s.tokens[tok]
		if !ok || login == "" {
			s.mu.Unlock()
			writeErr(w, http.StatusUnauthorized, "no session")
			return
		}
		a := s.accounts[login]
		h(w, r, a) // unlocks
	}
}

type listedFile struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func (s *Server) list(w http.ResponseWriter, _ *http.Request, a *account) {
	s.stats.Lists++
	files := []listedFile{}
	for _, f := range a.outbox {
		sum := sha256.Sum256(f.Data)
		lf := listedFile{ID: f.ID, Name: f.Name, Size: len(f.Data), SHA256: hex.EncodeToString(sum[:])}
		files = append(files, lf)
		if s.faults.DuplicateListing {
			files = append(files, lf)
		}
	}
	malformed := s.faults.MalformedLists > 0
	if malformed {
		s.faults.MalformedLists--
	}
	s.mu.Unlock()
	if malformed {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"files":[{"id":`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files})
}

func (s *Server) find(a *account, id string) (int, *File) {
	for i, f := range a.outbox {
		if f.ID == id {
			return i, f
		}
	}
	return -1, nil
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, a *account) {
	s.stats.Downloads++
	_, f := s.find(a, r.PathValue("id"))
	drop := f != nil && s.faults.DropDownloads > 0
	if drop {
		s.faults.DropDownloads--
	}
	s.mu.Unlock()
	if f == nil {
		writeErr(w, http.StatusNotFound, "no such file")
		return
	}
	sum := sha256.Sum256(f.Data)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(f.Data)))
	w.Header().Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
	w.WriteHeader(http.StatusOK)
	if drop {
		_, _ = w.Write(f.Data[:len(f.Data)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	_, _ = w.Write(f.Data)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, a *account) {
	defer s.mu.Unlock()
	s.stats.Deletes++
	i, f := s.find(a, r.PathValue("id"))
	if f == nil {
		writeErr(w, http.StatusNotFound, "no such file")
		return
	}
	a.outbox = slices.Delete(a.outbox, i, i+1)
	a.delivered[f.Name] = f
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, a *account) {
	s.stats.Puts++
	s.mu.Unlock()
	name := r.PathValue("name")
	if !registry.ValidFileName(name) {
		writeErr(w, http.StatusBadRequest, "bad file name")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxUpload+1))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "broken body")
		return
	}
	if len(data) > MaxUpload {
		writeErr(w, http.StatusRequestEntityTooLarge, "file too large")
		return
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if want := r.Header.Get("X-Content-SHA256"); want != "" && !strings.EqualFold(want, digest) {
		writeErr(w, http.StatusBadRequest, "content does not match X-Content-SHA256")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := a.uploads[name]; ok {
		u.Puts++
		if u.SHA256 != digest {
			writeErr(w, http.StatusConflict, "a different file with this name was received before")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "u-" + name, "duplicate": true})
		return
	}
	a.uploads[name] = &Upload{Name: name, Data: data, SHA256: digest, Puts: 1}
	a.order = append(a.order, name)
	s.react(a, name, data)
	writeJSON(w, http.StatusCreated, map[string]any{"id": "u-" + name, "duplicate": false})
}

// react plays Novotelecom's side: an answer to each registry, a corrected file for a
// rejected demo file.
func (s *Server) react(a *account, name string, data []byte) {
	h, err := registry.Validate(bytes.NewReader(data), name, registry.Options{})
	switch h.Kind {
	case registry.Confirm:
		return
	case registry.Reject:
		if fix, ok := a.corrections[h.Ref]; ok && err == nil {
			delete(a.corrections, h.Ref)
			s.offer(a, h.Ref, fix)
		}
		return
	}
	var errs []registry.Record
	var re *registry.Error
	if errors.As(err, &re) {
		errs = append(errs, registry.Record{RefLine: re.Line, Message: re.Msg})
	} else if err != nil {
		errs = append(errs, registry.Record{RefLine: 0, Message: "файл не прочитан"})
	}
	now := s.clk.Now()
	day := registry.Date(now.Year(), now.Month(), now.Day())
	key := day.Format("20060102")
	a.answerNo[key]++
	var buf bytes.Buffer
	hdr := registry.Header{Kind: registry.Answer, Number: a.answerNo[key], Date: day, Charset: registry.UTF8, Ref: name}
	if _, err := registry.Build(&buf, hdr, slices.Values(errs)); err != nil {
		panic("sim/novotelecom: answer not built: " + err.Error())
	}
	s.offer(a, hdr.FileName(), buf.Bytes())
}
