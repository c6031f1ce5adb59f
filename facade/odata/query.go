package odata

import (
	"mime"
	"net/url"
	"strconv"
	"strings"
)

// format is the negotiated representation of a response.
type format int

const (
	fmtAtom format = iota
	fmtJSONMinimal
	fmtJSONNone
	fmtJSONFull
)

func (f format) json() bool { return f != fmtAtom }

// negotiate picks the format: $format wins, then Accept, then Atom (ONEC 18). ok is false for
// a $format the hub does not speak.
func negotiate(q url.Values, accept string) (format, bool) {
	if fv := q.Get("$format"); fv != "" {
		switch strings.ToLower(fv) {
		case "json":
			return fmtJSONMinimal, true
		case "atom", "xml":
			return fmtAtom, true
		}
		f, ok := mediaFormat(fv)
		return f, ok
	}
	for _, part := range strings.Split(accept, ",") {
		if f, ok := mediaFormat(part); ok {
			return f, true
		}
	}
	return fmtAtom, true
}

// mediaFormat reads one media type: application/json[;odata=…], application/atom+xml,
// application/xml.
func mediaFormat(s string) (format, bool) {
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(s))
	if err != nil {
		return fmtAtom, false
	}
	switch mt {
	case "application/json":
		switch strings.ToLower(params["odata"]) {
		case "", "minimalmetadata":
			return fmtJSONMinimal, true
		case "nometadata":
			return fmtJSONNone, true
		case "fullmetadata":
			return fmtJSONFull, true
		case "verbose":
			return fmtAtom, false
		}
	case "application/atom+xml", "application/xml", "text/xml":
		return fmtAtom, true
	}
	return fmtAtom, false
}

type orderItem struct {
	p    *Property
	desc bool
}

// query holds the parsed query options of a read.
type query struct {
	filter      expr
	sel         map[string]bool // nil: everything
	expand      map[string]bool
	orderby     []orderItem
	top         int // -1: not given
	skip        int
	inlineCount bool
	skiptoken   string
}

// Query options the hub knows; other $-options are refused, other parameters (allowedOnly,
// and whatever 1C clients add) are accepted and ignored.
var knownOptions = map[string]bool{
	"$filter": true, "$select": true, "$expand": true, "$orderby": true, "$top": true,
	"$skip": true, "$inlinecount": true, "$format": true, "$skiptoken": true,
}

// parseQuery reads the query options for set s. It refuses repeated options, which are
// ambiguous.
func parseQuery(q url.Values, s *entitySet) (*query, error) {
	out := &query{top: -1}
	for name, vals := range q {
		if strings.HasPrefix(name, "$") && !knownOptions[name] {
			return nil, badRequest("ODATA_OPTION", "Параметр «"+clip(name)+"» не поддерживается")
		}
		if len(vals) > 1 {
			return nil, badRequest("ODATA_OPTION", "Параметр «"+clip(name)+"» указан несколько раз")
		}
	}
	if v := q.Get("allowedOnly"); v != "" && v != "true" && v != "false" {
		return nil, badRequest("ODATA_OPTION", "Параметр allowedOnly принимает значения true или false")
	}
	if f := q.Get("$filter"); strings.TrimSpace(f) != "" {
		e, serr := parseFilter(f, s.typ)
		if serr != nil {
			return nil, badRequest("ODATA_FILTER", "Ошибка в параметре $filter (позиция "+strconv.Itoa(serr.pos)+"): "+serr.msg)
		}
		out.filter = e
	}
	var err error
	if out.sel, err = parseNames(q.Get("$select"), "$select", s.typ, true); err != nil {
		return nil, err
	}
	if out.expand, err = parseNames(q.Get("$expand"), "$expand", s.typ, false); err != nil {
		return nil, err
	}
	if out.orderby, err = parseOrderBy(q.Get("$orderby"), s.typ); err != nil {
		return nil, err
	}
	if v := q.Get("$top"); v != "" {
		if out.top, err = nonNegative("$top", v); err != nil {
			return nil, err
		}
	}
	if v := q.Get("$skip"); v != "" {
		if out.skip, err = nonNegative("$skip", v); err != nil {
			return nil, err
		}
	}
	switch v := q.Get("$inlinecount"); v {
	case "", "none":
	case "allpages":
		out.inlineCount = true
	default:
		return nil, badRequest("ODATA_OPTION", "Параметр $inlinecount принимает значения allpages или none")
	}
	out.skiptoken = q.Get("$skiptoken")
	return out, nil
}

func nonNegative(name, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, badRequest("ODATA_OPTION", "Параметр "+name+" должен быть неотрицательным целым числом")
	}
	return n, nil
}

// parseNames reads $select (properties, navigation properties, tabular parts, *) or $expand
// (navigation properties and tabular parts).
func parseNames(v, option string, t *etype, isSelect bool) (map[string]bool, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	if len(v) > maxExprLen {
		return nil, badRequest("ODATA_OPTION", "Параметр "+option+" слишком длинный")
	}
	out := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		name := strings.TrimSpace(part)
		switch {
		case isSelect && name == "*":
			return nil, nil
		case strings.Contains(name, "/"):
			return nil, badRequest("ODATA_OPTION", "Вложенные пути в "+option+" («"+clip(name)+"») не поддерживаются")
		case t.byTab[name] != nil, t.byNav[name] != nil:
		case isSelect && t.all[name] != nil && !t.all[name].WriteOnly:
		default:
			return nil, badRequest("ODATA_OPTION", "В параметре "+option+" неизвестное свойство «"+clip(name)+"»")
		}
		out[name] = true
	}
	return out, nil
}

func parseOrderBy(v string, t *etype) ([]orderItem, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	if len(v) > maxExprLen {
		return nil, badRequest("ODATA_ORDERBY", "Параметр $orderby слишком длинный")
	}
	var out []orderItem
	for _, part := range strings.Split(v, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 {
			return nil, badRequest("ODATA_ORDERBY", "Неверный параметр $orderby: ожидается «Свойство asc|desc»")
		}
		p := t.all[f[0]]
		if p == nil || p.WriteOnly {
			return nil, badRequest("ODATA_ORDERBY", "В параметре $orderby неизвестное свойство «"+clip(f[0])+"»")
		}
		it := orderItem{p: p}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				it.desc = true
			default:
				return nil, badRequest("ODATA_ORDERBY", "В параметре $orderby направление должно быть asc или desc")
			}
		}
		out = append(out, it)
	}
	return out, nil
}
