package odata

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// XML namespaces of OData v3 Atom and CSDL.
const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsApp     = "http://www.w3.org/2007/app"
	nsData    = "http://schemas.microsoft.com/ado/2007/08/dataservices"
	nsMeta    = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
	nsScheme  = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"
	nsRelated = "http://schemas.microsoft.com/ado/2007/08/dataservices/related/"
	nsEdmx    = "http://schemas.microsoft.com/ado/2007/06/edmx"
	nsEdm     = "http://schemas.microsoft.com/ado/2009/11/edm"
	schemaNS  = "StandardODATA"
)

// renderer writes entities in the negotiated format.
type renderer struct {
	root string // service root, with a trailing slash
	f    format
	sel  map[string]bool
	exp  map[string]bool
	now  time.Time
	// refs holds the targets of expanded references: set|guid → entity (nil: not found).
	refs map[string]Entity
	sets map[string]*entitySet
}

func (rd *renderer) selected(p *Property) bool {
	return rd.sel == nil || rd.sel[p.Name] || (p.Target != "" && rd.sel[p.navName()])
}

func (rd *renderer) tabSelected(name string) bool {
	return rd.sel == nil || rd.sel[name] || rd.exp[name]
}

// jsonString writes s as a JSON string, leaving non-ASCII text readable.
func jsonString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			b.WriteString(`\ufffd`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	b.WriteByte('"')
}

// scalarText is the text of a non-null value as OData writes it.
func scalarText(t EdmType, v value) string {
	switch v.k {
	case kString:
		return v.s
	case kBool:
		return strconv.FormatBool(v.b)
	case kGUID:
		return v.g.String()
	case kDateTime:
		return v.t.Format(DateTimeLayout)
	case kNumber:
		switch t {
		case EdmByte, EdmInt16, EdmInt32, EdmInt64:
			return v.n.Truncate(0).String()
		case EdmDouble, EdmSingle:
			f, _ := v.n.Float64()
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return "0"
			}
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return v.n.String()
	}
	return ""
}

// jsonValue writes one property value. Edm.Int64 and Edm.Decimal are strings in OData v3
// JSON (hence LineNumber "1" and "odata.count" as a string); other numbers are numbers.
func jsonValue(b *bytes.Buffer, p *Property, raw any, present bool) {
	if !present {
		raw = zeroOf(p.Type)
	}
	v := normalize(raw)
	if v.k == kNull {
		b.WriteString("null")
		return
	}
	txt := scalarText(p.Type, v)
	switch {
	case v.k == kBool:
		b.WriteString(txt)
	case v.k == kNumber && p.Type != EdmInt64 && p.Type != EdmDecimal:
		b.WriteString(txt)
	default:
		jsonString(b, txt)
	}
}

func (rd *renderer) jsonKV(b *bytes.Buffer, first *bool, name string) {
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	jsonString(b, name)
	b.WriteByte(':')
}

// jsonEntity writes the members of one entity of set s (without braces).
func (rd *renderer) jsonEntity(b *bytes.Buffer, s *entitySet, e Entity, first *bool, nested bool) {
	path := s.name + keyPath(s.typ, keyOf(s.typ, e))
	if rd.f == fmtJSONFull {
		rd.jsonKV(b, first, "odata.type")
		jsonString(b, schemaNS+"."+s.typ.name)
		rd.jsonKV(b, first, "odata.id")
		jsonString(b, rd.root+path)
		rd.jsonKV(b, first, "odata.editLink")
		jsonString(b, path)
	}
	for _, p := range s.typ.props {
		if !nested && !rd.selected(p) {
			continue
		}
		raw, present := e[p.Name]
		rd.jsonKV(b, first, p.Name)
		jsonValue(b, p, raw, present)
		if p.Target == "" {
			continue
		}
		g, _ := raw.(GUID)
		nav := p.navName()
		if rd.f != fmtJSONNone && !g.IsZero() {
			rd.jsonKV(b, first, nav+"@navigationLinkUrl")
			jsonString(b, path+"/"+nav)
		}
		if !nested && rd.exp[nav] {
			rd.jsonKV(b, first, nav)
			if t, ok := rd.refs[p.Target+"|"+g.String()]; ok && t != nil {
				b.WriteByte('{')
				f := true
				rd.jsonEntity(b, rd.setByName(p.Target), t, &f, true)
				b.WriteByte('}')
			} else {
				b.WriteString("null")
			}
		}
	}
	for _, tb := range s.typ.tabs {
		if !nested && !rd.tabSelected(tb.name) {
			continue
		}
		rd.jsonKV(b, first, tb.name)
		b.WriteByte('[')
		for i, row := range rowsOf(tb, e) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			f := true
			for _, p := range tb.rowType.props {
				raw, present := row[p.Name]
				rd.jsonKV(b, &f, p.Name)
				jsonValue(b, p, raw, present)
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
}

// setByName finds the set of an expanded reference, so that it renders with its own type.
func (rd *renderer) setByName(name string) *entitySet { return rd.sets[name] }

// jsonFeed writes a collection: {"odata.metadata":"…#Set","odata.count":"N","value":[…],
// "odata.nextLink":"…"} (ONEC 18, 19).
func (rd *renderer) jsonFeed(s *entitySet, rows []Entity, count *int, next string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if rd.f != fmtJSONNone {
		rd.jsonKV(&b, &first, "odata.metadata")
		jsonString(&b, rd.root+"$metadata#"+s.name)
	}
	if count != nil {
		rd.jsonKV(&b, &first, "odata.count")
		jsonString(&b, strconv.Itoa(*count))
	}
	rd.jsonKV(&b, &first, "value")
	b.WriteByte('[')
	for i, e := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		f := true
		rd.jsonEntity(&b, s, e, &f, false)
		b.WriteByte('}')
	}
	b.WriteByte(']')
	if next != "" {
		rd.jsonKV(&b, &first, "odata.nextLink")
		jsonString(&b, next)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// jsonSingle writes one entity; its metadata URL ends in #Set/@Element (ONEC 18).
func (rd *renderer) jsonSingle(s *entitySet, e Entity) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if rd.f != fmtJSONNone {
		rd.jsonKV(&b, &first, "odata.metadata")
		jsonString(&b, rd.root+"$metadata#"+s.name+"/@Element")
	}
	rd.jsonEntity(&b, s, e, &first, false)
	b.WriteString("}\n")
	return b.Bytes()
}

func xmlAttr(b *bytes.Buffer, name, v string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	xmlText(b, v)
	b.WriteByte('"')
}

const atomNS = ` xmlns="` + nsAtom + `" xmlns:d="` + nsData + `" xmlns:m="` + nsMeta + `"`

// atomEntry writes one <entry>; top-level entries declare the namespaces and xml:base.
func (rd *renderer) atomEntry(b *bytes.Buffer, s *entitySet, e Entity, top, nested bool) {
	path := s.name + keyPath(s.typ, keyOf(s.typ, e))
	b.WriteString("<entry")
	if top {
		b.WriteString(atomNS)
		xmlAttr(b, "xml:base", rd.root)
	}
	b.WriteString("><id>")
	xmlText(b, rd.root+path)
	b.WriteString(`</id><category`)
	xmlAttr(b, "term", schemaNS+"."+s.typ.name)
	xmlAttr(b, "scheme", nsScheme)
	b.WriteString(`/><title type="text"/><updated>`)
	b.WriteString(rd.now.UTC().Format(time.RFC3339))
	b.WriteString(`</updated><author/><link rel="edit"`)
	xmlAttr(b, "href", path)
	xmlAttr(b, "title", s.typ.name)
	b.WriteString("/>")
	for _, p := range s.typ.props {
		if p.Target == "" || (!nested && !rd.selected(p)) {
			continue
		}
		g, _ := e[p.Name].(GUID)
		nav := p.navName()
		expand := !nested && rd.exp[nav]
		if g.IsZero() && !expand {
			continue
		}
		b.WriteString("<link")
		xmlAttr(b, "rel", nsRelated+nav)
		xmlAttr(b, "type", "application/atom+xml;type=entry")
		xmlAttr(b, "title", nav)
		xmlAttr(b, "href", path+"/"+nav)
		if !expand {
			b.WriteString("/>")
			continue
		}
		b.WriteString("><m:inline>")
		if t, ok := rd.refs[p.Target+"|"+g.String()]; ok && t != nil {
			rd.atomEntry(b, rd.setByName(p.Target), t, false, true)
		}
		b.WriteString("</m:inline></link>")
	}
	b.WriteString(`<content type="application/xml"><m:properties>`)
	for _, p := range s.typ.props {
		if !nested && !rd.selected(p) {
			continue
		}
		raw, present := e[p.Name]
		atomProp(b, p, raw, present)
	}
	for _, tb := range s.typ.tabs {
		if !nested && !rd.tabSelected(tb.name) {
			continue
		}
		ct := schemaNS + "." + tb.rowType.name
		b.WriteString("<d:" + tb.name)
		xmlAttr(b, "m:type", "Collection("+ct+")")
		b.WriteString(">")
		for _, row := range rowsOf(tb, e) {
			b.WriteString("<d:element")
			xmlAttr(b, "m:type", ct)
			b.WriteString(">")
			for _, p := range tb.rowType.props {
				raw, present := row[p.Name]
				atomProp(b, p, raw, present)
			}
			b.WriteString("</d:element>")
		}
		b.WriteString("</d:" + tb.name + ">")
	}
	b.WriteString("</m:properties></content></entry>")
}

func atomProp(b *bytes.Buffer, p *Property, raw any, present bool) {
	if !present {
		raw = zeroOf(p.Type)
	}
	v := normalize(raw)
	b.WriteString("<d:" + p.Name)
	if p.Type != EdmString {
		xmlAttr(b, "m:type", string(p.Type))
	}
	if v.k == kNull {
		b.WriteString(` m:null="true"/>`)
		return
	}
	b.WriteByte('>')
	xmlText(b, scalarText(p.Type, v))
	b.WriteString("</d:" + p.Name + ">")
}

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// atomFeed writes a <feed> (ONEC 18), with <m:count> and <link rel="next"> when asked for.
func (rd *renderer) atomFeed(s *entitySet, rows []Entity, count *int, next string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "<feed" + atomNS)
	xmlAttr(&b, "xml:base", rd.root)
	b.WriteString("><id>")
	xmlText(&b, rd.root+s.name)
	b.WriteString(`</id><title type="text">`)
	xmlText(&b, s.name)
	b.WriteString("</title><updated>" + rd.now.UTC().Format(time.RFC3339) + "</updated><author/><link")
	xmlAttr(&b, "rel", "self")
	xmlAttr(&b, "href", s.name)
	xmlAttr(&b, "title", s.name)
	b.WriteString("/>")
	if count != nil {
		b.WriteString("<m:count>" + strconv.Itoa(*count) + "</m:count>")
	}
	for _, e := range rows {
		rd.atomEntry(&b, s, e, false, false)
	}
	if next != "" {
		b.WriteString(`<link rel="next"`)
		xmlAttr(&b, "href", next)
		b.WriteString("/>")
	}
	b.WriteString("</feed>\n")
	return b.Bytes()
}

func (rd *renderer) atomSingle(s *entitySet, e Entity) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl)
	rd.atomEntry(&b, s, e, true, false)
	b.WriteString("\n")
	return b.Bytes()
}

// serviceDocument lists the sets (ONEC 13).
func serviceDocument(root string, f format, sets []*entitySet) []byte {
	var b bytes.Buffer
	if f.json() {
		b.WriteString("{")
		first := true
		rd := &renderer{}
		if f != fmtJSONNone {
			rd.jsonKV(&b, &first, "odata.metadata")
			jsonString(&b, root+"$metadata")
		}
		rd.jsonKV(&b, &first, "value")
		b.WriteByte('[')
		for i, s := range sets {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":`)
			jsonString(&b, s.name)
			b.WriteString(`,"url":`)
			jsonString(&b, s.name)
			b.WriteByte('}')
		}
		b.WriteString("]}\n")
		return b.Bytes()
	}
	// 1C writes xml:base without the final slash; with it, relative hrefs resolve to the set
	// URLs per RFC 3986, which is what clients need.
	b.WriteString(xmlDecl + `<service xmlns="` + nsApp + `" xmlns:atom="` + nsAtom + `"`)
	xmlAttr(&b, "xml:base", root)
	b.WriteString(`><workspace><atom:title type="text">Default</atom:title>`)
	for _, s := range sets {
		b.WriteString("<collection")
		xmlAttr(&b, "href", s.name)
		b.WriteString(`><atom:title type="text">`)
		xmlText(&b, s.name)
		b.WriteString("</atom:title></collection>")
	}
	b.WriteString("</workspace></service>\n")
	return b.Bytes()
}

// metadataDocument builds $metadata from the registrations (ONEC 14): EDMX 1.0, DataServiceVersion
// 3.0, schema StandardODATA, container EnterpriseV8, open entity types.
func metadataDocument(sets []*entitySet) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl)
	b.WriteString(`<edmx:Edmx xmlns:edmx="` + nsEdmx + `" Version="1.0">` + "\n")
	b.WriteString(`<edmx:DataServices xmlns:m="` + nsMeta + `" m:DataServiceVersion="3.0">` + "\n")
	b.WriteString(`<Schema xmlns="` + nsEdm + `" Namespace="` + schemaNS + `">` + "\n")
	type assoc struct{ name, from, to, fromSet, toSet string }
	var assocs []assoc
	var posters []*entitySet
	byName := map[string]*entitySet{}
	for _, s := range sets {
		byName[s.name] = s
	}
	for _, s := range sets {
		t := s.typ
		b.WriteString("<EntityType")
		xmlAttr(&b, "Name", t.name)
		b.WriteString(` OpenType="true"><Key>`)
		for _, k := range t.keys {
			b.WriteString("<PropertyRef")
			xmlAttr(&b, "Name", k.Name)
			b.WriteString("/>")
		}
		b.WriteString("</Key>\n")
		for _, p := range t.props {
			metaProp(&b, p, isKey(t, p))
		}
		for _, tb := range t.tabs {
			b.WriteString("<Property")
			xmlAttr(&b, "Name", tb.name)
			xmlAttr(&b, "Type", "Collection("+schemaNS+"."+tb.rowType.name+")")
			b.WriteString(` Nullable="true"/>` + "\n")
		}
		for _, p := range t.props {
			if p.Target == "" {
				continue
			}
			a := assoc{name: t.name + "_" + p.navName(), from: t.name, to: byName[p.Target].typ.name, fromSet: s.name, toSet: p.Target}
			assocs = append(assocs, a)
			b.WriteString("<NavigationProperty")
			xmlAttr(&b, "Name", p.navName())
			xmlAttr(&b, "Relationship", schemaNS+"."+a.name)
			b.WriteString(` FromRole="Begin" ToRole="End"/>` + "\n")
		}
		b.WriteString("</EntityType>\n")
		for _, tb := range t.tabs {
			b.WriteString("<ComplexType")
			xmlAttr(&b, "Name", tb.rowType.name)
			b.WriteString(">\n")
			for _, p := range tb.rowType.props {
				metaProp(&b, p, false)
			}
			b.WriteString("</ComplexType>\n")
		}
		if s.vt != nil {
			for _, vt := range s.vt.tables {
				t := s.vt.results[vt]
				if t == nil {
					continue
				}
				b.WriteString("<ComplexType")
				xmlAttr(&b, "Name", t.name)
				b.WriteString(">\n")
				for _, p := range t.props {
					metaProp(&b, p, false)
				}
				b.WriteString("</ComplexType>\n")
			}
		}
		if s.poster != nil {
			posters = append(posters, s)
		}
	}
	for _, a := range assocs {
		b.WriteString("<Association")
		xmlAttr(&b, "Name", a.name)
		b.WriteString("><End")
		xmlAttr(&b, "Role", "Begin")
		xmlAttr(&b, "Type", schemaNS+"."+a.from)
		b.WriteString(` Multiplicity="*"/><End`)
		xmlAttr(&b, "Role", "End")
		xmlAttr(&b, "Type", schemaNS+"."+a.to)
		b.WriteString(` Multiplicity="0..1"/></Association>` + "\n")
	}
	b.WriteString(`<EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">` + "\n")
	for _, s := range sets {
		b.WriteString("<EntitySet")
		xmlAttr(&b, "Name", s.name)
		xmlAttr(&b, "EntityType", schemaNS+"."+s.typ.name)
		b.WriteString("/>\n")
	}
	for _, a := range assocs {
		b.WriteString("<AssociationSet")
		xmlAttr(&b, "Name", a.name)
		xmlAttr(&b, "Association", schemaNS+"."+a.name)
		b.WriteString("><End")
		xmlAttr(&b, "Role", "Begin")
		xmlAttr(&b, "EntitySet", a.fromSet)
		b.WriteString("/><End")
		xmlAttr(&b, "Role", "End")
		xmlAttr(&b, "EntitySet", a.toSet)
		b.WriteString("/></AssociationSet>\n")
	}
	for _, s := range posters {
		for _, fn := range []string{"Post", "Unpost"} {
			b.WriteString("<FunctionImport")
			xmlAttr(&b, "Name", fn)
			b.WriteString(` IsBindable="true" IsSideEffecting="true" m:IsAlwaysBindable="true"><Parameter Name="bindingParameter"`)
			xmlAttr(&b, "Type", schemaNS+"."+s.typ.name)
			b.WriteString("/></FunctionImport>\n")
		}
	}
	for _, s := range sets {
		if s.vt != nil {
			metaVirtuals(&b, s)
		}
	}
	b.WriteString("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	return b.Bytes()
}

// metaVirtuals declares a register's virtual tables as 1C does: a FunctionImport per table,
// bindable, without side effects, bound by the type of its bindingParameter (1C writes no
// EntitySet attribute), returning a collection of the register's type (slices) or of a
// complex type (balances and turnovers), with 1C's parameters.
func metaVirtuals(b *bytes.Buffer, s *entitySet) {
	for _, vt := range s.vt.tables {
		ret := s.typ.name
		if t := s.vt.results[vt]; t != nil {
			ret = t.name
		}
		b.WriteString("<FunctionImport")
		xmlAttr(b, "Name", string(vt))
		b.WriteString(` IsBindable="true" IsSideEffecting="false"`)
		xmlAttr(b, "ReturnType", "Collection("+schemaNS+"."+ret+")")
		b.WriteString(`><Parameter Name="bindingParameter"`)
		xmlAttr(b, "Type", schemaNS+"."+s.typ.name)
		b.WriteString("/>")
		for _, p := range vtParams[vt] {
			b.WriteString("<Parameter")
			xmlAttr(b, "Name", p.name)
			xmlAttr(b, "Type", string(p.typ))
			b.WriteString("/>")
		}
		b.WriteString("</FunctionImport>\n")
	}
}

// jsonComplexFeed writes the rows of a virtual table whose type is complex (balances,
// turnovers): {"odata.metadata":"…$metadata#Collection(StandardODATA.T)","value":[…]}, the
// OData v3 shape of a collection of complex values; the rows have no identity or links.
func (rd *renderer) jsonComplexFeed(t *etype, rows []Entity, count *int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if rd.f != fmtJSONNone {
		rd.jsonKV(&b, &first, "odata.metadata")
		jsonString(&b, rd.root+"$metadata#Collection("+schemaNS+"."+t.name+")")
	}
	if count != nil {
		rd.jsonKV(&b, &first, "odata.count")
		jsonString(&b, strconv.Itoa(*count))
	}
	rd.jsonKV(&b, &first, "value")
	b.WriteByte('[')
	for i, e := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		f := true
		for _, p := range t.props {
			if !rd.selected(p) {
				continue
			}
			raw, present := e[p.Name]
			rd.jsonKV(&b, &f, p.Name)
			jsonValue(&b, p, raw, present)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// atomComplexFeed writes the same rows in the OData v3 XML shape of a collection of complex
// values: <d:Balance m:type="Collection(…)"><d:element>…</d:element></d:Balance>.
func (rd *renderer) atomComplexFeed(fn string, t *etype, rows []Entity) []byte {
	var b bytes.Buffer
	ct := schemaNS + "." + t.name
	b.WriteString(xmlDecl + "<d:" + fn + ` xmlns:d="` + nsData + `" xmlns:m="` + nsMeta + `"`)
	xmlAttr(&b, "m:type", "Collection("+ct+")")
	b.WriteString(">")
	for _, e := range rows {
		b.WriteString("<d:element")
		xmlAttr(&b, "m:type", ct)
		b.WriteString(">")
		for _, p := range t.props {
			if !rd.selected(p) {
				continue
			}
			raw, present := e[p.Name]
			atomProp(&b, p, raw, present)
		}
		b.WriteString("</d:element>")
	}
	b.WriteString("</d:" + fn + ">\n")
	return b.Bytes()
}

func isKey(t *etype, p *Property) bool {
	for _, k := range t.keys {
		if k == p {
			return true
		}
	}
	return false
}

func metaProp(b *bytes.Buffer, p *Property, key bool) {
	b.WriteString("<Property")
	xmlAttr(b, "Name", p.Name)
	xmlAttr(b, "Type", string(p.Type))
	if key {
		b.WriteString(` Nullable="false"`)
	} else {
		b.WriteString(` Nullable="true"`)
	}
	if p.MaxLength > 0 {
		xmlAttr(b, "MaxLength", strconv.Itoa(p.MaxLength))
	}
	b.WriteString("/>\n")
}

func itoa(n int) string { return strconv.Itoa(n) }
