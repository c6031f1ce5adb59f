package registry

import (
	"fmt"
	"hash/maphash"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

// Signature opens every header line; the digit is the format version.
const Signature = "#MS1"

// Limits of the format. MaxLine bounds the memory a reader needs whatever the input.
const (
	MaxLine      = 4096
	MaxNumber    = 999
	maxIntDigits = 13 // integer digits of an amount or value: no int64 overflow per value
	maxSumDigits = 30 // integer digits of a header sum
	maxCount     = 999_999_999_999
)

// Kind is the type of a registry; it is the second field of the header.
type Kind string

// Kinds. Services, Debts and Meters go from the hub to Novotelecom; Payments, Readings and
// Answer come from Novotelecom; Confirm and Reject are the hub's replies to a received
// Payments or Readings registry.
const (
	Services Kind = "SERVICES"
	Debts    Kind = "DEBTS"
	Meters   Kind = "METERS"
	Payments Kind = "PAYMENTS"
	Readings Kind = "READINGS"
	Answer   Kind = "ANSWER"
	Confirm  Kind = "CONFIRM"
	Reject   Kind = "REJECT"
)

// Kinds lists every kind, in the order of the format description.
var Kinds = []Kind{Services, Debts, Meters, Payments, Readings, Answer, Confirm, Reject}

// col is the type of one column of a record.
type col int

const (
	cAccount col = iota + 1
	cAddress
	cService    // a service code, empty for "whole account" coding
	cServiceReq // a service code, required
	cName
	cMeter
	cAmount // money or a meter value, at the kind's scale
	cPeriod
	cDateTime
	cDate
	cID
	cLine
	cMessage
)

type kindSpec struct {
	prefix string
	cols   []col
	// scale of amounts and of the header sum: 2 for money, 3 for meter values, 0 for kinds
	// without amounts (their header sum is 0.00). Confirm takes it from its header.
	scale int32
	// minSign: 1 amounts must be > 0, 0 must be >= 0, -1 any sign.
	minSign    int
	needPeriod bool // the header period is required (else it must be empty)
	anyPeriod  bool // the header period may be given or empty
	needRef    bool // the header names the file this one answers
}

var specs = map[Kind]kindSpec{
	Services: {prefix: "Services", cols: []col{cServiceReq, cName}},
	Debts:    {prefix: "Debts", cols: []col{cAccount, cAddress, cService, cAmount}, scale: 2, minSign: -1, needPeriod: true},
	Meters:   {prefix: "Meters", cols: []col{cAccount, cAddress, cMeter, cService, cAmount}, scale: 3, needPeriod: true},
	Payments: {prefix: "Payments", cols: []col{cAccount, cService, cPeriod, cAmount, cDateTime, cID}, scale: 2, minSign: 1, anyPeriod: true},
	Readings: {prefix: "Readings", cols: []col{cAccount, cMeter, cService, cAmount, cDate}, scale: 3, anyPeriod: true},
	Answer:   {prefix: "Answer", cols: []col{cLine, cMessage}, needRef: true},
	Confirm:  {prefix: "Confirm", cols: []col{cLine, cAccount, cAmount}, minSign: -1, needRef: true},
	Reject:   {prefix: "Reject", cols: []col{cLine, cMessage}, needRef: true},
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := specs[k]; return ok }

// Prefix is the file name prefix of the kind ("Payments").
func (k Kind) Prefix() string { return specs[k].prefix }

// Columns is the number of fields of a record of the kind.
func (k Kind) Columns() int { return len(specs[k].cols) }

// Scale is the number of decimals of the kind's amounts (0: the kind has none; Confirm takes
// the scale of the registry it confirms).
func (k Kind) Scale() int32 { return specs[k].scale }

// Charset is the text encoding of a file.
type Charset string

// Charsets. An empty Charset in a header means "detect".
const (
	CP1251 Charset = "CP1251"
	UTF8   Charset = "UTF-8"
)

// ParseCharset accepts the two charset names, in any case.
func ParseCharset(s string) (Charset, bool) {
	switch strings.ToUpper(s) {
	case "CP1251", "WINDOWS-1251":
		return CP1251, true
	case "UTF-8", "UTF8":
		return UTF8, true
	case "":
		return "", true
	}
	return "", false
}

// Period is a billing month, written MMYYYY.
type Period struct {
	Year  int
	Month time.Month
}

// PeriodOf returns the month of t.
func PeriodOf(t time.Time) Period { return Period{Year: t.Year(), Month: t.Month()} }

// ParsePeriod parses MMYYYY (years 1900–2999).
func ParsePeriod(s string) (Period, error) {
	p, ok := parsePeriod([]byte(s))
	if !ok {
		return Period{}, fmt.Errorf("registry: period %q is not MMYYYY", display([]byte(s)))
	}
	return p, nil
}

func parsePeriod(b []byte) (Period, bool) {
	if len(b) != 6 || !digits(b) {
		return Period{}, false
	}
	m := int(b[0]-'0')*10 + int(b[1]-'0')
	y := atoi(b[2:])
	if m < 1 || m > 12 || y < 1900 || y > 2999 {
		return Period{}, false
	}
	return Period{Year: y, Month: time.Month(m)}, true
}

// IsZero reports whether p is unset.
func (p Period) IsZero() bool { return p.Year == 0 && p.Month == 0 }

// Valid reports whether p is a month the format can carry.
func (p Period) Valid() bool {
	return p.Month >= 1 && p.Month <= 12 && p.Year >= 1900 && p.Year <= 2999
}

// String writes MMYYYY, or "" for the zero Period.
func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d%04d", int(p.Month), p.Year)
}

// First is the first day of the month (a civil date, see Date).
func (p Period) First() time.Time { return Date(p.Year, p.Month, 1) }

// Last is the last day of the month.
func (p Period) Last() time.Time { return Date(p.Year, p.Month+1, 1).AddDate(0, 0, -1) }

// Next is the following month.
func (p Period) Next() Period { return PeriodOf(Date(p.Year, p.Month+1, 1)) }

// MarshalText writes MMYYYY.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads MMYYYY; an empty text is the zero Period.
func (p *Period) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Period{}
		return nil
	}
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Date returns a civil date: midnight UTC of that day. Registry dates and times are wall-clock
// values without a zone (as 1C keeps them); UTC is only their carrier.
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Civil returns t's wall clock in t's own location, carried as UTC.
func Civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// Header is the first line of a file (line 0).
type Header struct {
	Kind    Kind
	Number  int           // 1..999, unique per kind and date
	Date    time.Time     // civil date of the registry
	Period  Period        // billed month (Debts, Meters), optional for Payments and Readings
	Count   int64         // number of records
	Sum     money.Decimal // sum of the amount column at the kind's scale (0.00 without one)
	Charset Charset       // encoding of the text; empty in a read header that did not declare it
	Ref     string        // Answer, Confirm, Reject: the name of the file this one answers
}

// FileName is the conventional name of the file the header opens: Payments_20180621_007.txt.
func (h Header) FileName() string { return FileName(h.Kind, h.Date, h.Number) }

// FileName builds <Prefix>_<YYYYMMDD>_<NNN>.txt.
func FileName(k Kind, date time.Time, number int) string {
	return fmt.Sprintf("%s_%s_%03d.txt", k.Prefix(), date.Format("20060102"), number)
}

// Name is what a conventional file name says.
type Name struct {
	Kind   Kind
	Date   time.Time
	Number int
}

// ParseName reads a conventional file name (the directory part is ignored).
func ParseName(name string) (Name, bool) {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	stem, ok := strings.CutSuffix(base, ".txt")
	if !ok {
		return Name{}, false
	}
	parts := strings.Split(stem, "_")
	if len(parts) != 3 {
		return Name{}, false
	}
	var kind Kind
	for _, k := range Kinds {
		if strings.EqualFold(parts[0], k.Prefix()) {
			kind = k
		}
	}
	if kind == "" || len(parts[1]) != 8 || len(parts[2]) != 3 || !digits([]byte(parts[2])) {
		return Name{}, false
	}
	d, err := time.Parse("20060102", parts[1])
	if err != nil {
		return Name{}, false
	}
	n, _ := strconv.Atoi(parts[2])
	if n < 1 {
		return Name{}, false
	}
	return Name{Kind: kind, Date: d, Number: n}, true
}

// ValidFileName reports whether name is a plausible file name for the header's Ref and for
// storage: 1..100 bytes of ASCII letters, digits, '_', '-', '.'; no path.
func ValidFileName(name string) bool {
	if name == "" || len(name) > 100 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Record is one line after the header. Which fields a kind uses is in the package
// documentation; the others stay zero.
type Record struct {
	Line    int64         // 1-based record number (the header is line 0)
	Account string        // лицевой счёт
	Address string        // Debts, Meters
	Service string        // service code after the tenant's coding; empty: whole account
	Name    string        // Services: service name
	Meter   string        // Meters, Readings: meter number
	Period  Period        // Payments: the month paid for
	Amount  money.Decimal // money (Debts, Payments, Confirm) or a meter value (Meters, Readings)
	Time    time.Time     // Payments: paid at (civil); Readings: taken on (civil date)
	ID      string        // Payments: Novotelecom's payment id
	RefLine int64         // Answer, Confirm, Reject: line of the answered file (0: its header)
	Message string        // Answer, Reject: what is wrong at RefLine
}

// Error is a structural error of a file: the diagnostic 1C users see, naming the file and the
// line ("строка: 1, неизв.лиц.счёт: 8032067").
type Error struct {
	File string
	Line int64  // 0: the header
	Msg  string // what is wrong, with the offending value
}

// Diagnostic is the text the seed shows: "строка: 1, неизв.лиц.счёт: 8032067".
func (e *Error) Diagnostic() string {
	return "строка: " + strconv.FormatInt(e.Line, 10) + ", " + e.Msg
}

func (e *Error) Error() string {
	if e.File == "" {
		return e.Diagnostic()
	}
	return e.File + ": " + e.Diagnostic()
}

// AccountSet is the set of personal accounts a tenant has sent to Novotelecom; payments and
// readings for any other account are refused ("неизв.лиц.счёт"). Has is on the hot path of
// reading (once per line), so the set keeps its own open-addressing table rather than a map.
// Add must not run concurrently with anything else; Has may run concurrently with Has.
type AccountSet struct {
	seed  maphash.Seed
	slots []slot // power of two, at most half full
	n     int
}

type slot struct {
	hash uint64
	key  string
	used bool
}

// NewAccountSet returns a set holding accounts.
func NewAccountSet(accounts ...string) *AccountSet {
	s := &AccountSet{seed: maphash.MakeSeed(), slots: make([]slot, 16)}
	for _, a := range accounts {
		s.Add(a)
	}
	return s
}

// Add adds an account.
func (s *AccountSet) Add(a string) {
	if (s.n+1)*2 > len(s.slots) {
		old := s.slots
		s.slots = make([]slot, len(old)*2)
		for _, e := range old {
			if e.used {
				s.insert(e)
			}
		}
	}
	h := maphash.String(s.seed, a)
	if s.find(h, a) >= 0 {
		return
	}
	s.insert(slot{hash: h, key: a, used: true})
	s.n++
}

func (s *AccountSet) insert(e slot) {
	mask := uint64(len(s.slots) - 1)
	for i := e.hash & mask; ; i = (i + 1) & mask {
		if !s.slots[i].used {
			s.slots[i] = e
			return
		}
	}
}

func (s *AccountSet) find(h uint64, a string) int {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := &s.slots[i]
		if !e.used {
			return -1
		}
		if e.hash == h && e.key == a {
			return int(i)
		}
	}
}

// Has reports whether the account is in the set; it does not allocate.
func (s *AccountSet) Has(b []byte) bool {
	h := maphash.Bytes(s.seed, b)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := &s.slots[i]
		if !e.used {
			return false
		}
		if e.hash == h && e.key == string(b) {
			return true
		}
	}
}

// Len is the number of accounts.
func (s *AccountSet) Len() int { return s.n }

// Each calls fn for every account, in no particular order.
func (s *AccountSet) Each(fn func(string)) {
	for _, e := range s.slots {
		if e.used {
			fn(e.key)
		}
	}
}

func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
