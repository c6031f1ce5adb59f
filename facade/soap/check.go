package soap

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strconv"

	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
)

// Stable codes of request-content errors.
const (
	codeUnknownOp      = "SOAP_UNKNOWN_OPERATION"
	codeUnknownElement = "SOAP_UNKNOWN_ELEMENT"
	codeMissing        = "SOAP_MISSING_ELEMENT"
	codeDuplicate      = "SOAP_DUPLICATE_ELEMENT"
	codeNil            = "SOAP_NIL_NOT_ALLOWED"
	codeBadValue       = "SOAP_BAD_VALUE"
	codeUnexpectedText = "SOAP_UNEXPECTED_TEXT"
)

func invalid(code, msg string) *apperr.Error { return apperr.New(apperr.Invalid, code, msg) }

// checkBody validates the operation element against its declaration in the WSDL: every
// child is declared, required ones are present, single ones are single, xsi:nil only where
// nillable, scalars in their lexical space. Gowsdl's types cannot tell a missing element from
// a zero one, so this is where a missing amount is refused instead of read as 0. The order
// of a sequence is not enforced: clients that get it wrong lose nothing by being understood.
//
// It returns the tokens without the xsi:nil elements, so that decoding leaves their
// (pointer) fields nil.
func checkBody(toks []xml.Token, op *elemDecl, ns string) ([]xml.Token, error) {
	type frame struct {
		decl   *elemDecl
		counts []int
		text   []byte
	}
	out := make([]xml.Token, 0, len(toks))
	stack := []frame{{decl: op, counts: make([]int, len(op.Type.Elems))}}
	out = append(out, toks[0])
	for i := 1; i < len(toks); i++ {
		top := &stack[len(stack)-1]
		switch t := toks[i].(type) {
		case xml.StartElement:
			if top.decl.Kind != kComplex {
				return nil, invalid(codeUnknownElement, "Элемент «"+top.decl.Name+"» не может содержать элементы")
			}
			idx, child := -1, (*elemDecl)(nil)
			if t.Name.Space == ns || t.Name.Space == "" {
				idx, child = top.decl.Type.child(t.Name.Local)
			}
			if child == nil {
				return nil, invalid(codeUnknownElement, "Элемент «"+clip(t.Name.Local, 60)+"» не предусмотрен в «"+top.decl.Name+"»")
			}
			top.counts[idx]++
			if top.counts[idx] > 1 && !child.Unbounded {
				return nil, invalid(codeDuplicate, "Элемент «"+child.Name+"» указан в «"+top.decl.Name+"» больше одного раза")
			}
			if isNil(t) {
				if !child.Nillable {
					return nil, invalid(codeNil, "Элемент «"+child.Name+"» не может быть пустым (xsi:nil)")
				}
				end, err := skipElement(toks, i)
				if err != nil {
					return nil, err
				}
				i = end
				continue
			}
			f := frame{decl: child}
			if child.Kind == kComplex {
				f.counts = make([]int, len(child.Type.Elems))
			}
			stack = append(stack, f)
			out = append(out, toks[i]) // the token as it is: boxing t again would allocate
		case xml.EndElement:
			if top.decl.Kind == kComplex {
				for j, e := range top.decl.Type.Elems {
					if e.Min > 0 && top.counts[j] == 0 {
						return nil, invalid(codeMissing, "Не указан обязательный элемент «"+e.Name+"» в «"+top.decl.Name+"»")
					}
				}
			} else if err := checkScalar(top.decl, top.text); err != nil {
				return nil, err
			}
			stack = stack[:len(stack)-1]
			out = append(out, toks[i])
		case xml.CharData:
			if top.decl.Kind == kComplex {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, invalid(codeUnexpectedText, "Элемент «"+top.decl.Name+"» не может содержать текст")
				}
				continue
			}
			top.text = append(top.text, t...)
			out = append(out, toks[i])
		}
	}
	return out, nil
}

func isNil(t xml.StartElement) bool {
	for _, a := range t.Attr {
		if a.Name.Space == nsXSI && a.Name.Local == "nil" {
			return a.Value == "true" || a.Value == "1"
		}
	}
	return false
}

// skipElement returns the index of the end of the element starting at toks[i]; a nil
// element must be empty.
func skipElement(toks []xml.Token, i int) (int, error) {
	for depth := 0; i < len(toks); i++ {
		switch t := toks[i].(type) {
		case xml.StartElement:
			if depth++; depth > 1 {
				return 0, invalid(codeNil, "Элемент с xsi:nil=\"true\" должен быть пустым")
			}
		case xml.EndElement:
			if depth--; depth == 0 {
				return i, nil
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return 0, invalid(codeNil, "Элемент с xsi:nil=\"true\" должен быть пустым")
			}
		}
	}
	return 0, malformedMsg("документ оборван")
}

// checkScalar checks text against the lexical space of the element's type, so that the
// error names the element (encoding/xml's would not). The value itself is not repeated: it
// may be personal data, and faults are logged.
func checkScalar(d *elemDecl, text []byte) error {
	s := string(bytes.Trim(text, " \t\r\n"))
	ok := true
	switch d.Kind {
	case kDecimal:
		_, err := money.Parse(s)
		ok = err == nil
	case kInt:
		_, err := strconv.ParseInt(s, 10, 32)
		ok = err == nil
	case kBool:
		ok = s == "true" || s == "false" || s == "1" || s == "0"
	case kDateTime:
		_, err := xsd.ParseDateTime(s)
		ok = err == nil
	case kBase64:
		_, err := base64.StdEncoding.DecodeString(string(bytes.Map(dropSpace, []byte(s))))
		ok = err == nil
	}
	if !ok {
		return invalid(codeBadValue, "Значение элемента «"+d.Name+"» не является допустимым значением типа "+d.Kind.String())
	}
	return nil
}

func dropSpace(r rune) rune {
	if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
		return -1
	}
	return r
}
