package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Namespaces of the WSDL, XML Schema and SOAP vocabularies.
const (
	nsWSDL       = "http://schemas.xmlsoap.org/wsdl/"
	nsSOAPBind   = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsSOAP12Bind = "http://schemas.xmlsoap.org/wsdl/soap12/"
	nsXSD        = "http://www.w3.org/2001/XMLSchema"
	nsXSI        = "http://www.w3.org/2001/XMLSchema-instance"
	nsWSP        = "http://schemas.xmlsoap.org/ws/2004/09/policy"
	nsWSU        = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsWSI        = "http://ws-i.org/schemas/conformanceClaim/"
	nsSOAP11     = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12     = "http://www.w3.org/2003/05/soap-envelope"
	httpTransp   = "http://schemas.xmlsoap.org/soap/http"
	wsiBP11      = "http://ws-i.org/profiles/basic/1.1"
)

// kind is the XML Schema type of an element, as far as the 1C style allows (ONEC.md 2).
type kind int

const (
	kComplex kind = iota
	kString
	kDecimal
	kInt
	kBool
	kDateTime
	kBase64
)

var scalarKinds = map[string]kind{
	"string": kString, "decimal": kDecimal, "int": kInt, "boolean": kBool,
	"dateTime": kDateTime, "base64Binary": kBase64,
}

func (k kind) String() string {
	for n, v := range scalarKinds {
		if v == k {
			return "xs:" + n
		}
	}
	return "complexType"
}

// elemDecl is an xs:element of the schema.
type elemDecl struct {
	Name      string
	Kind      kind
	Type      *complexType // when Kind is kComplex
	Min       int
	Unbounded bool
	Nillable  bool
}

// complexType is a named complexType, or the inline type of an operation's wrapper element.
type complexType struct {
	Name  string
	Elems []*elemDecl
}

func (c *complexType) child(local string) (int, *elemDecl) {
	for i, e := range c.Elems {
		if e.Name == local {
			return i, e
		}
	}
	return -1, nil
}

// opDecl is one operation of a service as its WSDL declares it.
type opDecl struct {
	Name   string
	Action string    // soapAction, identical in both bindings
	Req    *elemDecl // the Op wrapper element
	Resp   *elemDecl // the OpResponse wrapper element
}

// contract is what the facade learns from a service's WSDL.
type contract struct {
	Name, Namespace string
	Ops             map[string]*opDecl
	// parts is the WSDL cut around the address locations: parts[0] loc parts[1] loc … .
	parts [][]byte
}

// node is an element of the parsed WSDL with the namespace prefixes in scope.
type node struct {
	Name       xml.Name
	Attr       map[string]string // unqualified attributes by local name
	QAttr      []xml.Attr        // qualified attributes (not xmlns declarations)
	Decl       map[string]string // xmlns declarations made on this element: prefix → namespace
	Kids       []*node
	scope      map[string]string
	start, end int64 // byte offsets of the start tag
}

func (n *node) kids(space, local string) []*node {
	var out []*node
	for _, k := range n.Kids {
		if k.Name.Space == space && k.Name.Local == local {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) kid(space, local string) *node {
	if ks := n.kids(space, local); len(ks) == 1 {
		return ks[0]
	}
	return nil
}

// qname resolves a QName attribute value such as "tns:Item" or "xs:string".
func (n *node) qname(v string) (xml.Name, bool) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	ns, ok := n.scope[prefix]
	return xml.Name{Space: ns, Local: local}, ok
}

func parseTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{Name: t.Name, Attr: map[string]string{}, Decl: map[string]string{}, start: start, end: d.InputOffset()}
			parentScope := map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}
			if len(stack) > 0 {
				parentScope = stack[len(stack)-1].scope
			}
			n.scope = parentScope
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.Decl[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.Decl[""] = a.Value
				case a.Name.Space == "":
					n.Attr[a.Name.Local] = a.Value
				default:
					n.QAttr = append(n.QAttr, a)
				}
			}
			if len(n.Decl) > 0 {
				n.scope = make(map[string]string, len(parentScope)+len(n.Decl))
				for k, v := range parentScope {
					n.scope[k] = v
				}
				for k, v := range n.Decl {
					n.scope[k] = v
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.Directive:
			return nil, errors.New("DTD is not allowed")
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// lint collects violations of the 1C style instead of stopping at the first.
type lint []string

func (l *lint) add(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }

// parseContract checks a WSDL against the 1C style of ONEC.md 1–5 and returns the model the
// facade serves and dispatches by.
func parseContract(data []byte) (*contract, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("soap: WSDL does not parse: %w", err)
	}
	var l lint
	c := &contract{Ops: map[string]*opDecl{}}

	// ONEC 1: the root and its prefixes.
	if root.Name != (xml.Name{Space: nsWSDL, Local: "definitions"}) || root.Decl[""] != nsWSDL {
		l.add("root must be <definitions xmlns=%q>", nsWSDL)
	}
	c.Name, c.Namespace = root.Attr["name"], root.Attr["targetNamespace"]
	if c.Name == "" || c.Namespace == "" {
		l.add("definitions needs name and targetNamespace")
	}
	for prefix, want := range map[string]string{
		"soapbind": nsSOAPBind, "soap12bind": nsSOAP12Bind, "tns": c.Namespace, "xsd1": c.Namespace,
		"xsd": nsXSD, "wsp": nsWSP, "wsu": nsWSU,
	} {
		if root.Decl[prefix] != want {
			l.add("definitions must declare xmlns:%s=%q", prefix, want)
		}
	}

	// ONEC 2: one inline schema in the 1C subset.
	var schemaNode *node
	if types := root.kid(nsWSDL, "types"); types == nil {
		l.add("exactly one <types> is required")
	} else if schemas := types.kids(nsXSD, "schema"); len(schemas) != 1 || len(types.Kids) != 1 {
		l.add("<types> must hold exactly one xs:schema")
	} else {
		schemaNode = schemas[0]
	}
	elements := map[string]*elemDecl{}
	if schemaNode != nil {
		elements = parseSchema(schemaNode, c.Namespace, &l)
	}

	// ONEC 3 and 4: wrapped operations, messages, portType, bindings.
	portType := root.kid(nsWSDL, "portType")
	if portType == nil || portType.Attr["name"] != c.Name+"PortType" {
		l.add("exactly one portType named %sPortType is required", c.Name)
	} else {
		for _, op := range portType.kids(nsWSDL, "operation") {
			if d := parseOperation(root, op, c, elements, &l); d != nil {
				c.Ops[d.Name] = d
			}
		}
		if len(c.Ops) == 0 {
			l.add("the portType declares no operation")
		}
	}
	checkBinding(root, c, nsSOAPBind, "SoapBinding", &l)
	checkBinding(root, c, nsSOAP12Bind, "Soap12Binding", &l)

	// ONEC 5: the service, its two ports and their address placeholders.
	c.parts = checkService(data, root, c, &l)

	if len(l) > 0 {
		return nil, fmt.Errorf("soap: WSDL %q breaks the 1C style: %s", c.Name, strings.Join(l, "; "))
	}
	return c, nil
}

var allowedXSD = map[string]bool{
	"schema": true, "complexType": true, "sequence": true, "element": true,
	"annotation": true, "documentation": true,
}

func parseSchema(s *node, ns string, l *lint) map[string]*elemDecl {
	if s.Attr["targetNamespace"] != ns {
		l.add("xs:schema targetNamespace must be %q", ns)
	}
	if s.Attr["elementFormDefault"] != "qualified" || s.Attr["attributeFormDefault"] != "unqualified" {
		l.add(`xs:schema needs elementFormDefault="qualified" attributeFormDefault="unqualified"`)
	}
	var walk func(n *node)
	walk = func(n *node) {
		if n.Name.Space == nsXSD && !allowedXSD[n.Name.Local] {
			l.add("xs:%s is not allowed in the 1C style", n.Name.Local)
		}
		if n.Name.Space == nsXSD && n.Name.Local == "documentation" {
			return
		}
		if n.Name.Space != nsXSD {
			l.add("foreign element %s in the schema", n.Name.Local)
		}
		for _, k := range n.Kids {
			walk(k)
		}
	}
	for _, k := range s.Kids {
		walk(k)
	}

	types := map[string]*complexType{}
	typeNodes := map[string]*node{}
	for _, ct := range s.kids(nsXSD, "complexType") {
		name := ct.Attr["name"]
		if name == "" || types[name] != nil {
			l.add("complexType needs a unique name")
			continue
		}
		types[name] = &complexType{Name: name}
		typeNodes[name] = ct
	}
	for name, ct := range typeNodes {
		types[name].Elems = parseSequence(ct, ns, types, l, name)
	}
	elements := map[string]*elemDecl{}
	for _, el := range s.kids(nsXSD, "element") {
		name := el.Attr["name"]
		if name == "" || elements[name] != nil {
			l.add("global element needs a unique name")
			continue
		}
		if inline := el.kid(nsXSD, "complexType"); inline != nil {
			elements[name] = &elemDecl{Name: name, Min: 1, Type: &complexType{Elems: parseSequence(inline, ns, types, l, name)}}
			continue
		}
		if d := parseElement(el, ns, types, l, "schema"); d != nil {
			elements[name] = d
		}
	}
	for _, t := range types {
		if cycle := requiredCycle(t, map[*complexType]bool{}); cycle {
			l.add("complexType %s contains itself through required elements", t.Name)
		}
	}
	return elements
}

// requiredCycle reports whether t reaches itself through required elements: such a type
// has no finite instance, and the encoder would loop writing its zero value.
func requiredCycle(t *complexType, seen map[*complexType]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	defer delete(seen, t)
	for _, e := range t.Elems {
		if e.Kind == kComplex && e.Min > 0 && e.Type != nil && requiredCycle(e.Type, seen) {
			return true
		}
	}
	return false
}

func parseSequence(ct *node, ns string, types map[string]*complexType, l *lint, owner string) []*elemDecl {
	if len(ct.Attr) > 0 && !(len(ct.Attr) == 1 && ct.Attr["name"] != "") {
		l.add("complexType %s: attributes other than name are not allowed", owner)
	}
	seqs := ct.kids(nsXSD, "sequence")
	if len(seqs) != 1 {
		l.add("complexType %s must hold one xs:sequence", owner)
		return nil
	}
	var out []*elemDecl
	seen := map[string]bool{}
	for _, el := range seqs[0].kids(nsXSD, "element") {
		d := parseElement(el, ns, types, l, owner)
		if d == nil {
			continue
		}
		if seen[d.Name] {
			l.add("%s: element %s declared twice", owner, d.Name)
		}
		seen[d.Name] = true
		out = append(out, d)
	}
	return out
}

func parseElement(el *node, ns string, types map[string]*complexType, l *lint, owner string) *elemDecl {
	d := &elemDecl{Name: el.Attr["name"], Min: 1}
	for a := range el.Attr {
		switch a {
		case "name", "type", "minOccurs", "maxOccurs", "nillable":
		default:
			l.add("%s: attribute %s of element %s is not allowed", owner, a, d.Name)
		}
	}
	if d.Name == "" {
		l.add("%s: element without a name", owner)
		return nil
	}
	if len(el.Kids) > 0 {
		l.add("%s.%s: anonymous types are allowed only on operation wrappers", owner, d.Name)
		return nil
	}
	qn, ok := el.qname(el.Attr["type"])
	switch {
	case !ok:
		l.add("%s.%s: type %q does not resolve", owner, d.Name, el.Attr["type"])
		return nil
	case qn.Space == nsXSD:
		k, ok := scalarKinds[qn.Local]
		if !ok {
			l.add("%s.%s: xs:%s is not a 1C-style scalar (string, decimal, int, boolean, dateTime, base64Binary)", owner, d.Name, qn.Local)
			return nil
		}
		d.Kind = k
	case qn.Space == ns && types[qn.Local] != nil:
		d.Type = types[qn.Local]
	default:
		l.add("%s.%s: unknown type %q", owner, d.Name, el.Attr["type"])
		return nil
	}
	if v, ok := el.Attr["minOccurs"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1 {
			l.add("%s.%s: minOccurs must be 0 or 1", owner, d.Name)
		}
		d.Min = n
	}
	switch v := el.Attr["maxOccurs"]; v {
	case "", "1":
	case "unbounded":
		d.Unbounded = true
	default:
		l.add("%s.%s: maxOccurs must be 1 or unbounded", owner, d.Name)
	}
	switch v := el.Attr["nillable"]; v {
	case "", "false":
	case "true":
		d.Nillable = true
	default:
		l.add("%s.%s: nillable must be true or false", owner, d.Name)
	}
	if d.Unbounded && d.Min != 0 {
		l.add(`%s.%s: a list item needs minOccurs="0" maxOccurs="unbounded"`, owner, d.Name)
	}
	if d.Min == 0 && !d.Unbounded && !d.Nillable {
		l.add(`%s.%s: an optional element needs nillable="true" minOccurs="0"`, owner, d.Name)
	}
	return d
}

func parseOperation(root, op *node, c *contract, elements map[string]*elemDecl, l *lint) *opDecl {
	name := op.Attr["name"]
	d := &opDecl{Name: name, Req: elements[name], Resp: elements[name+"Response"]}
	if d.Req == nil || d.Req.Type == nil || d.Req.Type.Name != "" {
		l.add("operation %s needs a wrapper element %s with an inline complexType", name, name)
		return nil
	}
	if d.Resp == nil || d.Resp.Type == nil || d.Resp.Type.Name != "" {
		l.add("operation %s needs a wrapper element %sResponse with an inline complexType", name, name)
		return nil
	}
	if els := d.Resp.Type.Elems; len(els) == 0 || els[0].Name != "return" {
		l.add("%sResponse must start with the element return", name)
	}
	in, out := op.kid(nsWSDL, "input"), op.kid(nsWSDL, "output")
	if in == nil || out == nil || len(op.Kids) != 2 {
		l.add("operation %s needs exactly one input and one output", name)
		return nil
	}
	for _, m := range []struct {
		ref     *node
		message string
		element string
	}{{in, name + "RequestMessage", name}, {out, name + "ResponseMessage", name + "Response"}} {
		if qn, ok := m.ref.qname(m.ref.Attr["message"]); !ok || qn != (xml.Name{Space: c.Namespace, Local: m.message}) {
			l.add("operation %s must use message tns:%s", name, m.message)
		}
		var msg *node
		for _, n := range root.kids(nsWSDL, "message") {
			if n.Attr["name"] == m.message {
				msg = n
			}
		}
		parts := []*node(nil)
		if msg != nil {
			parts = msg.kids(nsWSDL, "part")
		}
		if len(parts) != 1 || parts[0].Attr["name"] != "parameters" {
			l.add(`message %s needs one part name="parameters"`, m.message)
			continue
		}
		if qn, ok := parts[0].qname(parts[0].Attr["element"]); !ok || qn != (xml.Name{Space: c.Namespace, Local: m.element}) {
			l.add("message %s must carry element tns:%s", m.message, m.element)
		}
	}
	d.Action = c.Namespace + "#" + c.Name + ":" + name
	return d
}

func checkBinding(root *node, c *contract, ns, suffix string, l *lint) {
	var b *node
	for _, n := range root.kids(nsWSDL, "binding") {
		if n.Attr["name"] == c.Name+suffix {
			b = n
		}
	}
	if b == nil {
		l.add("binding %s%s is missing", c.Name, suffix)
		return
	}
	if qn, ok := b.qname(b.Attr["type"]); !ok || qn != (xml.Name{Space: c.Namespace, Local: c.Name + "PortType"}) {
		l.add("binding %s%s must have type tns:%sPortType", c.Name, suffix, c.Name)
	}
	sb := b.kid(ns, "binding")
	if sb == nil || sb.Attr["style"] != "document" || sb.Attr["transport"] != httpTransp {
		l.add("binding %s%s needs style=\"document\" transport=%q", c.Name, suffix, httpTransp)
	}
	seen := 0
	for _, op := range b.kids(nsWSDL, "operation") {
		name := op.Attr["name"]
		d := c.Ops[name]
		if d == nil {
			l.add("binding %s%s: operation %s is not in the portType", c.Name, suffix, name)
			continue
		}
		seen++
		so := op.kid(ns, "operation")
		if so == nil || so.Attr["soapAction"] != d.Action || so.Attr["style"] != "document" {
			l.add("binding %s%s: operation %s needs style=\"document\" soapAction=%q", c.Name, suffix, name, d.Action)
		}
		for _, dir := range []string{"input", "output"} {
			io := op.kid(nsWSDL, dir)
			if io == nil || io.kid(ns, "body") == nil || io.kid(ns, "body").Attr["use"] != "literal" {
				l.add("binding %s%s: %s %s needs body use=\"literal\"", c.Name, suffix, name, dir)
			}
		}
	}
	if seen != len(c.Ops) {
		l.add("binding %s%s must bind every operation", c.Name, suffix)
	}
}

func checkService(data []byte, root *node, c *contract, l *lint) [][]byte {
	svcs := root.kids(nsWSDL, "service")
	if len(svcs) != 1 || svcs[0].Attr["name"] != c.Name {
		l.add("exactly one service named %s is required", c.Name)
		return nil
	}
	ports := svcs[0].kids(nsWSDL, "port")
	if len(ports) != 2 {
		l.add("service %s needs the ports %sSoap and %sSoap12", c.Name, c.Name, c.Name)
		return nil
	}
	var addrs []*node
	for i, p := range []struct{ suffix, ns string }{{"Soap", nsSOAPBind}, {"Soap12", nsSOAP12Bind}} {
		port := ports[i]
		if port.Attr["name"] != c.Name+p.suffix {
			l.add("port %d must be %s%s", i+1, c.Name, p.suffix)
		}
		want := xml.Name{Space: c.Namespace, Local: c.Name + p.suffix + "Binding"}
		if qn, ok := port.qname(port.Attr["binding"]); !ok || qn != want {
			l.add("port %s%s must use binding tns:%s", c.Name, p.suffix, want.Local)
		}
		if p.suffix == "Soap" {
			doc := port.kid(nsWSDL, "documentation")
			var claim *node
			if doc != nil {
				claim = doc.kid(nsWSI, "Claim")
			}
			if claim == nil || claim.Attr["conformsTo"] != wsiBP11 {
				l.add("port %sSoap needs the WS-I Basic Profile 1.1 claim in its documentation", c.Name)
			}
		}
		addr := port.kid(p.ns, "address")
		if addr == nil || addr.Attr["location"] == "" {
			l.add("port %s%s needs an address with a location", c.Name, p.suffix)
			continue
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) != 2 {
		return nil
	}
	// Cut the document around both location values so that serving it is a concatenation.
	var parts [][]byte
	last := 0
	for _, a := range addrs {
		tag := data[a.start:a.end]
		i := bytes.Index(tag, []byte(`location="`))
		if i < 0 {
			l.add("address location must be written in double quotes")
			return nil
		}
		from := int(a.start) + i + len(`location="`)
		to := from + bytes.IndexByte(data[from:], '"')
		parts = append(parts, data[last:from])
		last = to
	}
	return append(parts, data[last:])
}

// render returns the WSDL with location as the address of both ports.
func (c *contract) render(location string) []byte {
	loc := escapeAttr(location)
	n := len(loc) * (len(c.parts) - 1)
	for _, p := range c.parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for i, p := range c.parts {
		if i > 0 {
			out = append(out, loc...)
		}
		out = append(out, p...)
	}
	return out
}
