package soap

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/money"
)

// The response encoder writes what the WSDL declares, not what encoding/xml would make of
// the Go value: every required element is written even when it is false, 0 or "" (gowsdl
// tags every field omitempty), a required element whose Go value is nil gets its zero value
// (or xsi:nil="true" where nillable), an absent optional one is left out, dates are written
// in the tenant's zone without an offset and money as exact decimals (ONEC.md 9, 10).
//
// Go values are matched to schema elements by the name in the field's xml tag, or else the
// field name. A Go type that cannot carry an element's type (float64 for xs:decimal, say) is
// an error, found the first time the pair is encoded and then cached.

var (
	typeDecimal  = reflect.TypeFor[money.Decimal]()
	typeDateTime = reflect.TypeFor[xsd.DateTime]()
	typeTime     = reflect.TypeFor[time.Time]()
)

const xmlnsXSXSI = ` xmlns:xs="` + nsXSD + `" xmlns:xsi="` + nsXSI + `"`

type planKey struct {
	t  reflect.Type
	ct *complexType
}

// plan maps a complexType's elements to the fields of one Go struct type.
type plan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	decl  *elemDecl
	index int // field index, -1 when the struct has no such field
}

var plans sync.Map // planKey → *plan or error

func planFor(t reflect.Type, ct *complexType) (*plan, error) {
	key := planKey{t, ct}
	if v, ok := plans.Load(key); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*plan), nil
	}
	p, err := makePlan(t, ct)
	if err != nil {
		plans.Store(key, err)
		return nil, err
	}
	plans.Store(key, p)
	return p, nil
}

func makePlan(t reflect.Type, ct *complexType) (*plan, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("soap: %s cannot carry a complexType", t)
	}
	names := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Name == "XMLName" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
		if name == "-" {
			continue
		}
		if _, local, ok := strings.Cut(name, " "); ok {
			name = local
		}
		if name == "" {
			name = f.Name
		}
		names[name] = i
	}
	p := &plan{}
	for _, d := range ct.Elems {
		i, ok := names[d.Name]
		if !ok {
			if d.Min > 0 && d.Kind != kComplex {
				// A required scalar the Go type does not have would always be written as its
				// zero value: a sign of a mismatch between the code and the WSDL.
				return nil, fmt.Errorf("soap: %s has no field for required element %s", t, d.Name)
			}
			p.fields = append(p.fields, fieldPlan{decl: d, index: -1})
			continue
		}
		if err := compatible(t.Field(i).Type, d); err != nil {
			return nil, fmt.Errorf("soap: %s.%s: %w", t, t.Field(i).Name, err)
		}
		p.fields = append(p.fields, fieldPlan{decl: d, index: i})
	}
	return p, nil
}

// compatible checks that Go type t can carry element d.
func compatible(t reflect.Type, d *elemDecl) error {
	if d.Unbounded {
		if t.Kind() != reflect.Slice {
			return fmt.Errorf("list element %s needs a slice, not %s", d.Name, t)
		}
		t = t.Elem()
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ok := false
	switch d.Kind {
	case kComplex:
		ok = t.Kind() == reflect.Struct && t != typeDecimal && t != typeDateTime && t != typeTime
	case kString:
		ok = t.Kind() == reflect.String
	case kDecimal:
		ok = t == typeDecimal
	case kInt:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint8, reflect.Uint16, reflect.Uint32:
			ok = true
		}
	case kBool:
		ok = t.Kind() == reflect.Bool
	case kDateTime:
		ok = t == typeDateTime || t == typeTime
	case kBase64:
		ok = t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	}
	if !ok {
		hint := ""
		if d.Kind == kDecimal {
			hint = " (money is never float: use money.Decimal)"
		}
		return fmt.Errorf("%s cannot carry %s %s%s", t, d.Kind, d.Name, hint)
	}
	return nil
}

// encoder writes one response body.
type encoder struct {
	buf []byte
	loc *time.Location
}

// response writes <m:OpResponse xmlns:m="ns">…</m:OpResponse> for v.
func (e *encoder) response(ns string, decl *elemDecl, v any) error {
	e.buf = append(e.buf, `<m:`...)
	e.buf = append(e.buf, decl.Name...)
	e.buf = append(e.buf, ` xmlns:m="`...)
	e.buf = appendEscaped(e.buf, ns, true)
	e.buf = append(e.buf, `">`...)
	if err := e.children(decl.Type, reflect.ValueOf(v), true); err != nil {
		return err
	}
	e.buf = append(e.buf, `</m:`...)
	e.buf = append(e.buf, decl.Name...)
	e.buf = append(e.buf, '>')
	return nil
}

// children writes the elements of ct from struct value v (which may be a nil pointer or
// invalid: then every required element gets its zero value).
func (e *encoder) children(ct *complexType, v reflect.Value, top bool) error {
	for v.IsValid() && v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.Value{}
			break
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		for _, d := range ct.Elems {
			if err := e.element(d, reflect.Value{}, top); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := planFor(v.Type(), ct)
	if err != nil {
		return err
	}
	for _, f := range p.fields {
		fv := reflect.Value{}
		if f.index >= 0 {
			fv = v.Field(f.index)
		}
		if f.decl.Unbounded {
			if fv.IsValid() {
				for i := 0; i < fv.Len(); i++ {
					if err := e.element(f.decl, fv.Index(i), top); err != nil {
						return err
					}
				}
			}
			continue
		}
		if err := e.element(f.decl, fv, top); err != nil {
			return err
		}
	}
	return nil
}

// element writes one occurrence of d from v.
func (e *encoder) element(d *elemDecl, v reflect.Value, top bool) error {
	for v.IsValid() && v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.Value{}
			break
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		switch {
		case d.Min == 0 || d.Unbounded:
			return nil // an absent optional element is left out
		case d.Nillable:
			e.open(d.Name, top)
			e.buf = append(e.buf, ` xsi:nil="true"/>`...)
			return nil
		}
	}
	e.open(d.Name, top)
	e.buf = append(e.buf, '>')
	mark := len(e.buf)
	if d.Kind == kComplex {
		if err := e.children(d.Type, v, false); err != nil {
			return err
		}
	} else if err := e.scalar(d, v); err != nil {
		return err
	}
	if len(e.buf) == mark { // empty content: <m:X/>, as 1C writes it
		e.buf = append(e.buf[:mark-1], "/>"...)
		return nil
	}
	e.buf = append(e.buf, `</m:`...)
	e.buf = append(e.buf, d.Name...)
	e.buf = append(e.buf, '>')
	return nil
}

func (e *encoder) open(name string, top bool) {
	e.buf = append(e.buf, `<m:`...)
	e.buf = append(e.buf, name...)
	if top {
		e.buf = append(e.buf, xmlnsXSXSI...)
	}
}

// scalar writes the text of v as d's type; an invalid v is the type's zero value.
func (e *encoder) scalar(d *elemDecl, v reflect.Value) error {
	switch d.Kind {
	case kString:
		if v.IsValid() {
			e.buf = appendEscaped(e.buf, v.String(), false)
		}
	case kDecimal:
		if v.IsValid() {
			e.buf = append(e.buf, v.Interface().(money.Decimal).String()...)
		} else {
			e.buf = append(e.buf, '0')
		}
	case kInt:
		var n int64
		if v.IsValid() {
			if v.CanInt() {
				n = v.Int()
			} else {
				n = int64(v.Uint())
			}
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return fmt.Errorf("soap: %d does not fit xs:int %s", n, d.Name)
		}
		e.buf = strconv.AppendInt(e.buf, n, 10)
	case kBool:
		e.buf = strconv.AppendBool(e.buf, v.IsValid() && v.Bool())
	case kDateTime:
		s := xsd.EmptyDate
		if v.IsValid() {
			switch t := v.Interface().(type) {
			case xsd.DateTime:
				s = t.Format(e.loc)
			case time.Time:
				s = xsd.FormatTime(t, e.loc)
			}
		}
		e.buf = append(e.buf, s...)
	case kBase64:
		if v.IsValid() {
			e.buf = base64.StdEncoding.AppendEncode(e.buf, v.Bytes())
		}
	}
	return nil
}

// appendEscaped appends s as XML text (or attribute value). Characters XML 1.0 cannot carry
// (controls, invalid UTF-8) become U+FFFD rather than breaking the document; CR is escaped
// so that it survives line-end normalisation.
func appendEscaped(b []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"' && attr:
			b = append(b, "&quot;"...)
		case r == '\r':
			b = append(b, "&#xD;"...)
		case r == '\n' && attr:
			b = append(b, "&#xA;"...)
		case r == '\t' && attr:
			b = append(b, "&#x9;"...)
		case r == utf8.RuneError && size == 1, r < 0x20 && r != '\n' && r != '\t', r == 0xFFFE, r == 0xFFFF:
			b = append(b, "\uFFFD"...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func escapeAttr(s string) []byte { return appendEscaped(nil, s, true) }
