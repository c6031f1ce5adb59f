package regula

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxInput bounds a raw result Minimize reads (a result with every page image at full
// resolution stays well below it).
const DefaultMaxInput = 64 << 20

// MaxPassBack bounds the passBackObject Minimize hands back.
const MaxPassBack = 64 << 10

// MinimizeOptions say what Minimize keeps.
type MinimizeOptions struct {
	// MaxInput bounds the raw input; 0 means DefaultMaxInput.
	MaxInput int64
	// Portrait keeps the holder's photo (graphic field 201, one value, the chip's when there is
	// one). Page images never pass.
	Portrait bool
}

// Minimized is what Minimize keeps.
type Minimized struct {
	// Data is a processing result that Parse accepts, holding only ChipPage,
	// ProcessingFinished, TransactionInfo (id and time) and the status, document type, text and
	// (when asked) portrait containers.
	Data []byte
	// PassBack is the result's passBackObject, if any: the free-form object the application
	// that started the scan passed to the reader (the bridge reads the guest from it).
	PassBack json.RawMessage
	// Dropped counts the containers left out.
	Dropped int
}

// keepTypes are the containers that leave the PC.
var keepTypes = map[int]bool{ResultStatus: true, ResultDocumentType: true, ResultDocumentTypeCandidates: true, ResultText: true}

// Minimize streams a raw processing result and keeps only what the hub needs (see
// Minimized.Data). It walks the input byte by byte and skips what it drops without holding
// it, so a result with large page images costs a few hundred kilobytes of memory, not the
// size of the result. It refuses input over MaxInput and output over MaxResultSize.
func Minimize(r io.Reader, o MinimizeOptions) (Minimized, error) {
	max := o.MaxInput
	if max <= 0 {
		max = DefaultMaxInput
	}
	lr := &io.LimitedReader{R: r, N: max + 1}
	m := minimizer{s: newScanner(lr), o: o}
	out, err := m.run()
	if lr.N <= 0 {
		return Minimized{}, ErrTooLarge
	}
	if err != nil {
		if errors.Is(err, ErrInvalid) || errors.Is(err, ErrTooLarge) {
			return Minimized{}, err
		}
		return Minimized{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(out) > MaxResultSize {
		return Minimized{}, ErrTooLarge
	}
	if _, err := Parse(out); err != nil {
		return Minimized{}, err
	}
	return Minimized{Data: out, PassBack: m.passBack, Dropped: m.dropped}, nil
}

type minimizer struct {
	s        *scanner
	o        MinimizeOptions
	passBack json.RawMessage
	dropped  int
}

type outContainer struct {
	typ  int
	body map[string]json.RawMessage
}

// members calls fn for each member of the object that comes next, with its name as canonical
// gives it (names are matched ignoring case, as encoding/json matches them).
func (m *minimizer) members(names []string, fn func(key string) error) error {
	if err := m.s.expect('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := m.s.more(first, '}')
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		k, err := m.s.key()
		if err != nil {
			return err
		}
		if err := fn(canonical(k, names)); err != nil {
			return err
		}
	}
	return m.s.expect('}')
}

// elements calls fn for each element of the array that comes next.
func (m *minimizer) elements(fn func() error) error {
	if err := m.s.expect('['); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := m.s.more(first, ']')
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := fn(); err != nil {
			return err
		}
	}
	return m.s.expect(']')
}

func (m *minimizer) run() ([]byte, error) {
	var (
		chip, finished json.RawMessage
		tx             *wireTxInfo
		list           []outContainer
		haveList       bool

		haveContainerList bool
		bareList          []outContainer
		haveBare          bool
	)
	err := m.members(minimizeKeys, func(key string) error {
		switch key {
		case "ChipPage", "ProcessingFinished":
			raw, err := m.s.capture(64)
			if err != nil {
				return err
			}
			var n *json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return fmt.Errorf("%w: %s is not a number", ErrInvalid, key)
			}
			var v json.RawMessage
			if n != nil {
				v = json.RawMessage(*n)
			}
			if key == "ChipPage" {
				chip = v
			} else {
				finished = v
			}
		case "TransactionInfo":
			raw, err := m.s.capture(64 << 10)
			if err != nil {
				return err
			}
			var ti wireTxInfo
			if err := json.Unmarshal(raw, &ti); err != nil {
				return fmt.Errorf("%w: TransactionInfo", ErrInvalid)
			}
			tx = &ti
		case "passBackObject":
			raw, err := m.s.captureOrSkip(MaxPassBack)
			if err != nil {
				return err
			}
			if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
				m.passBack = raw
			}
		case "ContainerList":
			list, haveList = nil, false
			haveContainerList = true
			return m.members(minimizeKeys, func(k string) error {
				if k != "List" {
					return m.s.skip()
				}
				l, err := m.containers()
				list, haveList = l, true
				return err
			})
		case "List":
			// A bare container list counts only without a ContainerList (as Parse reads it).
			bare, err := m.containers()
			if err != nil {
				return err
			}
			bareList, haveBare = bare, true
			if !haveContainerList {
				list, haveList = bare, true
			}
		default:
			return m.s.skip()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := m.s.peek(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	if !haveContainerList && haveBare {
		list, haveList = bareList, true
	}
	if !haveList && !haveContainerList {
		return nil, fmt.Errorf("%w: no ContainerList", ErrInvalid)
	}

	var b bytes.Buffer
	b.WriteByte('{')
	if chip != nil {
		b.WriteString(`"ChipPage":`)
		b.Write(chip)
		b.WriteByte(',')
	}
	if finished != nil {
		b.WriteString(`"ProcessingFinished":`)
		b.Write(finished)
		b.WriteByte(',')
	}
	if tx != nil {
		ti, _ := marshal(wireTxInfo{TransactionID: tx.TransactionID, DateTime: tx.DateTime})
		b.WriteString(`"TransactionInfo":`)
		b.Write(ti)
		b.WriteByte(',')
	}
	b.WriteString(`"ContainerList":{"Count":`)
	b.WriteString(strconv.Itoa(len(list)))
	b.WriteString(`,"List":[`)
	for i, c := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		c.body["result_type"] = json.RawMessage(strconv.Itoa(c.typ))
		enc, err := marshal(c.body)
		if err != nil {
			return nil, err
		}
		b.Write(enc)
		if b.Len() > MaxResultSize {
			return nil, ErrTooLarge
		}
	}
	b.WriteString("]}}")
	return b.Bytes(), nil
}

// containers reads a container array and returns the kept containers.
func (m *minimizer) containers() ([]outContainer, error) {
	var list []outContainer
	err := m.elements(func() error {
		c, keep, err := m.container()
		if err != nil {
			return err
		}
		if keep {
			list = append(list, c)
		} else {
			m.dropped++
		}
		return nil
	})
	return list, err
}

// container reads one container: the members the hub reads are captured, everything else
// (images, coordinates, authenticity details) is skipped without being held.
func (m *minimizer) container() (outContainer, bool, error) {
	c := outContainer{typ: -1, body: map[string]json.RawMessage{}}
	err := m.members(minimizeKeys, func(key string) error {
		switch key {
		case "result_type":
			raw, err := m.s.capture(32)
			if err != nil {
				return err
			}
			var n *int
			if err := json.Unmarshal(raw, &n); err != nil {
				return fmt.Errorf("%w: result_type is not an integer", ErrInvalid)
			}
			c.typ = -1
			if n != nil {
				c.typ = *n
			}
		case "Status", "OneCandidate", "CandidatesList":
			raw, err := m.s.capture(MaxResultSize)
			if err != nil {
				return err
			}
			c.body[key] = raw
		case "Text":
			raw, err := m.text()
			if err != nil {
				return err
			}
			c.body[key] = raw
		case "Images":
			if !m.o.Portrait {
				return m.s.skip()
			}
			raw, err := m.images()
			if err != nil {
				return err
			}
			if raw != nil {
				c.body[key] = raw
			} else {
				delete(c.body, key)
			}
		default:
			return m.s.skip()
		}
		return nil
	})
	if err != nil {
		return c, false, err
	}
	if c.typ < 0 {
		return c, false, fmt.Errorf("%w: a container without result_type", ErrInvalid)
	}
	keep := keepTypes[c.typ] || (c.typ == ResultImages && c.body["Images"] != nil)
	// Only the member that belongs to the type travels.
	for k := range c.body {
		if !memberOf(c.typ, k) {
			delete(c.body, k)
		}
	}
	return c, keep && len(c.body) > 0, nil
}

func memberOf(typ int, key string) bool {
	switch typ {
	case ResultStatus:
		return key == "Status"
	case ResultDocumentType:
		return key == "OneCandidate"
	case ResultDocumentTypeCandidates:
		return key == "CandidatesList"
	case ResultText:
		return key == "Text"
	case ResultImages:
		return key == "Images"
	}
	return false
}

// Members of text fields and values that travel (character rectangles and per-symbol
// probabilities stay behind).
var (
	textKeys  = map[string]bool{"status": true, "validityStatus": true, "comparisonStatus": true, "availableSourceList": true}
	fieldKeys = map[string]bool{"fieldType": true, "fieldName": true, "lcid": true, "status": true, "validityStatus": true,
		"comparisonStatus": true, "value": true, "validityList": true, "comparisonList": true}
	valueKeys = map[string]bool{"source": true, "value": true, "originalValue": true, "pageIndex": true, "probability": true}
)

// text reads a Text member field by field.
func (m *minimizer) text() (json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	var fields []json.RawMessage
	err := m.members(minimizeKeys, func(key string) error {
		switch {
		case key == "fieldList":
			fields = fields[:0] // a repeated member replaces the earlier one, as Parse reads it
			return m.elements(func() error {
				if len(fields) == MaxFields {
					return fmt.Errorf("%w: more than %d text fields", ErrInvalid, MaxFields)
				}
				raw, err := m.s.capture(MaxResultSize)
				if err != nil {
					return err
				}
				f, err := filterField(raw)
				if err != nil {
					return err
				}
				fields = append(fields, f)
				return nil
			})
		case isIn(key, textKeys):
			raw, err := m.s.capture(MaxResultSize)
			if err != nil {
				return err
			}
			c, _ := canonicalIn(key, textKeys)
			out[c] = raw
		default:
			return m.s.skip()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fields == nil {
		fields = []json.RawMessage{}
	}
	enc, _ := marshal(fields)
	out["fieldList"] = enc
	return marshal(out)
}

// filterField keeps a text field's members the hub reads.
func filterField(raw json.RawMessage) (json.RawMessage, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%w: a text field is not an object", ErrInvalid)
	}
	keep := map[string]json.RawMessage{}
	for k, v := range f {
		if c, ok := canonicalIn(k, fieldKeys); ok {
			keep[c] = v
			continue
		}
		if !strings.EqualFold(k, "valueList") {
			continue
		}
		var values []map[string]json.RawMessage
		if err := json.Unmarshal(v, &values); err != nil {
			return nil, fmt.Errorf("%w: valueList is not a list of objects", ErrInvalid)
		}
		out := make([]map[string]json.RawMessage, len(values))
		for i, val := range values {
			out[i] = map[string]json.RawMessage{}
			for vk, vv := range val {
				if c, ok := canonicalIn(vk, valueKeys); ok {
					out[i][c] = vv
				}
			}
		}
		enc, _ := marshal(out)
		keep["valueList"] = enc
	}
	return marshal(keep)
}

// maxPortraitB64 bounds a portrait value kept (base64 of a chip photo is tens of kilobytes).
const maxPortraitB64 = 1 << 20

// images reads an Images member and keeps one portrait value (the chip's when there is one);
// nil when there is none. Page images are skipped without being held.
func (m *minimizer) images() (json.RawMessage, error) {
	type value struct{ source, value string }
	var best *value
	imageKeys := []string{"fieldList", "fieldType", "valueList", "source", "value"}
	err := m.members(imageKeys, func(key string) error {
		if key != "fieldList" {
			return m.s.skip()
		}
		best = nil
		return m.elements(func() error {
			typ := -1
			var cands []value
			err := m.members(imageKeys, func(k string) error {
				switch k {
				case "fieldType":
					raw, err := m.s.capture(32)
					if err != nil {
						return err
					}
					if err := json.Unmarshal(raw, &typ); err != nil {
						return fmt.Errorf("%w: an image field type", ErrInvalid)
					}
				case "valueList":
					if typ >= 0 && typ != GraphicPortrait {
						return m.s.skip()
					}
					cands = nil
					return m.elements(func() error {
						var v value
						err := m.members(imageKeys, func(vk string) error {
							switch vk {
							case "source":
								raw, err := m.s.capture(256)
								if err == nil {
									err = json.Unmarshal(raw, &v.source)
								}
								return err
							case "value":
								raw, err := m.s.captureOrSkip(maxPortraitB64)
								if err == nil && raw != nil {
									err = json.Unmarshal(raw, &v.value)
								}
								return err
							}
							return m.s.skip()
						})
						if err == nil && v.value != "" {
							cands = append(cands, v)
						}
						return err
					})
				default:
					return m.s.skip()
				}
				return nil
			})
			if err != nil {
				return err
			}
			if typ != GraphicPortrait {
				return nil
			}
			for i := range cands {
				if best == nil || (cands[i].source == SourceRFID && best.source != SourceRFID) {
					best = &cands[i]
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if best == nil {
		return nil, nil
	}
	return marshal(map[string]any{"fieldList": []any{map[string]any{
		"fieldType": GraphicPortrait, "fieldName": "Portrait",
		"valueList": []any{map[string]any{"source": best.source, "value": best.value}},
	}}})
}

// minimizeKeys are the member names Minimize recognizes; it matches them ignoring case, as
// encoding/json (and so Parse) matches names, and writes them in this spelling.
var minimizeKeys = []string{"ChipPage", "ProcessingFinished", "TransactionInfo", "passBackObject", "ContainerList",
	"List", "result_type", "Status", "OneCandidate", "CandidatesList", "Text", "Images", "fieldList"}

// canonical returns the name of names that k matches ignoring case, else k.
func canonical(k string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(k, n) {
			return n
		}
	}
	return k
}

// canonicalIn returns the name in set that k matches ignoring case.
func canonicalIn(k string, set map[string]bool) (string, bool) {
	for n := range set {
		if strings.EqualFold(k, n) {
			return n, true
		}
	}
	return "", false
}

func isIn(k string, set map[string]bool) bool {
	_, ok := canonicalIn(k, set)
	return ok
}

// marshal encodes v as JSON without HTML escaping (MRZ lines are full of '<').
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
