package odata

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// GUID is a 1C reference (Edm.Guid). The zero GUID is 1C's empty reference.
type GUID [16]byte

// ParseGUID reads the 8-4-4-4-12 hex form, in either case.
func ParseGUID(s string) (GUID, error) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, fmt.Errorf("odata: malformed GUID")
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(g[:], []byte(h)); err != nil {
		return GUID{}, fmt.Errorf("odata: malformed GUID")
	}
	return g, nil
}

// NewGUID returns a random (version 4) GUID.
func NewGUID() GUID {
	var g GUID
	_, _ = rand.Read(g[:]) // crypto/rand.Read never fails on supported platforms
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}

// String returns the lower-case 8-4-4-4-12 form 1C writes.
func (g GUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], g[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], g[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], g[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], g[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], g[10:16])
	return string(b[:])
}

// IsZero reports whether g is the empty reference.
func (g GUID) IsZero() bool { return g == GUID{} }

// DateTimeLayout is how 1C writes Edm.DateTime: local wall time, no offset, no fraction.
const DateTimeLayout = "2006-01-02T15:04:05"

// EmptyDate is 1C's empty date, 0001-01-01T00:00:00.
var EmptyDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// wall returns t's wall clock as a UTC time: Edm.DateTime has no offset, and 1C dates are the
// tenant's local time, so only the wall clock is compared and written.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// parseDateTime reads a datetime literal or JSON value. An offset or "Z", which some clients
// add, is dropped and the wall clock kept: 1C dates carry no zone.
func parseDateTime(s string) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, errors.New("odata: malformed datetime")
	}
	body := s
	if strings.HasSuffix(body, "Z") || strings.HasSuffix(body, "z") {
		body = body[:len(body)-1]
	} else if len(body) > 19 {
		if i := strings.LastIndexAny(body, "+-"); i >= 19 {
			body = body[:i]
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, body); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("odata: malformed datetime")
}

// DataVersion renders a store version the way 1C shows DataVersion: an opaque base64 string
// of 8 bytes.
func DataVersion(v int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return base64.StdEncoding.EncodeToString(b[:])
}

// ErrPreconditionFailed is what a Writer or Poster returns (wrapped) when If-Match names a
// DataVersion that is no longer current; the handler answers 412.
var ErrPreconditionFailed = errors.New("odata: precondition failed")

// ExpectedVersion turns an If-Match value into the store version a conditional write must
// find: 0 means "no condition" (no header, or "*"). A value that is not a DataVersion this hub
// issued can never match, so it fails the precondition.
func ExpectedVersion(ifMatch string) (int64, error) {
	if ifMatch == "" || ifMatch == "*" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(ifMatch)
	if err != nil || len(b) != 8 {
		return 0, ErrPreconditionFailed
	}
	v := int64(binary.BigEndian.Uint64(b))
	if v <= 0 {
		return 0, ErrPreconditionFailed
	}
	return v, nil
}

// cleanIfMatch strips the ETag quoting clients add: "…", W/"…".
func cleanIfMatch(h string) string {
	h = strings.TrimSpace(h)
	h = strings.TrimPrefix(h, "W/")
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		h = h[1 : len(h)-1]
	}
	return h
}

// kind is the type of a value in filter evaluation.
type kind uint8

const (
	kNull kind = iota
	kString
	kBool
	kNumber
	kDateTime
	kGUID
)

func (k kind) String() string {
	switch k {
	case kString:
		return "строка"
	case kBool:
		return "булево"
	case kNumber:
		return "число"
	case kDateTime:
		return "дата"
	case kGUID:
		return "GUID"
	default:
		return "null"
	}
}

// value is a normalized scalar.
type value struct {
	k kind
	s string
	b bool
	n decimal.Decimal
	t time.Time
	g GUID
}

func kindOf(t EdmType) kind {
	switch t {
	case EdmString:
		return kString
	case EdmBoolean:
		return kBool
	case EdmGuid:
		return kGUID
	case EdmDateTime:
		return kDateTime
	case EdmByte, EdmInt16, EdmInt32, EdmInt64, EdmDecimal, EdmDouble, EdmSingle:
		return kNumber
	}
	return kNull
}

// normalize turns an entity value as a Source gives it into a value.
func normalize(v any) value {
	switch x := v.(type) {
	case nil:
		return value{}
	case string:
		return value{k: kString, s: x}
	case bool:
		return value{k: kBool, b: x}
	case int:
		return value{k: kNumber, n: decimal.NewFromInt(int64(x))}
	case int32:
		return value{k: kNumber, n: decimal.NewFromInt(int64(x))}
	case int64:
		return value{k: kNumber, n: decimal.NewFromInt(x)}
	case float64:
		return value{k: kNumber, n: decimal.NewFromFloat(x)}
	case decimal.Decimal:
		return value{k: kNumber, n: x}
	case time.Time:
		return value{k: kDateTime, t: wall(x)}
	case GUID:
		return value{k: kGUID, g: x}
	}
	return value{}
}

// compare orders two non-null values of one kind: -1, 0, 1; ok is false when they do not order.
func compare(a, b value) (int, bool) {
	if a.k != b.k {
		return 0, false
	}
	switch a.k {
	case kString:
		return strings.Compare(a.s, b.s), true
	case kNumber:
		return a.n.Cmp(b.n), true
	case kDateTime:
		return a.t.Compare(b.t), true
	case kGUID:
		return strings.Compare(a.g.String(), b.g.String()), true
	case kBool:
		switch {
		case a.b == b.b:
			return 0, true
		case !a.b:
			return -1, true
		default:
			return 1, true
		}
	}
	return 0, false
}

// toAny turns a value back into the Go type sources get in Match and Key.
func (v value) toAny(t EdmType) any {
	switch v.k {
	case kString:
		return v.s
	case kBool:
		return v.b
	case kGUID:
		return v.g
	case kDateTime:
		return v.t
	case kNumber:
		switch t {
		case EdmByte, EdmInt16, EdmInt32, EdmInt64:
			return v.n.IntPart()
		case EdmDouble, EdmSingle:
			f, _ := v.n.Float64()
			return f
		}
		return v.n
	}
	return nil
}
