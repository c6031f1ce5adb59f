package odata

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// parseKey reads the text between the parentheses of Set(…): a single literal for a
// single-property key — (guid'…') — or Name=literal pairs — (Ref_Key=guid'…',LineNumber=1),
// (Period=datetime'2024-01-31T00:00:00',Организация_Key=guid'…') (ONEC 17).
func parseKey(src string, t *etype) (Key, *syntaxError) {
	toks, serr := lex(src)
	if serr != nil {
		return nil, serr
	}
	i := 0
	got := map[string]any{}
	if len(t.keys) == 1 && toks[0].kind != tIdent || (toks[0].kind == tIdent && toks[1].kind != tEquals) {
		// Positional: one value for a one-property key.
		if len(t.keys) != 1 {
			return nil, &syntaxError{pos: 1, msg: "ключ состоит из нескольких свойств: укажите их как Имя=значение"}
		}
		v, n, serr := keyLiteral(toks, t.keys[0])
		if serr != nil {
			return nil, serr
		}
		if toks[n].kind != tEOF {
			return nil, &syntaxError{pos: toks[n].pos, msg: "лишнее в ключе"}
		}
		return Key{{Name: t.keys[0].Name, Value: v}}, nil
	}
	for {
		name := toks[i]
		if name.kind != tIdent || toks[i+1].kind != tEquals {
			return nil, &syntaxError{pos: name.pos, msg: "ожидается Имя=значение"}
		}
		var prop *Property
		for _, k := range t.keys {
			if k.Name == name.text {
				prop = k
			}
		}
		if prop == nil {
			return nil, &syntaxError{pos: name.pos, msg: "«" + name.text + "» не входит в ключ"}
		}
		if _, dup := got[prop.Name]; dup {
			return nil, &syntaxError{pos: name.pos, msg: "свойство «" + name.text + "» указано в ключе дважды"}
		}
		v, n, serr := keyLiteral(toks[i+2:], prop)
		if serr != nil {
			return nil, serr
		}
		got[prop.Name] = v
		i += 2 + n
		if toks[i].kind == tEOF {
			break
		}
		if toks[i].kind != tComma {
			return nil, &syntaxError{pos: toks[i].pos, msg: "ожидается «,»"}
		}
		i++
	}
	key := make(Key, 0, len(t.keys))
	for _, k := range t.keys {
		v, ok := got[k.Name]
		if !ok {
			return nil, &syntaxError{pos: 1, msg: "в ключе не хватает свойства «" + k.Name + "»"}
		}
		key = append(key, KeyValue{Name: k.Name, Value: v})
	}
	return key, nil
}

// keyLiteral reads one literal of prop's type from toks; n is the tokens used.
func keyLiteral(toks []token, prop *Property) (any, int, *syntaxError) {
	t := toks[0]
	bad := func() (any, int, *syntaxError) {
		return nil, 0, &syntaxError{pos: t.pos, msg: "значение ключа «" + prop.Name + "» должно иметь тип " + string(prop.Type)}
	}
	switch prop.Type {
	case EdmGuid:
		s := t.val
		if t.kind == tString {
			s = t.text
		} else if t.kind != tTyped || !strings.EqualFold(t.text, "guid") {
			return bad()
		}
		g, err := ParseGUID(s)
		if err != nil {
			return nil, 0, &syntaxError{pos: t.pos, msg: "неверный GUID «" + clip(s) + "»"}
		}
		return g, 1, nil
	case EdmString:
		if t.kind != tString {
			return bad()
		}
		return t.text, 1, nil
	case EdmDateTime:
		if t.kind != tTyped {
			return bad()
		}
		v, msg := typedLiteral(t.text, t.val)
		if msg != "" || v.k != kDateTime {
			return nil, 0, &syntaxError{pos: t.pos, msg: "неверная дата в ключе, ожидается datetime'ГГГГ-ММ-ДДTчч:мм:сс'"}
		}
		return v.t, 1, nil
	case EdmBoolean:
		if t.kind == tIdent && (t.text == "true" || t.text == "false") {
			return t.text == "true", 1, nil
		}
		return bad()
	}
	// Numbers, with an optional leading minus.
	n, neg := 0, false
	if t.kind == tMinus {
		neg, n = true, 1
		t = toks[1]
	}
	if t.kind != tNumber {
		return bad()
	}
	d, ok := parseNumber(t.text)
	if !ok {
		return bad()
	}
	if neg {
		d = d.Neg()
	}
	v := value{k: kNumber, n: d}
	switch prop.Type {
	case EdmByte, EdmInt16, EdmInt32, EdmInt64:
		if !d.IsInteger() || d.Abs().GreaterThan(decimal.NewFromInt(1<<62)) {
			return bad()
		}
	}
	return v.toAny(prop.Type), n + 1, nil
}

// formatLiteral writes v as an OData URL literal of type t.
func formatLiteral(t EdmType, v any) string {
	switch x := v.(type) {
	case GUID:
		return "guid'" + x.String() + "'"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		return "datetime'" + x.Format(DateTimeLayout) + "'"
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	n := normalize(v)
	if n.k == kNumber {
		return n.n.String()
	}
	return "null"
}

// keyOf extracts an entity's key.
func keyOf(t *etype, e Entity) Key {
	k := make(Key, len(t.keys))
	for i, p := range t.keys {
		v := e[p.Name]
		if v == nil {
			v = zeroOf(p.Type)
		}
		k[i] = KeyValue{Name: p.Name, Value: v}
	}
	return k
}

// keyPath is "(guid'…')" or "(A=…,B=…)", as 1C writes keys in links.
func keyPath(t *etype, k Key) string {
	if len(k) == 1 {
		return "(" + formatLiteral(t.keys[0].Type, k[0].Value) + ")"
	}
	parts := make([]string, len(k))
	for i, kv := range k {
		parts[i] = kv.Name + "=" + formatLiteral(t.keys[i].Type, kv.Value)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

func zeroOf(t EdmType) any {
	switch t {
	case EdmGuid:
		return GUID{}
	case EdmString:
		return ""
	case EdmBoolean:
		return false
	case EdmDateTime:
		return EmptyDate
	case EdmDecimal:
		return decimal.Zero
	case EdmDouble, EdmSingle:
		return float64(0)
	}
	return int64(0)
}
