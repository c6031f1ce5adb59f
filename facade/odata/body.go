package odata

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/stykovka/stykovka/internal/apperr"
)

// maxRows bounds the rows of one tabular part in a write.
const maxRows = 10000

func bodyError(msg string) *apperr.Error { return badRequest("ODATA_BODY", msg) }

// readBody reads a JSON request body of at most limit bytes (413 beyond).
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/json") {
			return nil, apperr.New(apperr.NotImplemented, "ODATA_MEDIA_TYPE",
				"Запись принимается только в формате JSON (Content-Type: application/json)")
		}
	}
	// A plain limited read rather than http.MaxBytesReader: the server then drains a small
	// excess and keeps the connection, instead of closing it after a delay.
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, bodyError("Не удалось прочитать тело запроса")
	}
	if int64(len(data)) > limit {
		return nil, apperr.New(apperr.TooLarge, "ODATA_BODY_TOO_LARGE",
			"Тело запроса больше допустимого размера ("+strconv.FormatInt(limit, 10)+" байт)")
	}
	return data, nil
}

// decodeEntity reads a JSON object of entity type t into an Entity with typed values
// (see Entity). Annotations (odata.*, X@…) and read-only properties are skipped: 1C clients
// send back whole objects they have read. Unknown properties are refused.
func decodeEntity(data []byte, t *etype) (Entity, error) {
	if !utf8.Valid(data) {
		return nil, bodyError("Тело запроса не в кодировке UTF-8")
	}
	obj, err := jsonObject(data)
	if err != nil {
		return nil, err
	}
	return entityFrom(obj, t, 0)
}

func jsonObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, bodyError("Тело запроса должно быть объектом JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bodyError("После объекта JSON в теле запроса есть лишние данные")
	}
	return obj, nil
}

func entityFrom(obj map[string]json.RawMessage, t *etype, depth int) (Entity, error) {
	e := Entity{}
	for name, raw := range obj {
		if strings.HasPrefix(name, "odata.") || strings.Contains(name, "@") {
			continue
		}
		if tb := t.byTab[name]; tb != nil && depth == 0 {
			rows, err := rowsFrom(raw, tb)
			if err != nil {
				return nil, err
			}
			e[name] = rows
			continue
		}
		if t.byNav[name] != nil {
			return nil, bodyError("Вложенная запись «" + clip(name) + "» не поддерживается: передайте ссылку в «" + clip(name) + "_Key»")
		}
		p := t.all[name]
		if p == nil {
			return nil, bodyError("Неизвестное свойство «" + clip(name) + "»")
		}
		if p.ReadOnly {
			continue
		}
		v, err := propValue(p, raw)
		if err != nil {
			return nil, err
		}
		e[name] = v
	}
	return e, nil
}

func rowsFrom(raw json.RawMessage, tb *tabular) ([]Entity, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, bodyError("Табличная часть «" + tb.name + "» должна быть массивом объектов")
	}
	if len(items) > maxRows {
		return nil, bodyError("В табличной части «" + tb.name + "» больше " + strconv.Itoa(maxRows) + " строк")
	}
	rows := make([]Entity, 0, len(items))
	for _, it := range items {
		obj, err := jsonObject(it)
		if err != nil {
			return nil, bodyError("Строка табличной части «" + tb.name + "» должна быть объектом JSON")
		}
		row, err := entityFrom(obj, tb.rowType, 1)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// propValue reads one property value. Numbers may come as JSON numbers or strings (OData v3
// writes Int64 and Decimal as strings); dates as "2006-01-02T15:04:05", an offset dropped.
func propValue(p *Property, raw json.RawMessage) (any, error) {
	bad := func() (any, error) {
		return nil, bodyError("Значение свойства «" + p.Name + "» должно иметь тип " + string(p.Type))
	}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, nil
	}
	var s string
	isString := len(raw) > 0 && raw[0] == '"'
	if isString {
		if json.Unmarshal(raw, &s) != nil {
			return bad()
		}
	}
	switch p.Type {
	case EdmString:
		if !isString {
			return bad()
		}
		if p.MaxLength > 0 && utf8.RuneCountInString(s) > p.MaxLength {
			return nil, bodyError("Значение свойства «" + p.Name + "» длиннее " + strconv.Itoa(p.MaxLength) + " символов")
		}
		return s, nil
	case EdmGuid:
		g, err := ParseGUID(s)
		if !isString || err != nil {
			return bad()
		}
		return g, nil
	case EdmBoolean:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return bad()
		}
		return b, nil
	case EdmDateTime:
		t, err := parseDateTime(s)
		if !isString || err != nil {
			return bad()
		}
		return t, nil
	}
	num := string(raw)
	if isString {
		num = strings.TrimSpace(s)
	}
	d, ok := parseNumber(num)
	if !ok || strings.ContainsAny(num, "lLmMdDfF") {
		return bad()
	}
	switch p.Type {
	case EdmByte, EdmInt16, EdmInt32, EdmInt64:
		lim := map[EdmType]int64{EdmByte: math.MaxUint8, EdmInt16: math.MaxInt16, EdmInt32: math.MaxInt32, EdmInt64: math.MaxInt64}[p.Type]
		if !d.IsInteger() || d.Abs().GreaterThan(decimal.NewFromInt(lim)) || (p.Type == EdmByte && d.IsNegative()) {
			return bad()
		}
		return d.IntPart(), nil
	case EdmDouble, EdmSingle:
		f, _ := d.Float64()
		if math.IsInf(f, 0) {
			return bad()
		}
		return f, nil
	}
	return d, nil
}
