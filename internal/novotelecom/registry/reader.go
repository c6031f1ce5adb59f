package registry

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/stykovka/stykovka/internal/money"
)

// Options tune a Reader.
type Options struct {
	// Kind is the expected kind; empty accepts any.
	Kind Kind
	// Accounts, when set, must hold every account of the file ("неизв.лиц.счёт" otherwise).
	Accounts *AccountSet
}

// Reader reads a registry line by line, checking every line as it goes and, at the end, the
// header's count and sum against the lines. Its memory does not grow with the file.
type Reader struct {
	br   *bufio.Reader
	file string
	hdr  Header
	chk  checker
	line int64

	raw     [][]byte // fields of the current record, valid until the next call to Next
	units   int64    // amount of the current record in minor units
	total   total
	offset  int64 // bytes read up to the end of the current line
	partial bool  // resumed mid-file: the sum of the skipped lines is unknown
	err     error // sticky: the first error, or io.EOF after a clean end
}

const bufSize = 256 << 10

var bom = []byte("\xEF\xBB\xBF")

// NewReader reads and checks the header of the file named file (the name is used in
// diagnostics and, when it is a conventional name, must agree with the header).
func NewReader(r io.Reader, file string, opts Options) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, bufSize), file: file, raw: make([][]byte, 0, 8)}
	rd.chk.accounts = opts.Accounts
	if err := rd.readHeader(opts.Kind); err != nil {
		rd.err = err
		return nil, err
	}
	return rd, nil
}

// Resume returns a reader of the records after line, for r positioned at byte offset of the
// file where line+1 starts (Offset after reading line). h is the file's header as a full read
// returned it. A resumed reader checks the count at the end but not the sum, whose first part
// it has not seen: it is for paging through a file that was validated whole before.
func Resume(r io.Reader, file string, h Header, line, offset int64, opts Options) (*Reader, error) {
	spec, ok := specs[h.Kind]
	if !ok || line < 0 || line > h.Count || offset < 0 {
		return nil, &Error{File: file, Line: line, Msg: "неверная позиция в файле"}
	}
	rd := &Reader{br: bufio.NewReaderSize(r, bufSize), file: file, hdr: h, line: line, offset: offset, partial: true,
		raw: make([][]byte, 0, 8)}
	scale := spec.scale
	if h.Kind == Confirm {
		scale = h.Sum.Scale()
	}
	rd.chk = checker{kind: h.Kind, spec: spec, scale: scale, cs: h.Charset, accounts: opts.Accounts}
	rd.total.scale = scale
	return rd, nil
}

// Offset is the number of bytes of the file up to the end of the current line (the header
// before the first Next).
func (r *Reader) Offset() int64 { return r.offset }

// Header returns the header. Its Charset is the declared one, or the detected one once a
// non-ASCII text has been read.
func (r *Reader) Header() Header {
	h := r.hdr
	if h.Charset == "" {
		h.Charset = r.chk.cs
	}
	return h
}

// Line is the number of the current record (0 before the first).
func (r *Reader) Line() int64 { return r.line }

// Next reads and checks the next record. It returns io.EOF after the last record once the
// header's count and sum agree with the lines; a structural problem is an *Error.
func (r *Reader) Next() error {
	if r.err != nil {
		return r.err
	}
	b, err := r.readLine()
	if err == io.EOF {
		r.err = r.finish()
		if r.err == nil {
			r.err = io.EOF
		}
		return r.err
	}
	if err != nil {
		r.err = err
		return err
	}
	r.line++
	if len(b) == 0 {
		return r.fail(r.line, "пустая строка")
	}
	r.raw = split(r.raw[:0], b)
	cols := r.chk.spec.cols
	if len(r.raw) != len(cols) {
		return r.fail(r.line, fmt.Sprintf("число полей: %d вместо %d", len(r.raw), len(cols)))
	}
	r.units = 0
	for i, c := range cols {
		u, msg := r.chk.field(c, r.raw[i])
		if msg != "" {
			return r.fail(r.line, msg)
		}
		if c == cAmount {
			r.units = u
		}
	}
	if r.line > maxCount {
		return r.fail(r.line, "слишком много строк")
	}
	r.total.add(r.units)
	return nil
}

// Record returns the current record (after a successful Next).
func (r *Reader) Record() Record {
	rec := Record{Line: r.line}
	for i, c := range r.chk.spec.cols {
		b := r.raw[i]
		switch c {
		case cAccount:
			rec.Account = string(b)
		case cAddress:
			rec.Address = r.chk.text(b)
		case cService, cServiceReq:
			rec.Service = string(b)
		case cName:
			rec.Name = r.chk.text(b)
		case cMeter:
			rec.Meter = string(b)
		case cAmount:
			rec.Amount = money.New(r.units, r.chk.scale)
		case cPeriod:
			rec.Period, _ = parsePeriod(b)
		case cDateTime:
			rec.Time, _ = parseDateTime(b)
		case cDate:
			rec.Time, _ = parseDate(b)
		case cID:
			rec.ID = string(b)
		case cLine:
			n, _ := parseLineNo(b)
			rec.RefLine = n
		case cMessage:
			rec.Message = r.chk.text(b)
		}
	}
	return rec
}

// Validate reads a whole file and returns its header, or the first error.
func Validate(r io.Reader, file string, opts Options) (Header, error) {
	rd, err := NewReader(r, file, opts)
	if err != nil {
		return Header{}, err
	}
	for {
		err := rd.Next()
		if err == io.EOF {
			return rd.Header(), nil
		}
		if err != nil {
			return rd.Header(), err
		}
	}
}

func (r *Reader) fail(line int64, msg string) error {
	r.err = &Error{File: r.file, Line: line, Msg: msg}
	return r.err
}

// readLine returns the next line without its end (LF or CRLF), io.EOF at the end.
func (r *Reader) readLine() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	switch {
	case err == nil:
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, &Error{File: r.file, Line: r.line + 1, Msg: fmt.Sprintf("длина строки больше %d", MaxLine)}
	case err == io.EOF:
		if len(b) == 0 {
			return nil, io.EOF
		}
	default:
		return nil, err
	}
	r.offset += int64(len(b))
	// By hand: bytes.TrimSuffix costs a call to a general comparison per line.
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) > MaxLine {
		return nil, &Error{File: r.file, Line: r.line + 1, Msg: fmt.Sprintf("длина строки больше %d", MaxLine)}
	}
	return b, nil
}

func (r *Reader) readHeader(want Kind) error {
	hdrErr := func(msg string) error { return &Error{File: r.file, Line: 0, Msg: "заголовок: " + msg} }
	b, err := r.readLine()
	if err == io.EOF {
		return hdrErr("файл пуст")
	}
	if err != nil {
		return err
	}
	hadBOM := bytes.HasPrefix(b, bom)
	b = bytes.TrimPrefix(b, bom)
	f := split(nil, b)
	if len(f) == 0 || string(f[0]) != Signature {
		return hdrErr("нет признака " + Signature)
	}
	if len(f) != 9 {
		return hdrErr(fmt.Sprintf("число полей: %d вместо 9", len(f)))
	}
	h := &r.hdr
	h.Kind = Kind(f[1])
	spec, ok := specs[h.Kind]
	if !ok {
		return hdrErr("тип реестра: " + display(f[1]))
	}
	if want != "" && h.Kind != want {
		return hdrErr(fmt.Sprintf("тип реестра: %s вместо %s", h.Kind, want))
	}
	if len(f[2]) != 3 || !digits(f[2]) || atoi(f[2]) < 1 {
		return hdrErr("номер: " + display(f[2]))
	}
	h.Number = atoi(f[2])
	if h.Date, ok = parseDate(f[3]); !ok {
		return hdrErr("дата: " + display(f[3]))
	}
	switch {
	case len(f[4]) == 0:
		if spec.needPeriod {
			return hdrErr("не указан период")
		}
	case !spec.needPeriod && !spec.anyPeriod:
		return hdrErr("период не нужен: " + display(f[4]))
	default:
		if h.Period, ok = parsePeriod(f[4]); !ok {
			return hdrErr("период: " + display(f[4]))
		}
	}
	n, ok := parseLineNo(f[5])
	if !ok {
		return hdrErr("кол-во: " + display(f[5]))
	}
	h.Count = n
	scale := spec.scale
	if h.Kind == Confirm {
		// A confirmation carries the amounts of the registry it confirms: money or values.
		if i := bytes.IndexByte(f[6], '.'); i >= 0 && (len(f[6])-i-1 == 2 || len(f[6])-i-1 == 3) {
			scale = int32(len(f[6]) - i - 1)
		}
	}
	sumScale := scale
	if sumScale == 0 {
		sumScale = 2 // kinds without amounts write 0.00
	}
	sum, ok := parseSum(f[6], sumScale)
	if !ok || (spec.scale == 0 && h.Kind != Confirm && !sum.IsZero()) {
		return hdrErr("сумма: " + display(f[6]))
	}
	h.Sum = sum
	cs, ok := ParseCharset(string(f[7]))
	if !ok {
		return hdrErr("кодировка: " + display(f[7]))
	}
	if hadBOM {
		if cs == CP1251 {
			return hdrErr("кодировка CP1251, но файл начинается с BOM UTF-8")
		}
		cs = UTF8
	}
	h.Charset = cs
	if spec.needRef {
		if !ValidFileName(string(f[8])) {
			return hdrErr("имя файла-основания: " + display(f[8]))
		}
		h.Ref = string(f[8])
	} else if len(f[8]) != 0 {
		return hdrErr("имя файла-основания не нужно: " + display(f[8]))
	}
	if nm, ok := ParseName(r.file); ok && (nm.Kind != h.Kind || !nm.Date.Equal(h.Date) || nm.Number != h.Number) {
		return hdrErr("не соответствует имени файла")
	}
	r.chk.spec, r.chk.scale, r.chk.kind, r.chk.cs = spec, scale, h.Kind, cs
	r.total.scale = scale
	return nil
}

// finish checks the totals after the last line.
func (r *Reader) finish() error {
	h := r.hdr
	if r.line != h.Count {
		return &Error{File: r.file, Line: 0, Msg: fmt.Sprintf("кол-во в заголовке: %d, строк: %d", h.Count, r.line)}
	}
	if r.partial {
		return nil
	}
	if got := r.total.value(); !got.Equal(h.Sum) {
		return &Error{File: r.file, Line: 0, Msg: fmt.Sprintf("сумма в заголовке: %s, по строкам: %s", h.Sum, got.Round(r.total.scale))}
	}
	return nil
}

// split cuts a line at ';', eight bytes at a time: fields are short, so a call per field
// (bytes.IndexByte) costs more than it saves.
func split(dst [][]byte, b []byte) [][]byte {
	const ones, high, semis = 0x0101010101010101, 0x7F7F7F7F7F7F7F7F, ';' * 0x0101010101010101
	start, i := 0, 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ semis
		// Exact zero-byte mask (no false positives): the high bit of each byte of x that is 0.
		m := ^(((x & high) + high) | x | high)
		for m != 0 {
			j := i + bits.TrailingZeros64(m)>>3
			dst = append(dst, b[start:j])
			start = j + 1
			m &= m - 1
		}
	}
	for ; i < len(b); i++ {
		if b[i] == ';' {
			dst = append(dst, b[start:i])
			start = i + 1
		}
	}
	return append(dst, b[start:])
}

// total sums minor units exactly: in an int64 while it fits, then as a decimal.
type total struct {
	scale int32
	small int64
	big   *money.Decimal
}

func (t *total) add(u int64) {
	if t.big == nil {
		s := t.small + u
		if (u > 0 && s < t.small) || (u < 0 && s > t.small) {
			b := money.New(t.small, t.scale)
			t.big = &b
		} else {
			t.small = s
			return
		}
	}
	*t.big = t.big.Add(money.New(u, t.scale))
}

func (t *total) value() money.Decimal {
	if t.big != nil {
		return *t.big
	}
	return money.New(t.small, t.scale)
}

// checker checks the fields of one kind; the reader and the writer share it, so whatever the
// writer produces the reader accepts.
type checker struct {
	kind     Kind
	spec     kindSpec
	scale    int32
	cs       Charset // "" until the first non-ASCII text decides it
	accounts *AccountSet
}

// Field limits.
const (
	maxAccount = 20
	maxCode    = 20
	maxMeter   = 30
	maxID      = 40
	maxAddress = 250
	maxName    = 150
	maxMessage = 500
)

// field checks one field and returns what is wrong ("" if nothing) and, for an amount, its
// value in minor units.
func (c *checker) field(k col, b []byte) (int64, string) {
	switch k {
	case cAccount:
		if !token(b, maxAccount, false) {
			return 0, "лиц.счёт: " + display(b)
		}
		if c.accounts != nil && !c.accounts.Has(b) {
			return 0, "неизв.лиц.счёт: " + display(b)
		}
	case cService, cServiceReq:
		if (len(b) > 0 || k == cServiceReq) && !token(b, maxCode, true) {
			return 0, "код услуги: " + display(b)
		}
	case cMeter:
		if !token(b, maxMeter, true) {
			return 0, "счётчик: " + display(b)
		}
	case cID:
		if !token(b, maxID, true) {
			return 0, "ид.платежа: " + display(b)
		}
	case cAddress:
		if msg := c.checkText(b, maxAddress, false); msg != "" {
			return 0, "адрес: " + msg
		}
	case cName:
		if msg := c.checkText(b, maxName, true); msg != "" {
			return 0, "наименование: " + msg
		}
	case cMessage:
		if msg := c.checkText(b, maxMessage, true); msg != "" {
			return 0, "текст: " + msg
		}
	case cAmount:
		u, ok := parseUnits(b, c.scale)
		if !ok || u < 0 && c.spec.minSign >= 0 || u == 0 && c.spec.minSign > 0 {
			return 0, c.amountName() + ": " + display(b)
		}
		return u, ""
	case cPeriod:
		if _, ok := parsePeriod(b); !ok {
			return 0, "период: " + display(b)
		}
	case cDateTime:
		if !checkDateTime(b) {
			return 0, "дата оплаты: " + display(b)
		}
	case cDate:
		if !checkDate(b) {
			return 0, "дата показания: " + display(b)
		}
	case cLine:
		if _, ok := parseLineNo(b); !ok {
			return 0, "номер строки: " + display(b)
		}
	}
	return 0, ""
}

func (c *checker) amountName() string {
	if c.scale == 3 {
		return "показание"
	}
	return "сумма"
}

// token: 1..max ASCII letters, digits and '-' (and '.', '_', '/' when loose), the shape of
// accounts, codes, meter numbers and ids.
func token(b []byte, max int, loose bool) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	set := &strictToken
	if loose {
		set = &looseToken
	}
	for _, ch := range b {
		if !set[ch] {
			return false
		}
	}
	return true
}

var strictToken, looseToken = func() (strict, loose [256]bool) {
	for c := 0; c < 256; c++ {
		strict[c] = isAlnum(byte(c)) || c == '-'
		loose[c] = strict[c] || c == '.' || c == '_' || c == '/'
	}
	return
}()

// checkText checks a free-text field in the file's charset, detecting the charset at the
// first non-ASCII text: valid UTF-8 is UTF-8, anything else is CP1251 (Cyrillic in CP1251 is
// practically never valid UTF-8).
func (c *checker) checkText(b []byte, max int, required bool) string {
	if len(b) == 0 {
		if required {
			return "не заполнено"
		}
		return ""
	}
	ascii := true
	for _, ch := range b {
		if ch >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii && c.cs == "" {
		if utf8.Valid(b) {
			c.cs = UTF8
		} else {
			c.cs = CP1251
		}
	}
	n := 0
	if ascii || c.cs == CP1251 {
		for _, ch := range b {
			r := cp1251[ch]
			if r == utf8.RuneError || unicode.IsControl(r) {
				return "недопустимый символ"
			}
		}
		n = len(b)
	} else {
		if !utf8.Valid(b) {
			return "неверная кодировка UTF-8"
		}
		for _, r := range string(b) {
			if unicode.IsControl(r) || r == utf8.RuneError {
				return "недопустимый символ"
			}
			n++
		}
	}
	if n > max {
		return fmt.Sprintf("длиннее %d символов", max)
	}
	return ""
}

// text decodes a checked text field.
func (c *checker) text(b []byte) string {
	if c.cs != CP1251 {
		return string(b)
	}
	return decode1251(b)
}

var cp1251 = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1251.DecodeByte(byte(i))
	}
	return t
}()

func decode1251(b []byte) string {
	ascii := true
	for _, ch := range b {
		if ch >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]byte, 0, len(b)*2)
	for _, ch := range b {
		out = utf8.AppendRune(out, cp1251[ch])
	}
	return string(out)
}

// display renders an offending value for a diagnostic: decoded, printable and short.
func display(b []byte) string {
	var s string
	if utf8.Valid(b) {
		s = string(b)
	} else {
		s = decode1251(b)
	}
	s = string(bytes.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, []byte(s)))
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	if s == "" {
		return "(пусто)"
	}
	return s
}

// parseUnits parses [-]D.DD (exactly scale decimals, at most maxIntDigits integer digits) into
// minor units.
func parseUnits(b []byte, scale int32) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	dot := len(b) - int(scale) - 1
	if dot < 1 || dot > maxIntDigits || b[dot] != '.' {
		return 0, false
	}
	var n int64
	for i, ch := range b {
		if i == dot {
			continue
		}
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseLineNo parses a non-negative decimal of at most 12 digits.
func parseLineNo(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 12 || !digits(b) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// parseDate parses DD.MM.YYYY (years 1900–2999) into a civil date.
func parseDate(b []byte) (time.Time, bool) {
	if len(b) != 10 || b[2] != '.' || b[5] != '.' || !digits(b[0:2]) || !digits(b[3:5]) || !digits(b[6:10]) {
		return time.Time{}, false
	}
	d, m, y := atoi(b[0:2]), atoi(b[3:5]), atoi(b[6:10])
	if y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return time.Time{}, false
	}
	return Date(y, time.Month(m), d), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// checkDate and checkDateTime are parseDate and parseDateTime without building a time, for
// the reading path.
func checkDate(b []byte) bool {
	if len(b) != 10 || b[2] != '.' || b[5] != '.' {
		return false
	}
	d, m, y1, y2 := two(b[0], b[1]), two(b[3], b[4]), two(b[6], b[7]), two(b[8], b[9])
	if d < 0 || m < 0 || y1 < 0 || y2 < 0 {
		return false
	}
	y := y1*100 + y2
	return y >= 1900 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
}

func checkDateTime(b []byte) bool {
	if len(b) != 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' || !checkDate(b[:10]) {
		return false
	}
	hh, mm, ss := two(b[11], b[12]), two(b[14], b[15]), two(b[17], b[18])
	return hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59 && ss >= 0 && ss <= 59
}

// two is the value of two decimal digits, or -1.
func two(a, b byte) int {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return -1
	}
	return int(a-'0')*10 + int(b-'0')
}

// parseDateTime parses DD.MM.YYYY HH:MM:SS into a civil time.
func parseDateTime(b []byte) (time.Time, bool) {
	if len(b) != 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	t, ok := parseDate(b[:10])
	if !ok || !digits(b[11:13]) || !digits(b[14:16]) || !digits(b[17:19]) {
		return time.Time{}, false
	}
	hh, mm, ss := atoi(b[11:13]), atoi(b[14:16]), atoi(b[17:19])
	if hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, false
	}
	return t.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second), true
}

// parseSum parses a header sum: [-]D.DD with exactly scale decimals; a sum of many lines may
// outgrow int64 minor units, so it is a decimal.
func parseSum(b []byte, scale int32) (money.Decimal, bool) {
	t := b
	if len(t) > 0 && t[0] == '-' {
		t = t[1:]
	}
	dot := len(t) - int(scale) - 1
	if dot < 1 || dot > maxSumDigits || t[dot] != '.' || !digits(t[:dot]) || !digits(t[dot+1:]) {
		return money.Decimal{}, false
	}
	v, err := money.Parse(string(b))
	return v, err == nil
}
