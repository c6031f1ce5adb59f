package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stykovka/stykovka/internal/store"
)

// Keys and values on disk.
//
// Bucket "items":  PK 0x00 SK                                  -> item value (below)
// Bucket "gsi1":   GSI1PK 0x00 GSI1SK 0x00 PK 0x00 SK          -> empty
// Bucket "gsi2":   GSI2PK 0x00 GSI2SK 0x00 PK 0x00 SK          -> empty
// Bucket "meta":   "format"                                    -> formatVersion as one byte
//
// The port forbids NUL in every key, so the byte order of these keys is the (PK, SK) or
// (GSIxPK, GSIxSK, PK, SK) order, which is DynamoDB's UTF-8 byte order; the table keys in an
// index key keep entries with equal index keys distinct and make index cursors exact.
//
// An item value, format 1 (PK and SK live in the key):
//
//	byte     format (1)
//	uvarint  Version
//	byte     flags; bit 0: has ExpiresAt
//	varint   ExpiresAt as Unix seconds (only when bit 0 is set)
//	4×str    GSI1PK, GSI1SK, GSI2PK, GSI2SK
//	uvarint  number of attributes, then name str, value str for each, sorted by name
//	rest     Data
//
// where str is a uvarint length followed by that many bytes. The leading format byte lets a
// later version change the layout and still read old items.
const formatVersion = 1

const flagExpires = 1

var errCorrupt = errors.New("boltstore: corrupt item value")

func tableKey(pk, sk string) []byte {
	k := make([]byte, 0, len(pk)+1+len(sk))
	k = append(k, pk...)
	k = append(k, 0)
	return append(k, sk...)
}

func indexKey(ipk, isk, pk, sk string) []byte {
	k := make([]byte, 0, len(ipk)+len(isk)+len(pk)+len(sk)+3)
	k = append(k, ipk...)
	k = append(k, 0)
	k = append(k, isk...)
	k = append(k, 0)
	k = append(k, pk...)
	k = append(k, 0)
	return append(k, sk...)
}

// splitKey splits a key at its NUL separators.
func splitKey(k []byte) []string {
	var parts []string
	for {
		i := slices.Index(k, 0)
		if i < 0 {
			return append(parts, string(k))
		}
		parts = append(parts, string(k[:i]))
		k = k[i+1:]
	}
}

func encodeItem(it store.Item) []byte {
	n := 1 + binary.MaxVarintLen64*2 + 1 + len(it.GSI1PK) + len(it.GSI1SK) + len(it.GSI2PK) +
		len(it.GSI2SK) + 4*binary.MaxVarintLen32 + binary.MaxVarintLen32 + len(it.Data)
	for k, v := range it.Attrs {
		n += len(k) + len(v) + 2*binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	b = append(b, formatVersion)
	b = binary.AppendUvarint(b, uint64(it.Version))
	if it.ExpiresAt.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, flagExpires)
		b = binary.AppendVarint(b, it.ExpiresAt.Unix())
	}
	for _, s := range []string{it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK} {
		b = appendStr(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(it.Attrs)))
	// Sorted so that the same item always encodes to the same bytes.
	names := make([]string, 0, len(it.Attrs))
	for k := range it.Attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		b = appendStr(b, k)
		b = appendStr(b, it.Attrs[k])
	}
	return append(b, it.Data...)
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeItem decodes a value read from bbolt. It copies everything it keeps: bbolt's bytes are
// valid only inside the transaction.
func decodeItem(pk, sk string, b []byte) (store.Item, error) {
	d := decoder{b: b}
	if f := d.byte(); f != formatVersion {
		return store.Item{}, fmt.Errorf("%w: %s/%s has format %d", errCorrupt, pk, sk, f)
	}
	it := store.Item{PK: pk, SK: sk}
	it.Version = int64(d.uvarint())
	if d.byte()&flagExpires != 0 {
		it.ExpiresAt = time.Unix(d.varint(), 0).UTC()
	}
	it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK = d.str(), d.str(), d.str(), d.str()
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > store.MaxAttrs {
			d.err = errCorrupt
		} else {
			it.Attrs = make(map[string]string, n)
			for range n {
				k := d.str()
				it.Attrs[k] = d.str()
			}
		}
	}
	if d.err != nil {
		return store.Item{}, fmt.Errorf("%w: %s/%s", errCorrupt, pk, sk)
	}
	if len(d.b) > 0 {
		it.Data = append([]byte(nil), d.b...)
	}
	return it, nil
}

// decoder reads the value format; after the first error every read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
