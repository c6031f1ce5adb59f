// Package store is the state port of the hub: a single-table key-value store with conditional
// single-item writes, sorted partitions, two sparse secondary indexes and per-item expiry.
//
// The semantics are those DynamoDB and its compatible services share (no transactions, expiry
// filtered on read), so that the embedded adapter (bbolt) and the DynamoDB adapter are
// interchangeable; both pass the conformance suite in package storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Errors returned by every adapter; compare with errors.Is.
var (
	ErrNotFound        = errors.New("store: item not found")
	ErrConditionFailed = errors.New("store: condition failed")
	ErrInvalid         = errors.New("store: invalid argument")
)

// Limits shared by the adapters (DynamoDB's own, with room for the adapter's attributes).
const (
	MaxKeyLen = 1024 // bytes of PK, SK and each index key
	// MaxDataLen keeps a whole item within DynamoDB's 400 KB even with every other field at
	// its limit (32 attributes of 1 KB name + 1 KB value, six 1 KB keys); larger payloads
	// belong in Blobs.
	MaxDataLen    = 300 << 10
	MaxAttrs      = 32   // attributes per item
	MaxAttrLen    = 1024 // bytes of an attribute name or value
	DefaultLimit  = 100  // page size when Query.Limit is 0
	MaxQueryLimit = 1000 // largest page
)

// Index names a secondary index. Items take part in an index only when its PK is set
// (a sparse index), so a query over an index reads only the items that were put in it.
type Index string

// Indexes.
const (
	Table Index = ""     // the table itself
	GSI1  Index = "GSI1" // GSI1PK / GSI1SK
	GSI2  Index = "GSI2" // GSI2PK / GSI2SK
)

// Item is one record. PK and SK address it; the rest is written as a whole by Put.
type Item struct {
	PK string
	SK string

	// Secondary index keys; empty PK means "not in that index". SK may be empty only when PK is.
	GSI1PK, GSI1SK string
	GSI2PK, GSI2SK string

	// Attrs are small string attributes that conditions can test (e.g. a state machine's state).
	Attrs map[string]string
	// Data is the opaque payload, usually JSON.
	Data []byte

	// ExpiresAt is when the item stops existing for every read and condition; zero is never.
	// Stored with second precision (DynamoDB TTL is Unix seconds): an item whose ExpiresAt is
	// at or before the store clock's now is expired.
	ExpiresAt time.Time

	// Version is kept by the store: a write sets it to the previous stored version plus one
	// (1 for an item that never existed). The value given to Put is ignored.
	Version int64
}

// Expired reports whether the item is expired at now.
func (it Item) Expired(now time.Time) bool {
	return !it.ExpiresAt.IsZero() && it.ExpiresAt.Unix() <= now.Unix()
}

// Cond is a condition on the current item that a write requires. Conditions given together
// must all hold. An expired item counts as absent.
type Cond struct {
	kind    condKind
	name    string
	value   string
	version int64
}

type condKind int

const (
	condExists condKind = iota + 1
	condNotExists
	condAttrEquals
	condVersion
)

// Exists requires the item to exist.
func Exists() Cond { return Cond{kind: condExists} }

// NotExists requires the item to be absent (or expired).
func NotExists() Cond { return Cond{kind: condNotExists} }

// AttrEquals requires the item to exist with Attrs[name] == value.
func AttrEquals(name, value string) Cond { return Cond{kind: condAttrEquals, name: name, value: value} }

// VersionIs requires the item to exist with the given version (optimistic concurrency).
func VersionIs(v int64) Cond { return Cond{kind: condVersion, version: v} }

// Kind-specific accessors for adapters.

// IsExists reports whether c is Exists().
func (c Cond) IsExists() bool { return c.kind == condExists }

// IsNotExists reports whether c is NotExists().
func (c Cond) IsNotExists() bool { return c.kind == condNotExists }

// AttrEq returns the attribute name and value of an AttrEquals condition.
func (c Cond) AttrEq() (name, value string, ok bool) {
	return c.name, c.value, c.kind == condAttrEquals
}

// VersionEq returns the version of a VersionIs condition.
func (c Cond) VersionEq() (int64, bool) { return c.version, c.kind == condVersion }

// Check evaluates the conditions against the current item (nil when absent or expired).
// Adapters that evaluate conditions themselves (the embedded one) use it.
func Check(cur *Item, conds []Cond) bool {
	for _, c := range conds {
		switch c.kind {
		case condExists:
			if cur == nil {
				return false
			}
		case condNotExists:
			if cur != nil {
				return false
			}
		case condAttrEquals:
			if cur == nil {
				return false
			}
			v, ok := cur.Attrs[c.name]
			if !ok || v != c.value {
				return false
			}
		case condVersion:
			if cur == nil || cur.Version != c.version {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Update changes parts of an existing item. Fields left nil are kept.
type Update struct {
	SetAttrs    map[string]string // set these attributes
	RemoveAttrs []string          // then remove these
	Data        *[]byte           // replace the payload
	ExpiresAt   *time.Time        // replace the expiry (zero time: never)
	GSI1        *IndexKey         // replace GSI1 keys (zero IndexKey: leave the index)
	GSI2        *IndexKey         // replace GSI2 keys
}

// IndexKey is a pair of secondary index keys.
type IndexKey struct{ PK, SK string }

// Query reads one partition of the table or of an index, in sort-key order.
type Query struct {
	Index Index
	PK    string
	// At most one of Prefix or From/To. From and To are inclusive bounds; empty means open.
	Prefix string
	From   string
	To     string
	Desc   bool
	Limit  int    // 0: DefaultLimit; capped at MaxQueryLimit
	Cursor string // from Page.Next; opaque
}

// Page is one page of a query. Next is empty on the last page. A page may hold fewer than
// Limit items (expired items are dropped after the limit is applied) while Next is not empty.
type Page struct {
	Items []Item
	Next  string
}

// Store is the port. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the item, or ErrNotFound when it is absent or expired.
	Get(ctx context.Context, pk, sk string) (Item, error)
	// Put writes the whole item if the conditions hold (else ErrConditionFailed) and returns it
	// as stored, with its new Version.
	Put(ctx context.Context, it Item, conds ...Cond) (Item, error)
	// Update changes an existing item (ErrNotFound when absent or expired) if the conditions
	// hold, and returns it as stored.
	Update(ctx context.Context, pk, sk string, u Update, conds ...Cond) (Item, error)
	// Delete removes the item if the conditions hold. Deleting an absent item without
	// conditions is not an error.
	Delete(ctx context.Context, pk, sk string, conds ...Cond) error
	// Query returns one page of a partition.
	Query(ctx context.Context, q Query) (Page, error)
	// Close releases the adapter's resources.
	Close() error
}

// ValidateItem checks the limits shared by the adapters.
func ValidateItem(it Item) error {
	if err := validKey("PK", it.PK, true); err != nil {
		return err
	}
	if err := validKey("SK", it.SK, true); err != nil {
		return err
	}
	if err := validIndexKey("GSI1", IndexKey{it.GSI1PK, it.GSI1SK}); err != nil {
		return err
	}
	if err := validIndexKey("GSI2", IndexKey{it.GSI2PK, it.GSI2SK}); err != nil {
		return err
	}
	if len(it.Data) > MaxDataLen {
		return fmt.Errorf("%w: data is %d bytes, limit %d", ErrInvalid, len(it.Data), MaxDataLen)
	}
	return validAttrs(it.Attrs)
}

// ValidateUpdate checks an Update.
func ValidateUpdate(u Update) error {
	if u.Data != nil && len(*u.Data) > MaxDataLen {
		return fmt.Errorf("%w: data is %d bytes, limit %d", ErrInvalid, len(*u.Data), MaxDataLen)
	}
	if u.GSI1 != nil {
		if err := validIndexKey("GSI1", *u.GSI1); err != nil {
			return err
		}
	}
	if u.GSI2 != nil {
		if err := validIndexKey("GSI2", *u.GSI2); err != nil {
			return err
		}
	}
	for _, n := range u.RemoveAttrs {
		if err := validKey("attribute name", n, true); err != nil {
			return err
		}
	}
	return validAttrs(u.SetAttrs)
}

// ValidateQuery checks a Query and returns its effective limit.
func ValidateQuery(q Query) (int, error) {
	switch q.Index {
	case Table, GSI1, GSI2:
	default:
		return 0, fmt.Errorf("%w: unknown index %q", ErrInvalid, q.Index)
	}
	if err := validKey("PK", q.PK, true); err != nil {
		return 0, err
	}
	if q.Prefix != "" && (q.From != "" || q.To != "") {
		return 0, fmt.Errorf("%w: prefix and range together", ErrInvalid)
	}
	for _, s := range []string{q.Prefix, q.From, q.To} {
		if err := validKey("sort key bound", s, false); err != nil {
			return 0, err
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return 0, fmt.Errorf("%w: From after To", ErrInvalid)
	}
	if q.Limit < 0 {
		return 0, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit > MaxQueryLimit {
		limit = MaxQueryLimit
	}
	return limit, nil
}

func validIndexKey(name string, k IndexKey) error {
	if k.PK == "" {
		if k.SK != "" {
			return fmt.Errorf("%w: %s sort key without partition key", ErrInvalid, name)
		}
		return nil
	}
	if err := validKey(name+"PK", k.PK, true); err != nil {
		return err
	}
	return validKey(name+"SK", k.SK, true)
}

func validAttrs(attrs map[string]string) error {
	if len(attrs) > MaxAttrs {
		return fmt.Errorf("%w: %d attributes, limit %d", ErrInvalid, len(attrs), MaxAttrs)
	}
	for k, v := range attrs {
		if err := validKey("attribute name", k, true); err != nil {
			return err
		}
		if len(v) > MaxAttrLen || !utf8.ValidString(v) {
			return fmt.Errorf("%w: attribute %q value too long or not UTF-8", ErrInvalid, k)
		}
	}
	return nil
}

// validKey: keys are non-empty UTF-8 without NUL (the embedded adapter uses NUL as a separator).
func validKey(what, s string, required bool) error {
	if s == "" {
		if required {
			return fmt.Errorf("%w: empty %s", ErrInvalid, what)
		}
		return nil
	}
	if len(s) > MaxKeyLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxKeyLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, what)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return fmt.Errorf("%w: %s contains NUL", ErrInvalid, what)
		}
	}
	return nil
}

// Apply applies an Update to a copy of cur; adapters that update in memory use it.
func Apply(cur Item, u Update) Item {
	next := cur
	next.Attrs = make(map[string]string, len(cur.Attrs)+len(u.SetAttrs))
	for k, v := range cur.Attrs {
		next.Attrs[k] = v
	}
	for k, v := range u.SetAttrs {
		next.Attrs[k] = v
	}
	for _, k := range u.RemoveAttrs {
		delete(next.Attrs, k)
	}
	if u.Data != nil {
		next.Data = append([]byte(nil), (*u.Data)...)
	}
	if u.ExpiresAt != nil {
		next.ExpiresAt = *u.ExpiresAt
	}
	if u.GSI1 != nil {
		next.GSI1PK, next.GSI1SK = u.GSI1.PK, u.GSI1.SK
	}
	if u.GSI2 != nil {
		next.GSI2PK, next.GSI2SK = u.GSI2.PK, u.GSI2.SK
	}
	return next
}

// Mutate reads an item, lets fn change it and writes it back if nobody wrote in between,
// retrying on a lost race. fn gets nil when the item is absent and returns the item to write,
// or an error to stop. It is the read-modify-write shape domain state machines use.
func Mutate(ctx context.Context, s Store, pk, sk string, fn func(cur *Item) (Item, error)) (Item, error) {
	const attempts = 20
	for i := 0; i < attempts; i++ {
		var cur *Item
		got, err := s.Get(ctx, pk, sk)
		switch {
		case err == nil:
			cur = &got
		case errors.Is(err, ErrNotFound):
		default:
			return Item{}, err
		}
		next, err := fn(cur)
		if err != nil {
			return Item{}, err
		}
		next.PK, next.SK = pk, sk
		cond := NotExists()
		if cur != nil {
			cond = VersionIs(cur.Version)
		}
		stored, err := s.Put(ctx, next, cond)
		if errors.Is(err, ErrConditionFailed) {
			if err := ctx.Err(); err != nil {
				return Item{}, err
			}
			continue
		}
		return stored, err
	}
	return Item{}, fmt.Errorf("%w: too much contention on %s/%s", ErrConditionFailed, pk, sk)
}
