// Package bridgetest builds the hub's bridge domain over real components for tests: a bbolt
// store and a local sealer in a temporary folder, the legal-entities service with a hotel's
// legal entity (EMIS enabled), and an enrolled device; it signs uploads as a bridge does.
package bridgetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Hotel is a tenant with a legal entity and an enrolled device.
type Hotel struct {
	Tenant string
	Legal  string
	Device string
	Secret string
}

// Hub is the bridge domain over real components.
type Hub struct {
	T       testing.TB
	Ctx     context.Context
	Clock   clock.Clock
	DBPath  string
	Store   store.Store
	Legal   *legal.Service
	Tenants *tenants.Registry
	Service *bridge.Service
	Logs    *LogBuffer
}

// Options of New.
type Options struct {
	// Clock is the hub's clock; nil means the real one.
	Clock clock.Clock
	// Dir holds the store and the key; "" means t.TempDir().
	Dir string
	// Portraits is bridge.Options.Portraits.
	Portraits bool
}

// LogBuffer collects a hub's logs.
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

// New opens the hub.
func New(t testing.TB, o Options) *Hub {
	t.Helper()
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	h := &Hub{T: t, Ctx: context.Background(), Clock: o.Clock, DBPath: filepath.Join(o.Dir, "stykovka.db"), Logs: &LogBuffer{}}
	st, err := boltstore.Open(h.DBPath, o.Clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	se, err := localsealer.Open(filepath.Join(o.Dir, "keys", "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	h.Store = st
	h.Legal = legal.New(st, se, o.Clock)
	h.Tenants = tenants.New(st, o.Clock)
	log := slog.New(slog.NewJSONHandler(h.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.Service, err = bridge.New(bridge.Options{Store: st, Sealer: se, Clock: o.Clock, Log: log, Legal: emis.FromLegal(h.Legal),
		Location: h.Tenants.Location, Portraits: o.Portraits})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// AddHotel creates a tenant (if new), a legal entity with EMIS enabled (names in script) and an
// enrolled device.
func (h *Hub) AddHotel(tenant, script string) Hotel {
	h.T.Helper()
	if _, err := h.Tenants.Tenant(h.Ctx, tenant); err != nil {
		if _, err := h.Tenants.AddTenant(h.Ctx, tenant, "Гостиница "+tenant, "Europe/Moscow"); err != nil {
			h.T.Fatal(err)
		}
	}
	s := func(v string) *string { return &v }
	on := true
	ent, err := h.Legal.Create(h.Ctx, tenant, "", legal.Changes{Description: s("ООО «" + tenant + "»"), EmisEnabled: &on,
		NamesScript: s(script), EmisWebLogin: s("web-" + tenant), EmisWebPassword: s("web-pw-" + tenant),
		EmisIntegrationLogin: s("int-" + tenant), EmisIntegrationPassword: s("pw-" + tenant)})
	if err != nil {
		h.T.Fatal(err)
	}
	en, err := h.Service.EnrollDevice(h.Ctx, tenant, "Стойка 1")
	if err != nil {
		h.T.Fatal(err)
	}
	return Hotel{Tenant: tenant, Legal: ent.Ref, Device: en.Device.ID, Secret: en.Secret}
}

// Sample returns internal/regula/testdata/<name>.
func Sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), "internal", "regula", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RepoRoot walks up from the working directory to go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// Body returns an upload body.
func Body(t testing.TB, u wire.Upload) []byte {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Sign returns the signature header of body for the hotel's device at now.
func (ho Hotel) Sign(now time.Time, body []byte) string {
	return hooksig.Sign([]byte(ho.Secret), now, body)
}

// Post sends an upload to a hub URL as the bridge does and returns the status and body.
func (ho Hotel) Post(t testing.TB, hubURL string, now time.Time, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, hubURL+wire.Path+"?tenant="+ho.Tenant, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.DeviceHeader, ho.Device)
	req.Header.Set(hooksig.Header, ho.Sign(now, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// AcceptedSamples are the sample results the hub attaches (the others it refuses).
var AcceptedSamples = []string{"passport_chip.json", "passport_rfid_disagrees.json", "visa.json", "id_card.json",
	"passport_chip_failed.json", "passport_rus_internal.json"}

// Read returns a raw sample result (images and all, as the reader writes it) with another
// TransactionID and the guest in its passBackObject (no guest: the sample's is removed).
func Read(t testing.TB, sample, txID, person string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Sample(t, sample), &m); err != nil {
		t.Fatal(err)
	}
	m["TransactionInfo"].(map[string]any)["TransactionID"] = txID
	if person == "" {
		delete(m, "passBackObject")
	} else {
		m["passBackObject"] = map[string]any{"personId": person}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Recorder wraps the hub's upload handler and records every answer, in order.
type Recorder struct {
	next http.Handler
	mu   sync.Mutex
	all  []Recorded
}

// Recorded is one answer.
type Recorded struct {
	Status  int
	Outcome wire.Outcome
}

// NewRecorder wraps h.
func NewRecorder(h http.Handler) *Recorder { return &Recorder{next: h} }

func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &captured{ResponseWriter: w, status: http.StatusOK}
	r.next.ServeHTTP(rec, req)
	var o wire.Outcome
	_ = json.Unmarshal(rec.body.Bytes(), &o)
	r.mu.Lock()
	r.all = append(r.all, Recorded{Status: rec.status, Outcome: o})
	r.mu.Unlock()
}

// All returns the answers so far.
func (r *Recorder) All() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.all...)
}

// Attached returns the transactions the hub attached, in order.
func (r *Recorder) Attached() []string {
	var out []string
	for _, a := range r.All() {
		if a.Status == http.StatusOK && a.Outcome.Status == wire.StatusAttached {
			out = append(out, a.Outcome.TransactionID)
		}
	}
	return out
}

type captured struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captured) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *captured) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}
