package registry

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/stykovka/stykovka/internal/money"
)

// Writer writes a registry line by line. The header goes first, so its Count and Sum must be
// known in advance (Build finds them in a first pass); Close checks them against the lines
// written. Every record is checked with the reader's own rules, so a file a Writer produced
// always reads back.
type Writer struct {
	bw     *bufio.Writer
	file   string
	h      Header
	chk    checker
	line   int64
	total  total
	buf    []byte
	err    error
	totals bool // check Count and Sum at Close
}

// NewWriter checks h and writes the header line. An empty Charset means CP1251, the charset
// 1C writes by default.
func NewWriter(w io.Writer, h Header) (*Writer, error) { return newWriter(w, h, true) }

func newWriter(w io.Writer, h Header, totals bool) (*Writer, error) {
	if h.Charset == "" {
		h.Charset = CP1251
	}
	wr := &Writer{bw: bufio.NewWriterSize(w, bufSize), h: h, totals: totals}
	if h.Kind.Valid() && h.Number > 0 && !h.Date.IsZero() {
		wr.file = h.FileName()
	}
	line, err := wr.header()
	if err != nil {
		return nil, err
	}
	if _, err := wr.bw.Write(line); err != nil {
		return nil, err
	}
	return wr, nil
}

func (w *Writer) header() ([]byte, error) {
	h := w.h
	bad := func(msg string) ([]byte, error) {
		return nil, &Error{File: w.file, Line: 0, Msg: "заголовок: " + msg}
	}
	spec, ok := specs[h.Kind]
	if !ok {
		return bad("тип реестра: " + display([]byte(h.Kind)))
	}
	if h.Number < 1 || h.Number > MaxNumber {
		return bad("номер: " + strconv.Itoa(h.Number))
	}
	if h.Date.IsZero() || h.Date.Year() < 1900 || h.Date.Year() > 2999 {
		return bad("дата не указана")
	}
	switch {
	case h.Period.IsZero():
		if spec.needPeriod {
			return bad("не указан период")
		}
	case !spec.needPeriod && !spec.anyPeriod:
		return bad("период не нужен")
	case !h.Period.Valid():
		return bad("период: " + h.Period.String())
	}
	if h.Count < 0 || h.Count > maxCount {
		return bad("кол-во: " + strconv.FormatInt(h.Count, 10))
	}
	scale := spec.scale
	if h.Kind == Confirm {
		scale = h.Sum.Scale()
		if scale != 2 && scale != 3 {
			return bad("сумма подтверждения: нужно 2 или 3 знака после точки")
		}
	}
	sumScale := scale
	if sumScale == 0 {
		sumScale = 2
		if !h.Sum.IsZero() {
			return bad("сумма должна быть 0.00")
		}
	}
	sum, ok := fixed(h.Sum, sumScale)
	if !ok {
		return bad("сумма: " + h.Sum.String())
	}
	if _, ok := parseSum([]byte(sum), sumScale); !ok {
		return bad("сумма: " + sum)
	}
	if h.Charset != CP1251 && h.Charset != UTF8 {
		return bad("кодировка: " + string(h.Charset))
	}
	if spec.needRef != (h.Ref != "") || h.Ref != "" && !ValidFileName(h.Ref) {
		return bad("имя файла-основания: " + display([]byte(h.Ref)))
	}
	w.chk = checker{kind: h.Kind, spec: spec, scale: scale, cs: h.Charset}
	w.total.scale = scale
	line := fmt.Sprintf("%s;%s;%03d;%s;%s;%d;%s;%s;%s\r\n", Signature, h.Kind, h.Number,
		h.Date.Format("02.01.2006"), h.Period, h.Count, sum, h.Charset, h.Ref)
	return []byte(line), nil
}

// Write checks and writes one record; rec.Line is ignored (records are numbered in order).
func (w *Writer) Write(rec Record) error {
	if w.err != nil {
		return w.err
	}
	line, units, msg := w.encode(w.buf[:0], rec)
	w.buf = line
	if msg != "" {
		return &Error{File: w.file, Line: w.line + 1, Msg: msg}
	}
	w.line++
	w.total.add(units)
	if _, err := w.bw.Write(line); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Close flushes the file and checks the header's Count and Sum against the records. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return err
	}
	if !w.totals {
		return nil
	}
	if w.line != w.h.Count {
		return &Error{File: w.file, Line: 0, Msg: fmt.Sprintf("кол-во в заголовке: %d, строк: %d", w.h.Count, w.line)}
	}
	if got := w.total.value(); !got.Equal(w.h.Sum) {
		return &Error{File: w.file, Line: 0, Msg: fmt.Sprintf("сумма в заголовке: %s, по строкам: %s", w.h.Sum, got)}
	}
	return nil
}

// Build writes a whole registry from recs, which it ranges over twice: first to check the
// records and find the header's Count and Sum, then to write. It returns the header written.
func Build(w io.Writer, h Header, recs iter.Seq[Record]) (Header, error) {
	// The sum's scale is all a Confirm header needs to know in advance (money or values).
	h.Count, h.Sum = 0, money.New(0, h.Sum.Scale())
	pass, err := newWriter(io.Discard, h, false)
	if err != nil {
		return Header{}, err
	}
	for rec := range recs {
		if err := pass.Write(rec); err != nil {
			return Header{}, err
		}
	}
	h.Count = pass.line
	h.Sum = pass.total.value()
	if h.Kind.Scale() == 0 && h.Kind != Confirm {
		h.Sum = money.New(0, 2)
	}
	out, err := NewWriter(w, h)
	if err != nil {
		return Header{}, err
	}
	for rec := range recs {
		if err := out.Write(rec); err != nil {
			return Header{}, err
		}
	}
	if err := out.Close(); err != nil {
		return Header{}, err
	}
	return out.h, nil
}

// encode appends rec as one line to dst; msg says what is wrong with it.
func (w *Writer) encode(dst []byte, rec Record) (line []byte, units int64, msg string) {
	for i, c := range w.chk.spec.cols {
		if i > 0 {
			dst = append(dst, ';')
		}
		start := len(dst)
		switch c {
		case cAccount:
			dst = append(dst, rec.Account...)
		case cAddress:
			if dst, msg = w.text(dst, rec.Address); msg != "" {
				return nil, 0, "адрес: " + msg
			}
		case cService, cServiceReq:
			dst = append(dst, rec.Service...)
		case cName:
			if dst, msg = w.text(dst, rec.Name); msg != "" {
				return nil, 0, "наименование: " + msg
			}
		case cMeter:
			dst = append(dst, rec.Meter...)
		case cAmount:
			s, ok := fixed(rec.Amount, w.chk.scale)
			if !ok {
				return nil, 0, fmt.Sprintf("%s: %s (больше %d знаков после точки)", w.chk.amountName(), rec.Amount, w.chk.scale)
			}
			dst = append(dst, s...)
		case cPeriod:
			dst = append(dst, rec.Period.String()...)
		case cDateTime:
			if !rec.Time.IsZero() {
				dst = rec.Time.AppendFormat(dst, "02.01.2006 15:04:05")
			}
		case cDate:
			if !rec.Time.IsZero() {
				dst = rec.Time.AppendFormat(dst, "02.01.2006")
			}
		case cID:
			dst = append(dst, rec.ID...)
		case cLine:
			if rec.RefLine < 0 {
				return nil, 0, "номер строки: " + strconv.FormatInt(rec.RefLine, 10)
			}
			dst = strconv.AppendInt(dst, rec.RefLine, 10)
		case cMessage:
			if dst, msg = w.text(dst, rec.Message); msg != "" {
				return nil, 0, "текст: " + msg
			}
		}
		field := dst[start:]
		if c != cAddress && c != cName && c != cMessage && strings.ContainsAny(string(field), ";\r\n") {
			return nil, 0, "недопустимый символ в поле " + strconv.Itoa(i+1)
		}
		u, m := w.chk.field(c, field)
		if m != "" {
			return nil, 0, m
		}
		if c == cAmount {
			units = u
		}
	}
	if len(dst) > MaxLine {
		return nil, 0, fmt.Sprintf("длина строки больше %d", MaxLine)
	}
	return append(dst, '\r', '\n'), units, ""
}

// text appends s in the file's charset.
func (w *Writer) text(dst []byte, s string) ([]byte, string) {
	if !utf8.ValidString(s) {
		return dst, "неверная кодировка UTF-8"
	}
	if strings.ContainsAny(s, ";\r\n") {
		return dst, "недопустимый символ «;» или перевод строки"
	}
	if w.chk.cs == UTF8 {
		return append(dst, s...), ""
	}
	for _, r := range s {
		b, ok := charmap.Windows1251.EncodeRune(r)
		if !ok {
			return dst, fmt.Sprintf("символ %q не представим в CP1251", r)
		}
		dst = append(dst, b)
	}
	return dst, ""
}

// fixed writes d with exactly scale decimals, if that loses nothing.
func fixed(d money.Decimal, scale int32) (string, bool) {
	r := d.Round(scale)
	if !r.Equal(d) {
		return "", false
	}
	return r.String(), true
}
