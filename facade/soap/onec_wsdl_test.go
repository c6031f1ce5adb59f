package soap_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/wsdl"
)

// The WSDL is parsed here with encoding/xml and structs of the tests' own, independently of
// the facade's parser, and checked against ONEC.md 1–5 point by point.

const (
	nsWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	nsBind   = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsBind12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
	nsXS     = "http://www.w3.org/2001/XMLSchema"
)

type wsdlDoc struct {
	XMLName  xml.Name
	Name     string     `xml:"name,attr"`
	TNS      string     `xml:"targetNamespace,attr"`
	Attrs    []xml.Attr `xml:",any,attr"`
	Types    []wTypes   `xml:"http://schemas.xmlsoap.org/wsdl/ types"`
	Messages []struct {
		Name  string `xml:"name,attr"`
		Parts []struct {
			Name    string `xml:"name,attr"`
			Element string `xml:"element,attr"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ part"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/ message"`
	PortTypes []struct {
		Name string `xml:"name,attr"`
		Ops  []struct {
			Name   string `xml:"name,attr"`
			Input  wRef   `xml:"http://schemas.xmlsoap.org/wsdl/ input"`
			Output wRef   `xml:"http://schemas.xmlsoap.org/wsdl/ output"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ operation"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/ portType"`
	Bindings []wBinding `xml:"http://schemas.xmlsoap.org/wsdl/ binding"`
	Services []struct {
		Name  string `xml:"name,attr"`
		Ports []struct {
			Name    string `xml:"name,attr"`
			Binding string `xml:"binding,attr"`
			Doc     struct {
				Claim struct {
					XMLName    xml.Name
					ConformsTo string `xml:"conformsTo,attr"`
				} `xml:"http://ws-i.org/schemas/conformanceClaim/ Claim"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/ documentation"`
			Addr11 *wAddr `xml:"http://schemas.xmlsoap.org/wsdl/soap/ address"`
			Addr12 *wAddr `xml:"http://schemas.xmlsoap.org/wsdl/soap12/ address"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ port"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/ service"`
}

type wTypes struct {
	Schemas []xsSchema `xml:"http://www.w3.org/2001/XMLSchema schema"`
	Other   []struct {
		XMLName xml.Name
	} `xml:",any"`
}

type xsSchema struct {
	TNS          string      `xml:"targetNamespace,attr"`
	ElementForm  string      `xml:"elementFormDefault,attr"`
	AttrForm     string      `xml:"attributeFormDefault,attr"`
	ComplexTypes []xsComplex `xml:"http://www.w3.org/2001/XMLSchema complexType"`
	Elements     []xsElement `xml:"http://www.w3.org/2001/XMLSchema element"`
	Inner        []byte      `xml:",innerxml"`
}

type xsComplex struct {
	Name     string `xml:"name,attr"`
	Sequence *struct {
		Elements []xsElement `xml:"http://www.w3.org/2001/XMLSchema element"`
	} `xml:"http://www.w3.org/2001/XMLSchema sequence"`
}

type xsElement struct {
	Name      string     `xml:"name,attr"`
	Type      string     `xml:"type,attr"`
	MinOccurs string     `xml:"minOccurs,attr"`
	MaxOccurs string     `xml:"maxOccurs,attr"`
	Nillable  string     `xml:"nillable,attr"`
	Complex   *xsComplex `xml:"http://www.w3.org/2001/XMLSchema complexType"`
}

type wRef struct {
	Message string `xml:"message,attr"`
}

type wBinding struct {
	Name string        `xml:"name,attr"`
	Type string        `xml:"type,attr"`
	B11  *wSoapBinding `xml:"http://schemas.xmlsoap.org/wsdl/soap/ binding"`
	B12  *wSoapBinding `xml:"http://schemas.xmlsoap.org/wsdl/soap12/ binding"`
	Ops  []struct {
		Name string   `xml:"name,attr"`
		Op11 *wSoapOp `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
		Op12 *wSoapOp `xml:"http://schemas.xmlsoap.org/wsdl/soap12/ operation"`
		In   wBody    `xml:"http://schemas.xmlsoap.org/wsdl/ input"`
		Out  wBody    `xml:"http://schemas.xmlsoap.org/wsdl/ output"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/ operation"`
}

type wSoapBinding struct {
	Style     string `xml:"style,attr"`
	Transport string `xml:"transport,attr"`
}

type wSoapOp struct {
	Style      string `xml:"style,attr"`
	SoapAction string `xml:"soapAction,attr"`
}

type wBody struct {
	Body11 *struct {
		Use string `xml:"use,attr"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ body"`
	Body12 *struct {
		Use string `xml:"use,attr"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/soap12/ body"`
}

type wAddr struct {
	Location string `xml:"location,attr"`
}

// served fetches and parses the WSDL of a service from a running facade.
func served(t *testing.T, srv string, name string) (*wsdlDoc, string) {
	t.Helper()
	r := do(t, "GET", srv+"/ws/"+name+"?wsdl", "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s?wsdl: %d\n%s", name, r.status, r.body)
	}
	var d wsdlDoc
	if err := xml.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatalf("WSDL of %s does not parse: %v", name, err)
	}
	return &d, r.body
}

// services are the WSDLs under test: the published Hub and the test Probe (which has every
// scalar, a list, optional fields and an out-parameter).
var services = []struct{ name, ns string }{{"Hub", hubNS}, {"Probe", probeNS}}

func TestONEC01_DefinitionsRoot(t *testing.T) {
	srv := server(t, nil)
	for _, s := range services {
		d, _ := served(t, srv.URL, s.name)
		if d.XMLName != (xml.Name{Space: nsWSDL, Local: "definitions"}) || d.Name != s.name || d.TNS != s.ns {
			t.Errorf("%s: root %v name=%q targetNamespace=%q", s.name, d.XMLName, d.Name, d.TNS)
		}
		decl := map[string]string{}
		for _, a := range d.Attrs {
			if a.Name.Space == "xmlns" {
				decl[a.Name.Local] = a.Value
			} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
				decl[""] = a.Value
			}
		}
		for prefix, want := range map[string]string{
			"": nsWSDL, "soapbind": nsBind, "soap12bind": nsBind12, "tns": s.ns, "xsd1": s.ns, "xsd": nsXS,
			"wsp": "http://schemas.xmlsoap.org/ws/2004/09/policy",
			"wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
		} {
			if decl[prefix] != want {
				t.Errorf("%s: xmlns:%s = %q, want %q", s.name, prefix, decl[prefix], want)
			}
		}
	}
}

func TestONEC02_OneInlineSchemaIn1CStyle(t *testing.T) {
	srv := server(t, nil)
	scalars := map[string]bool{"xs:string": true, "xs:decimal": true, "xs:int": true, "xs:boolean": true, "xs:dateTime": true, "xs:base64Binary": true}
	for _, s := range services {
		d, _ := served(t, srv.URL, s.name)
		if len(d.Types) != 1 || len(d.Types[0].Schemas) != 1 || len(d.Types[0].Other) != 0 {
			t.Fatalf("%s: want exactly one inline xs:schema", s.name)
		}
		sc := d.Types[0].Schemas[0]
		if sc.TNS != s.ns || sc.ElementForm != "qualified" || sc.AttrForm != "unqualified" {
			t.Errorf("%s: schema tns=%q elementFormDefault=%q attributeFormDefault=%q", s.name, sc.TNS, sc.ElementForm, sc.AttrForm)
		}
		for _, banned := range []string{"import", "include", "choice", "attribute", "all", "any", "simpleType", "complexContent", "simpleContent", "encoding"} {
			if bytes.Contains(sc.Inner, []byte("xs:"+banned+" ")) || bytes.Contains(sc.Inner, []byte("xs:"+banned+">")) || bytes.Contains(sc.Inner, []byte("xs:"+banned+"/")) {
				t.Errorf("%s: schema uses xs:%s", s.name, banned)
			}
		}
		named := map[string]bool{}
		for _, ct := range sc.ComplexTypes {
			if ct.Name == "" || ct.Sequence == nil {
				t.Errorf("%s: complexType %q is not a named sequence", s.name, ct.Name)
				continue
			}
			named["tns:"+ct.Name] = true
		}
		check := func(owner string, e xsElement) {
			if !scalars[e.Type] && !named[e.Type] {
				t.Errorf("%s: %s.%s has type %q, not a 1C-style scalar or named complexType", s.name, owner, e.Name, e.Type)
			}
			switch {
			case e.MaxOccurs == "unbounded":
				if e.MinOccurs != "0" {
					t.Errorf("%s: list item %s.%s needs minOccurs=0", s.name, owner, e.Name)
				}
			case e.MinOccurs == "0":
				if e.Nillable != "true" {
					t.Errorf("%s: optional %s.%s needs nillable=true", s.name, owner, e.Name)
				}
			}
		}
		lists := 0
		for _, ct := range sc.ComplexTypes {
			for _, e := range ct.Sequence.Elements {
				check(ct.Name, e)
				if e.MaxOccurs == "unbounded" {
					lists++
					if len(ct.Sequence.Elements) != 1 {
						t.Errorf("%s: list wrapper %s must hold only its item", s.name, ct.Name)
					}
				}
			}
		}
		if lists == 0 {
			t.Errorf("%s: no list wrapper type", s.name)
		}
		for _, e := range sc.Elements {
			if e.Complex != nil && e.Complex.Sequence != nil {
				for _, c := range e.Complex.Sequence.Elements {
					check(e.Name, c)
				}
			}
		}
	}
	// The facade refuses WSDLs that leave the style.
	for name, edit := range map[string][2]string{
		"import":        {`<xs:complexType name="ServiceVersion">`, `<xs:import namespace="urn:x"/><xs:complexType name="ServiceVersion">`},
		"choice":        {"<xs:sequence>\n\t\t\t\t\t<xs:element name=\"Code\" type=\"xs:string\"/>\n\t\t\t\t\t<xs:element name=\"Message\" type=\"xs:string\"/>\n\t\t\t\t</xs:sequence>", "<xs:choice>\n\t\t\t\t\t<xs:element name=\"Code\" type=\"xs:string\"/>\n\t\t\t\t\t<xs:element name=\"Message\" type=\"xs:string\"/>\n\t\t\t\t</xs:choice>"},
		"attribute":     {`</xs:complexType>`, `<xs:attribute name="a" type="xs:string"/></xs:complexType>`},
		"double":        {`name="Version" type="xs:string"`, `name="Version" type="xs:double"`},
		"optional":      {`name="Version" type="xs:string"`, `name="Version" type="xs:string" minOccurs="0"`},
		"list item min": {`minOccurs="0" maxOccurs="unbounded"`, `maxOccurs="unbounded"`},
		"element form":  {`elementFormDefault="qualified"`, `elementFormDefault="unqualified"`},
		"second schema": {`</types>`, `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/></types>`},
		"rpc style":     {`<soapbind:binding style="document"`, `<soapbind:binding style="rpc"`},
		"encoded":       {`<soapbind:body use="literal"/>`, `<soapbind:body use="encoded"/>`},
		"action":        {`soapAction="http://stykovka.ru/hub#Hub:Ping"`, `soapAction="Ping"`},
		"part name":     {`<part name="parameters" element="tns:Ping"/>`, `<part name="body" element="tns:Ping"/>`},
		"no return":     {`<xs:element name="return" type="xs:string"/>`, `<xs:element name="result" type="xs:string"/>`},
		"no WS-I claim": {`conformsTo="http://ws-i.org/profiles/basic/1.1"`, `conformsTo="x"`},
		"port name":     {`<port name="HubSoap12"`, `<port name="HubSoap2"`},
		"prefix xsd1":   {`xmlns:xsd1="http://stykovka.ru/hub"`, ``},
		"doctype":       {`<definitions`, `<!DOCTYPE definitions><definitions`},
	} {
		broken := strings.Replace(string(wsdl.Hub), edit[0], edit[1], 1)
		if broken == string(wsdl.Hub) {
			t.Fatalf("%s: edit did not apply", name)
		}
		if _, err := soap.NewService([]byte(broken), "1.0", hubOps()); err == nil {
			t.Errorf("%s: NewService accepted a WSDL out of the 1C style", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := soap.NewService(wsdl.Hub, "1.0", hubOps()); err != nil {
		t.Fatalf("Hub.wsdl: %v", err)
	}
}

// hubOps are do-nothing operations for WSDL checks.
func hubOps() map[string]soap.Operation {
	nop := func(context.Context, *soap.Call) (any, error) { return nil, nil }
	return map[string]soap.Operation{"Ping": nop, "GetVersions": nop, "GetRetention": nop, "SetRetention": nop}
}

func TestONEC03_DocumentLiteralWrapped(t *testing.T) {
	srv := server(t, nil)
	for _, s := range services {
		d, _ := served(t, srv.URL, s.name)
		els := map[string]xsElement{}
		for _, e := range d.Types[0].Schemas[0].Elements {
			els[e.Name] = e
		}
		for _, op := range d.PortTypes[0].Ops {
			req, ok := els[op.Name]
			if !ok || req.Complex == nil || req.Complex.Sequence == nil || req.Type != "" {
				t.Errorf("%s.%s: no wrapper element with an inline sequence", s.name, op.Name)
			}
			resp, ok := els[op.Name+"Response"]
			if !ok || resp.Complex == nil || resp.Complex.Sequence == nil || len(resp.Complex.Sequence.Elements) == 0 ||
				resp.Complex.Sequence.Elements[0].Name != "return" {
				t.Errorf("%s.%s: %sResponse does not start with return", s.name, op.Name, op.Name)
			}
		}
		if s.name == "Hub" {
			// Ping has no parameters: an empty sequence.
			if ping := els["Ping"]; ping.Complex == nil || ping.Complex.Sequence == nil || len(ping.Complex.Sequence.Elements) != 0 {
				t.Errorf("Hub.Ping must be <xs:sequence/>")
			}
		}
	}
	// An out-parameter follows return as its sibling, on the wire too.
	r := call(t, srv.URL+"/ws/Probe", 12, `<m:Echo xmlns:m="`+probeNS+`"><m:Record><m:Text>x</m:Text><m:Amount>1</m:Amount><m:When>0001-01-01T00:00:00</m:When><m:Flag>true</m:Flag><m:Count>1</m:Count><m:Data/><m:Lines><m:Item><m:Name>a</m:Name><m:Amount>2</m:Amount></m:Item></m:Lines><m:Total>0</m:Total></m:Record></m:Echo>`)
	if r.status != 200 {
		t.Fatalf("Echo: %d\n%s", r.status, r.body)
	}
	mustContain(t, r.body, `</m:return><m:LineCount xmlns:xs="`+nsXS+`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">1</m:LineCount></m:EchoResponse>`)
}

func TestONEC04_MessagesPortTypeBindings(t *testing.T) {
	srv := server(t, nil)
	for _, s := range services {
		d, _ := served(t, srv.URL, s.name)
		msgs := map[string]string{}
		for _, m := range d.Messages {
			if len(m.Parts) != 1 || m.Parts[0].Name != "parameters" {
				t.Errorf("%s: message %s needs one part named parameters", s.name, m.Name)
				continue
			}
			msgs[m.Name] = m.Parts[0].Element
		}
		if len(d.PortTypes) != 1 || d.PortTypes[0].Name != s.name+"PortType" {
			t.Fatalf("%s: portType must be %sPortType", s.name, s.name)
		}
		ops := d.PortTypes[0].Ops
		for _, op := range ops {
			if op.Input.Message != "tns:"+op.Name+"RequestMessage" || op.Output.Message != "tns:"+op.Name+"ResponseMessage" {
				t.Errorf("%s.%s: messages %q/%q", s.name, op.Name, op.Input.Message, op.Output.Message)
			}
			if msgs[op.Name+"RequestMessage"] != "tns:"+op.Name || msgs[op.Name+"ResponseMessage"] != "tns:"+op.Name+"Response" {
				t.Errorf("%s.%s: message parts carry %q/%q", s.name, op.Name, msgs[op.Name+"RequestMessage"], msgs[op.Name+"ResponseMessage"])
			}
		}
		if len(d.Bindings) != 2 {
			t.Fatalf("%s: want 2 bindings", s.name)
		}
		for i, b := range d.Bindings {
			sb, want := b.B11, s.name+"SoapBinding"
			if i == 1 {
				sb, want = b.B12, s.name+"Soap12Binding"
			}
			if b.Name != want || b.Type != "tns:"+s.name+"PortType" || sb == nil ||
				sb.Style != "document" || sb.Transport != "http://schemas.xmlsoap.org/soap/http" {
				t.Errorf("%s: binding %d is %+v", s.name, i, b)
				continue
			}
			if len(b.Ops) != len(ops) {
				t.Errorf("%s: binding %s binds %d of %d operations", s.name, b.Name, len(b.Ops), len(ops))
			}
			for _, op := range b.Ops {
				so := op.Op11
				in, out := op.In.Body11, op.Out.Body11
				if i == 1 {
					so, in, out = op.Op12, op.In.Body12, op.Out.Body12
				}
				if so == nil || so.Style != "document" || so.SoapAction != s.ns+"#"+s.name+":"+op.Name {
					t.Errorf("%s: %s.%s soapAction %+v", s.name, b.Name, op.Name, so)
				}
				if in == nil || out == nil || in.Use != "literal" || out.Use != "literal" {
					t.Errorf("%s: %s.%s is not use=literal", s.name, b.Name, op.Name)
				}
			}
		}
	}
}

func TestONEC05_ServicePortsAndLocation(t *testing.T) {
	srv := server(t, nil)
	for _, s := range services {
		d, _ := served(t, srv.URL, s.name)
		if len(d.Services) != 1 || d.Services[0].Name != s.name || len(d.Services[0].Ports) != 2 {
			t.Fatalf("%s: service %+v", s.name, d.Services)
		}
		p11, p12 := d.Services[0].Ports[0], d.Services[0].Ports[1]
		if p11.Name != s.name+"Soap" || p11.Binding != "tns:"+s.name+"SoapBinding" || p11.Addr11 == nil {
			t.Errorf("%s: SOAP 1.1 port %+v", s.name, p11)
		}
		if p11.Doc.Claim.XMLName.Space != "http://ws-i.org/schemas/conformanceClaim/" || p11.Doc.Claim.ConformsTo != "http://ws-i.org/profiles/basic/1.1" {
			t.Errorf("%s: no WS-I Basic Profile 1.1 claim: %+v", s.name, p11.Doc.Claim)
		}
		if p12.Name != s.name+"Soap12" || p12.Binding != "tns:"+s.name+"Soap12Binding" || p12.Addr12 == nil {
			t.Fatalf("%s: SOAP 1.2 port %+v", s.name, p12)
		}
		want := srv.URL + "/ws/" + s.name
		if p11.Addr11.Location != want || p12.Addr12.Location != want {
			t.Errorf("%s: locations %q, %q, want %q", s.name, p11.Addr11.Location, p12.Addr12.Location, want)
		}
	}

	// The location comes from configuration, or from the proxy in front of the hub.
	locate := func(srvURL string, hdr ...string) string {
		r := do(t, "GET", srvURL+"/ws/Hub?wsdl", "", "", hdr...)
		var d wsdlDoc
		if err := xml.Unmarshal([]byte(r.body), &d); err != nil {
			t.Fatal(err)
		}
		p := d.Services[0].Ports
		if p[0].Addr11.Location != p[1].Addr12.Location {
			t.Fatalf("ports disagree: %q, %q", p[0].Addr11.Location, p[1].Addr12.Location)
		}
		return p[0].Addr11.Location
	}
	for _, c := range []struct {
		name string
		hdr  []string
		want string
	}{
		{"x-forwarded", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "hub.example.ru, proxy.local", "X-Forwarded-Prefix", "/stykovka/"}, "https://hub.example.ru/stykovka/ws/Hub"},
		{"forwarded", []string{"Forwarded", `for=10.0.0.1;proto=https;host="hub.example.ru:8443", for=10.0.0.2`}, "https://hub.example.ru:8443/ws/Hub"},
		{"api gateway stage", []string{"X-GoLambdaProxy-ApiGatewayContext", `{"stage":"prod","domainName":"abc123.execute-api.eu-central-1.amazonaws.com"}`}, "https://abc123.execute-api.eu-central-1.amazonaws.com/prod/ws/Hub"},
		{"api gateway default stage", []string{"X-GoLambdaProxy-ApiGatewayContext", `{"stage":"$default","domainName":"abc123.execute-api.eu-central-1.amazonaws.com"}`}, "https://abc123.execute-api.eu-central-1.amazonaws.com/ws/Hub"},
		{"api gateway custom domain", []string{"X-GoLambdaProxy-ApiGatewayContext", `{"stage":"prod","domainName":"hub.example.ru"}`}, "https://hub.example.ru/ws/Hub"},
		{"forged values ignored", []string{"X-Forwarded-Proto", "javascript", "X-Forwarded-Host", `evil"><x`, "X-Forwarded-Prefix", "/a b"}, srv.URL + "/ws/Hub"},
	} {
		if got := locate(srv.URL, c.hdr...); got != c.want {
			t.Errorf("%s: location %q, want %q", c.name, got, c.want)
		}
	}
	configured := server(t, func(o *soap.Options) { o.PublicURL = "https://hub.example.ru/base/" })
	if got := locate(configured.URL, "X-Forwarded-Host", "other.example.ru"); got != "https://hub.example.ru/base/ws/Hub" {
		t.Errorf("PublicURL: location %q", got)
	}

	// The same bytes at every WSDL URL.
	var first string
	for _, path := range []string{"/ws/Hub?wsdl", "/ws/Hub?WSDL", "/ws/Hub.1cws?wsdl", "/ws/Hub.1cws?WSDL"} {
		r := do(t, "GET", srv.URL+path, "", "")
		if r.status != 200 || r.header.Get("Content-Type") != "text/xml; charset=utf-8" {
			t.Fatalf("GET %s: %d %q", path, r.status, r.header.Get("Content-Type"))
		}
		if first == "" {
			first = r.body
		} else if r.body != first {
			t.Errorf("GET %s differs from GET /ws/Hub?wsdl", path)
		}
	}
	if !strings.HasPrefix(first, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("WSDL does not start with the XML declaration")
	}
	if r := do(t, "GET", srv.URL+"/ws/Nothing?wsdl", "", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown service: %d", r.status)
	}
}
