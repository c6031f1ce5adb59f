// Package sep is the hub's integration with АС «СЭП», the electronic vehicle passport system
// (INTEGRATIONS.md §4, seed sep-1c-akam.txt), for a leasing company's 1C: fixed assets and
// responsible persons, SEP letters with confirmation codes, ownership-change and lease
// applications, a queue of asynchronous requests polled no sooner than 60 s after their
// queue number, and the seven SEP registers.
//
// The package knows nothing of SOAP, OData, HTTP or Lambda: request structs carry validator
// tags, results carry what a SOAP answer or an OData record shows, lists page with opaque
// cursors. SEP itself is behind the Gateway port (internal/sep/sepsoap speaks the protocol).
//
// # The queue
//
// Every request to SEP is a queue entry in the tenant's store view, keyed by its id, which is
// also the client request id SEP deduplicates on (a resend gets the same queue number):
//
//	send ──SendRequest ok──▶ poll ──GetResult Completed/Rejected──▶ done
//	  │ fault (client)          │ error × MaxAttempts / InProcess × MaxPolls
//	  ▼                         ▼
//	failed ◀────────────────────┘
//
// The request is encoded and signed once, when the entry is created, and kept sealed in it,
// so every resend is byte-identical. A call from 1C sends at once; failures back off
// (1, 2, 4 … min, capped) and the poller retries them.
//
// # The due index
//
// The poller must find due entries of every tenant without a scan, and an idle tick must cost
// one index query that reads nothing. Each waiting entry therefore has a companion "due
// pointer" outside the tenant views (a system record, like tenants and users):
//
//	PK SYS#SEPDUE#<tenant>  SK <entry id>
//	GSI1PK SYS#SEPDUE       GSI1SK <due time, fixed-width UTC>#<tenant>#<entry id>
//
// GSI1 is sparse and ordered by due time, so a tick is one Query on GSI1 "SYS#SEPDUE" with
// To = now: with any number of entries not yet due it returns no item. Pointers exist only
// while an entry waits (deleted when it is done or failed), so the partition holds exactly
// the live work of all tenants. The pointer's table partition also lists one tenant's waiting
// entries with a strongly consistent query (counts for the 1C widget, PollTenant).
//
// The entry is the truth and the pointer only a hint: a pointer whose entry moved on is
// corrected or deleted when it comes due, and a pointer is written before its entry so a
// crash leaves at worst a pointer without an entry (deleted when it comes due), never an
// entry nobody polls. One GSI partition takes about 1,000 writes per second in DynamoDB;
// sharding it (SYS#SEPDUE#<n>, one query per shard per tick) is the way up if ever needed.
//
// # Exactly once
//
// A processor claims a pointer with a conditional write on its version (moving its due time
// ClaimTTL ahead), so of two overlapping pollers — or two deliveries of one EventBridge
// tick — one works on an entry and the other skips it. The result's effects (application
// data, asset statuses, lease records, letters) are idempotent writes keyed by what SEP
// returned, and the entry's own transition is a write conditional on its version: applied
// once, even if a claim expired mid-way and a second processor got the same answer.
package sep

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
)

// Store layout inside a tenant's view.
const (
	pkSettings = "SEP#SET"           // SK "settings"
	pkKey      = "SEP#KEY"           // SK INN: the organisation's sealed signing key
	pkAsset    = "SEP#ASSET"         // SK asset id
	gsiVIN     = "SEP#ASSET#VIN"     // GSI1: VIN#id
	gsiEPTS    = "SEP#ASSET#EPTS"    // GSI2: EPTS#id
	pkPerson   = "SEP#PERSON"        // SK person id
	pkContract = "SEP#CONTRACT"      // SK contract id
	gsiOrgCtr  = "SEP#CONTRACT#ORG#" // + INN; GSI1: date#id
	pkEntry    = "SEP#Q"             // SK entry id
	gsiEntries = "SEP#Q#ALL"         // GSI2: created#id
	pkHistory  = "SEP#HIST"          // SK time#entry#n
	pkError    = "SEP#ERR"           // SK time#source#n
	pkCode     = "SEP#CODE"          // SK time#letter
	gsiCodeApp = "SEP#CODE#APP"      // GSI1: number#time
	gsiCodeEPT = "SEP#CODE#EPTS"     // GSI2: EPTS#time
	pkApp      = "SEP#APP"           // SK application number
	gsiAppOpen = "SEP#APP#OPEN"      // GSI1 while not final: type#number
	pkStatus   = "SEP#ST#"           // + asset id; SK period#number
	gsiStatus  = "SEP#ST"            // GSI1 of every status record: period#asset#number
	pkStatCur  = "SEP#STCUR"         // SK asset id: the latest status record
	pkLease    = "SEP#LEASE"         // SK lease id
	gsiLeaseOp = "SEP#LEASE#OPEN"    // GSI1 while awaiting: created#id
	gsiLeaseCt = "SEP#LEASE#CTR"     // GSI2: contract#id
	pkLetter   = "SEP#MAIL"          // SK letter id
	gsiLetters = "SEP#MAIL#ALL"      // GSI2: received#id
	gsiLetNew  = "SEP#MAIL#NEW"      // GSI1 while to process: received#id
	pkNote     = "SEP#NOTE"          // SK time#id
	gsiNoteTo  = "SEP#NOTE#TO#"      // + person id; GSI1: time#id
)

// Unscoped system records: the due pointers.
const (
	pkDuePrefix = "SYS#SEPDUE#" // + tenant; SK entry id
	gsiDue      = "SYS#SEPDUE"
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	// MinDelay is SEP's rule: no GetResult sooner than this after the queue number. 60 s.
	MinDelay time.Duration
	// PollEvery is the pause between GetResult calls while SEP is still processing. 60 s.
	PollEvery time.Duration
	// MaxAttempts bounds consecutive failed calls of an entry before it is given up. 8.
	MaxAttempts int
	// MaxPolls bounds the GetResult calls answered "in process". 720 (12 hours).
	MaxPolls int
	// BackoffCap caps the pause after failures (which doubles from MinDelay). 30 min.
	BackoffCap time.Duration
	// ClaimTTL is how long a processor owns an entry it claimed. 2 min; a Lambda tick
	// finishes well within it.
	ClaimTTL time.Duration
	// TickLimit bounds the entries one tick works on; the rest wait for the next. 500.
	TickLimit int
	// TickWorkers is how many entries a tick works on at once. 4.
	TickWorkers int
	// TickReserve is the time kept before a context deadline to record state. 5 s.
	TickReserve time.Duration
	// MaxMailSize bounds a letter that is parsed (larger ones are kept, reported). 10 MiB.
	MaxMailSize int
	// LeaseDeadlineDays is the default confirmation deadline of a lease application. 10.
	LeaseDeadlineDays int
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MinDelay, 60*time.Second)
	def(&o.PollEvery, 60*time.Second)
	def(&o.BackoffCap, 30*time.Minute)
	def(&o.ClaimTTL, 2*time.Minute)
	def(&o.TickReserve, 5*time.Second)
	defInt(&o.MaxAttempts, 8)
	defInt(&o.MaxPolls, 720)
	defInt(&o.TickLimit, 500)
	defInt(&o.TickWorkers, 4)
	defInt(&o.MaxMailSize, 10<<20)
	defInt(&o.LeaseDeadlineDays, 10)
	if o.PollEvery < o.MinDelay {
		o.PollEvery = o.MinDelay
	}
}

// Deps are the ports a Service works through.
type Deps struct {
	// Store is the unscoped store: tenant data goes through store.ForTenant views, the due
	// pointers are system records.
	Store    store.Store
	Blobs    blobs.Blobs
	Sealer   sealer.Sealer
	Clock    clock.Clock
	Gateway  Gateway
	Signer   Signer
	Notifier Notifier
	Log      *slog.Logger
}

// Service is the SEP domain. It is safe for concurrent use; several Services (processes,
// Lambdas) may work on the same store at once.
type Service struct {
	st   store.Store
	bl   blobs.Blobs
	se   sealer.Sealer
	clk  clock.Clock
	gw   Gateway
	sig  Signer
	note Notifier
	log  *slog.Logger
	opts Options
}

// New returns a Service.
func New(d Deps, opts Options) (*Service, error) {
	if d.Store == nil || d.Blobs == nil || d.Sealer == nil || d.Clock == nil || d.Gateway == nil ||
		d.Signer == nil || d.Notifier == nil {
		return nil, errors.New("sep: every dependency is required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	opts.defaults()
	return &Service{st: d.Store, bl: d.Blobs, se: d.Sealer, clk: d.Clock, gw: d.Gateway, sig: d.Signer,
		note: d.Notifier, log: d.Log, opts: opts}, nil
}

// Options returns the effective options.
func (s *Service) Options() Options { return s.opts }

func (s *Service) view(tenant string) (store.Store, error) {
	tv, err := store.ForTenant(s.st, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "TENANT_ID_INVALID", "Неверный идентификатор абонента")
	}
	return tv, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC() }

// maxSuffix sorts after every key character: an inclusive upper bound for "key#anything".
const maxSuffix = "\U0010FFFF"

// tkey renders a time as a fixed-width UTC sort key.
func tkey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func parseTKey(k string) (time.Time, error) {
	return time.Parse("2006-01-02T15:04:05.000000Z", k)
}

// newID returns a time-ordered unique id (also usable as SEP's client request id).
func newID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000000") + "-" + hex.EncodeToString(b[:])
}

// derivedID turns a client's request id into ours, so that a repeated call (a double click,
// a retried SOAP call) finds the first one.
func derivedID(tenant, kind, requestID string) string {
	sum := sha256.Sum256([]byte("stykovka/sep/" + kind + "\x00" + tenant + "\x00" + requestID))
	return "r-" + hex.EncodeToString(sum[:12])
}

// PageRequest asks for one page of a list.
type PageRequest struct {
	Cursor string `json:"cursor" validate:"max=8192"`
	Limit  int    `json:"limit" validate:"min=0,max=1000"`
	// Desc lists newest first where a list is ordered by time.
	Desc bool `json:"desc"`
}

// Page is one page; Next is empty on the last one. A page may be short while Next is set.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func putJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sep: marshal %T: %v", v, err)) // our own types always marshal
	}
	return b
}

func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apperr.Wrap(err, apperr.Unavailable, "SEP_TIMEOUT", "Время ожидания истекло, повторите запрос")
	}
	return apperr.Wrap(err, apperr.Internal, "SEP_STORE", "Ошибка хранилища интеграции СЭП")
}

// listPage reads one page of a partition and decodes each item with dec.
func listPage[T any](ctx context.Context, st store.Store, q store.Query, pr PageRequest, dec func(store.Item) (T, error)) (Page[T], error) {
	if err := check(pr); err != nil {
		return Page[T]{}, err
	}
	q.Cursor, q.Limit, q.Desc = pr.Cursor, pr.Limit, pr.Desc
	p, err := st.Query(ctx, q)
	if errors.Is(err, store.ErrInvalid) && pr.Cursor != "" {
		return Page[T]{}, apperr.Wrap(err, apperr.Invalid, "SEP_BAD_CURSOR", "Неверный курсор страницы")
	}
	if err != nil {
		return Page[T]{}, storeErr(err)
	}
	out := Page[T]{Items: make([]T, 0, len(p.Items)), Next: p.Next}
	for _, it := range p.Items {
		v, err := dec(it)
		if err != nil {
			return Page[T]{}, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// decodeJSON is a dec for items whose Data is the JSON of T.
func decodeJSON[T any](it store.Item) (T, error) {
	var v T
	if err := json.Unmarshal(it.Data, &v); err != nil {
		return v, apperr.Wrap(err, apperr.Internal, "SEP_STORE_CORRUPT", "Повреждена запись интеграции СЭП")
	}
	return v, nil
}

func getJSON[T any](ctx context.Context, st store.Store, pk, sk string, notFound error) (T, store.Item, error) {
	var zero T
	it, err := st.Get(ctx, pk, sk)
	if errors.Is(err, store.ErrNotFound) {
		return zero, store.Item{}, notFound
	}
	if err != nil {
		return zero, store.Item{}, storeErr(err)
	}
	v, err := decodeJSON[T](it)
	return v, it, err
}

func normUpper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToUpper(s), strings.ToUpper(sub))
}

// shortHash is a short stable id of its parts.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}
