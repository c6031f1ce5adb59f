// Package boltstore is the embedded adapter of the store port: one bbolt file holds the table
// and its two secondary indexes (see codec.go for the layout).
//
// Every write is one bbolt read-write transaction, and bbolt runs one at a time, so a
// condition is evaluated and the write applied atomically; the index entries of an item change
// in the same transaction as the item. bbolt syncs the file on every commit, so a write that
// returned is on disk. Expired items are hidden on read and removed by Sweep.
package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
)

// LockTimeout is how long Open waits for the file lock held by another Store or process.
const LockTimeout = time.Second

// ErrLocked is returned by Open when another Store (in this or another process) has the file.
var ErrLocked = errors.New("boltstore: database file is in use by another process")

var (
	bucketItems = []byte("items")
	bucketGSI1  = []byte("gsi1")
	bucketGSI2  = []byte("gsi2")
	bucketMeta  = []byte("meta")
	keyFormat   = []byte("format")
)

// Store implements store.Store on a bbolt file.
type Store struct {
	db  *bolt.DB
	clk clock.Clock
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the store file at path (and its parent directory); clk decides expiry.
// It fails with ErrLocked if the file stays locked for LockTimeout.
func Open(path string, clk clock.Clock) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	opts := *bolt.DefaultOptions
	opts.Timeout = LockTimeout
	db, err := bolt.Open(path, 0o600, &opts)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (lock not acquired within %s)", ErrLocked, path, LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketItems, bucketGSI1, bucketGSI2} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch f := meta.Get(keyFormat); {
		case f == nil:
			return meta.Put(keyFormat, []byte{formatVersion})
		case len(f) != 1 || f[0] != formatVersion:
			return fmt.Errorf("unsupported file format %v (this build reads %d)", f, formatVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: %s: %w", path, err)
	}
	return &Store{db: db, clk: clk}, nil
}

// Close closes the file and releases its lock.
func (s *Store) Close() error { return s.db.Close() }

// Get returns the item, or store.ErrNotFound when it is absent or expired.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	if err := validKeys(pk, sk); err != nil {
		return store.Item{}, err
	}
	var it store.Item
	err := s.db.View(func(tx *bolt.Tx) error {
		_, cur, err := s.load(tx, pk, sk)
		if err != nil {
			return err
		}
		if cur == nil {
			return store.ErrNotFound
		}
		it = *cur
		return nil
	})
	return it, err
}

// Put writes the whole item if the conditions hold.
func (s *Store) Put(ctx context.Context, it store.Item, conds ...store.Cond) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	if err := store.ValidateItem(it); err != nil {
		return store.Item{}, err
	}
	var stored store.Item
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, cur, err := s.load(tx, it.PK, it.SK)
		if err != nil {
			return err
		}
		if !store.Check(cur, conds) {
			return store.ErrConditionFailed
		}
		stored, err = write(tx, old, it)
		return err
	})
	return stored, err
}

// Update changes an existing item if the conditions hold.
func (s *Store) Update(ctx context.Context, pk, sk string, u store.Update, conds ...store.Cond) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	if err := validKeys(pk, sk); err != nil {
		return store.Item{}, err
	}
	if err := store.ValidateUpdate(u); err != nil {
		return store.Item{}, err
	}
	var stored store.Item
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, cur, err := s.load(tx, pk, sk)
		if err != nil {
			return err
		}
		if cur == nil {
			return store.ErrNotFound
		}
		if !store.Check(cur, conds) {
			return store.ErrConditionFailed
		}
		next := store.Apply(*cur, u)
		// The merged item may break a limit the update alone does not (e.g. attribute count).
		if err := store.ValidateItem(next); err != nil {
			return err
		}
		stored, err = write(tx, old, next)
		return err
	})
	return stored, err
}

// Delete removes the item if the conditions hold; an absent item without conditions is fine.
func (s *Store) Delete(ctx context.Context, pk, sk string, conds ...store.Cond) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validKeys(pk, sk); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		old, cur, err := s.load(tx, pk, sk)
		if err != nil {
			return err
		}
		if !store.Check(cur, conds) {
			return store.ErrConditionFailed
		}
		if old == nil {
			return nil
		}
		return remove(tx, *old)
	})
}

// load reads the stored item (old, possibly expired) and the item as the port sees it (cur,
// nil when absent or expired).
func (s *Store) load(tx *bolt.Tx, pk, sk string) (old, cur *store.Item, err error) {
	v := tx.Bucket(bucketItems).Get(tableKey(pk, sk))
	if v == nil {
		return nil, nil, nil
	}
	it, err := decodeItem(pk, sk, v)
	if err != nil {
		return nil, nil, err
	}
	if it.Expired(s.clk.Now()) {
		return &it, nil, nil
	}
	return &it, &it, nil
}

// write stores next in place of old (nil when absent) with the next version, moves its index
// entries, and returns next as stored.
func write(tx *bolt.Tx, old *store.Item, next store.Item) (store.Item, error) {
	next.Version = 1
	if old != nil {
		// Counting on from an expired item keeps a stale VersionIs from matching a new item.
		next.Version = old.Version + 1
	}
	val := encodeItem(next)
	if err := tx.Bucket(bucketItems).Put(tableKey(next.PK, next.SK), val); err != nil {
		return store.Item{}, err
	}
	var prev store.Item
	if old != nil {
		prev = *old
	}
	err := moveIndex(tx.Bucket(bucketGSI1), prev.GSI1PK, prev.GSI1SK, next.GSI1PK, next.GSI1SK, next.PK, next.SK)
	if err != nil {
		return store.Item{}, err
	}
	err = moveIndex(tx.Bucket(bucketGSI2), prev.GSI2PK, prev.GSI2SK, next.GSI2PK, next.GSI2SK, next.PK, next.SK)
	if err != nil {
		return store.Item{}, err
	}
	// Decoding what was written gives exactly what Get will return (second-precision expiry,
	// copies of Data and Attrs).
	return decodeItem(next.PK, next.SK, val)
}

func moveIndex(b *bolt.Bucket, oldPK, oldSK, newPK, newSK, pk, sk string) error {
	if oldPK == newPK && oldSK == newSK {
		return nil
	}
	if oldPK != "" {
		if err := b.Delete(indexKey(oldPK, oldSK, pk, sk)); err != nil {
			return err
		}
	}
	if newPK != "" {
		return b.Put(indexKey(newPK, newSK, pk, sk), []byte{})
	}
	return nil
}

// remove deletes a stored item and its index entries.
func remove(tx *bolt.Tx, it store.Item) error {
	if err := moveIndex(tx.Bucket(bucketGSI1), it.GSI1PK, it.GSI1SK, "", "", it.PK, it.SK); err != nil {
		return err
	}
	if err := moveIndex(tx.Bucket(bucketGSI2), it.GSI2PK, it.GSI2SK, "", "", it.PK, it.SK); err != nil {
		return err
	}
	return tx.Bucket(bucketItems).Delete(tableKey(it.PK, it.SK))
}

func validKeys(pk, sk string) error { return store.ValidateItem(store.Item{PK: pk, SK: sk}) }

// Query returns one page of a partition of the table or an index. The cursor is the base64 of
// the last returned bbolt key, so a query continues after it even if that item is gone. Pages
// are filled with live items: expired ones are skipped without counting against the limit.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	limit, err := store.ValidateQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	bucket := bucketItems
	switch q.Index {
	case store.GSI1:
		bucket = bucketGSI1
	case store.GSI2:
		bucket = bucketGSI2
	}
	base := append([]byte(q.PK), 0)
	var after []byte
	if q.Cursor != "" {
		after, err = base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !bytes.HasPrefix(after, base) || len(splitKey(after[len(base):])) != partsAfterBase(q.Index) {
			return store.Page{}, fmt.Errorf("%w: bad cursor", store.ErrInvalid)
		}
	}

	var page store.Page
	err = s.db.View(func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		now := s.clk.Now()
		c := tx.Bucket(bucket).Cursor()
		step := func() []byte {
			if q.Desc {
				k, _ := c.Prev()
				return k
			}
			k, _ := c.Next()
			return k
		}
		var last []byte
		for k := start(c, base, q, after); k != nil && bytes.HasPrefix(k, base); k = step() {
			if err := ctx.Err(); err != nil {
				return err
			}
			parts := splitKey(k[len(base):])
			if len(parts) != partsAfterBase(q.Index) {
				return fmt.Errorf("boltstore: malformed key in %s", bucket)
			}
			switch pos := position(parts[0], q); {
			case pos == 0:
			case (pos > 0) != q.Desc:
				return nil // past the end of the range in this direction
			default:
				continue
			}
			pk, sk := q.PK, parts[0]
			if q.Index != store.Table {
				pk, sk = parts[1], parts[2]
			}
			v := items.Get(tableKey(pk, sk))
			if v == nil {
				return fmt.Errorf("boltstore: index %s names a missing item", bucket)
			}
			it, err := decodeItem(pk, sk, v)
			if err != nil {
				return err
			}
			if it.Expired(now) {
				continue
			}
			if len(page.Items) == limit {
				// Another live item follows, so there is a next page.
				page.Next = base64.RawURLEncoding.EncodeToString(last)
				return nil
			}
			page.Items = append(page.Items, it)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
}

// partsAfterBase is how many NUL-separated parts follow "PK\x00" in a key of the index.
func partsAfterBase(ix store.Index) int {
	if ix == store.Table {
		return 1
	}
	return 3
}

// start positions the cursor at the first key to read and returns it.
func start(c *bolt.Cursor, base []byte, q store.Query, after []byte) []byte {
	if !q.Desc {
		if after != nil {
			k, _ := c.Seek(after)
			if bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			return k
		}
		lower := q.From
		if q.Prefix != "" {
			lower = q.Prefix
		}
		k, _ := c.Seek(append(bytes.Clone(base), lower...))
		return k
	}
	// Descending: the last key before an exclusive upper bound.
	upper := after
	if upper == nil {
		switch {
		case q.To != "":
			// Sort keys greater than To continue To with a byte >= 1; an index key with sort
			// key To continues with NUL. So every key within To sorts below To+"\x01".
			upper = append(append(bytes.Clone(base), q.To...), 1)
		case q.Prefix != "":
			upper = successor(append(bytes.Clone(base), q.Prefix...))
		default:
			upper = successor(base)
		}
	}
	if upper == nil {
		k, _ := c.Last()
		return k
	}
	if k, _ := c.Seek(upper); k == nil {
		k, _ = c.Last()
		return k
	}
	k, _ := c.Prev()
	return k
}

// successor returns the smallest key greater than every key with prefix p, or nil if none.
func successor(p []byte) []byte {
	s := bytes.Clone(p)
	for len(s) > 0 && s[len(s)-1] == 0xff {
		s = s[:len(s)-1]
	}
	if len(s) == 0 {
		return nil
	}
	s[len(s)-1]++
	return s
}

// position tells where a sort key lies relative to the query's range: -1 before, 0 inside,
// 1 after.
func position(sk string, q store.Query) int {
	if q.Prefix != "" {
		switch {
		case strings.HasPrefix(sk, q.Prefix):
			return 0
		case sk < q.Prefix:
			return -1
		default:
			return 1
		}
	}
	if q.From != "" && sk < q.From {
		return -1
	}
	if q.To != "" && sk > q.To {
		return 1
	}
	return 0
}

// sweepBatch bounds how many items one sweep transaction scans, so that writers are not held
// up behind a long sweep.
const sweepBatch = 1000

// Sweep deletes the items expired at the store clock's now, with their index entries, and
// returns how many it deleted. Reads already hide expired items; Sweep reclaims their space
// and ends the retention of personal data in them.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	deleted := 0
	var from []byte // last key scanned by the previous batch
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		done, n := false, 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			now := s.clk.Now()
			c := tx.Bucket(bucketItems).Cursor()
			var k, v []byte
			if from == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(from)
				if bytes.Equal(k, from) {
					k, v = c.Next()
				}
			}
			var expired []store.Item
			for scanned := 0; k != nil && scanned < sweepBatch; k, v = c.Next() {
				scanned++
				from = append(from[:0], k...)
				parts := splitKey(k)
				if len(parts) != 2 {
					return fmt.Errorf("boltstore: malformed key in %s", bucketItems)
				}
				it, err := decodeItem(parts[0], parts[1], v)
				if err != nil {
					return err
				}
				if it.Expired(now) {
					expired = append(expired, it)
				}
			}
			done = k == nil
			// Deleted after the scan: deleting under a live bbolt cursor can skip keys.
			for _, it := range expired {
				if err := remove(tx, it); err != nil {
					return err
				}
			}
			n = len(expired)
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		if done {
			return deleted, nil
		}
	}
}
