package soap

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"strings"

	"github.com/stykovka/stykovka/internal/apperr"
)

// version is a SOAP version: the envelope namespace and the media type it travels as.
type version struct {
	ns          string
	contentType string
	name        string
}

var (
	soap11 = &version{ns: nsSOAP11, contentType: "text/xml; charset=utf-8", name: "1.1"}
	soap12 = &version{ns: nsSOAP12, contentType: "application/soap+xml; charset=utf-8", name: "1.2"}
)

// Stable codes of envelope-level errors (the Russian messages go with them).
const (
	codeContentType   = "SOAP_CONTENT_TYPE"
	codeMalformed     = "SOAP_MALFORMED"
	codeDTD           = "SOAP_DTD_FORBIDDEN"
	codeTooDeep       = "SOAP_TOO_DEEP"
	codeVersion       = "SOAP_VERSION_MISMATCH"
	codeMustUnderstnd = "SOAP_MUST_UNDERSTAND"
	codeEmptyBody     = "SOAP_EMPTY_BODY"
	codeTooLarge      = "SOAP_TOO_LARGE"
)

// versionOf picks the SOAP version from the request's Content-Type (ONEC.md 7): text/xml is
// SOAP 1.1, application/soap+xml is SOAP 1.2 (its action= parameter, like SOAPAction, is only
// a hint and is not read). On error the version is the one a fault is then written in: 1.2
// for a bad application/soap+xml, else 1.1.
func versionOf(contentType string) (*version, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return soap11, apperr.New(apperr.Invalid, codeContentType,
			"Неверный заголовок Content-Type: ожидается text/xml (SOAP 1.1) или application/soap+xml (SOAP 1.2)")
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		v := soap11
		if mt == "application/soap+xml" {
			v = soap12
		}
		return v, apperr.New(apperr.Invalid, codeContentType, "Поддерживается только кодировка UTF-8, получена «"+clip(cs, 20)+"»")
	}
	switch mt {
	case "text/xml":
		return soap11, nil
	case "application/soap+xml":
		return soap12, nil
	}
	return soap11, apperr.New(apperr.Invalid, codeContentType,
		"Неверный тип содержимого «"+clip(mt, 40)+"»: ожидается text/xml (SOAP 1.1) или application/soap+xml (SOAP 1.2)")
}

// hasDTD reports a document type declaration or entity declaration anywhere in the request.
// SOAP forbids them (SOAP 1.1 §3, SOAP 1.2 part 1 §5), and refusing them before any parsing
// leaves no room for entity expansion tricks, whatever the parser would do with them.
func hasDTD(data []byte) bool {
	return bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY"))
}

// envelope is a parsed request: the operation element of its body, as tokens with the
// namespaces resolved (and the xmlns declarations dropped, having been applied).
type envelope struct {
	op   xml.Name
	body []xml.Token
}

func malformed(err error) *apperr.Error {
	return apperr.Wrap(err, apperr.Invalid, codeMalformed, "Запрос не является корректным SOAP-конвертом: "+clip(err.Error(), 200))
}

func malformedMsg(msg string) *apperr.Error {
	return apperr.New(apperr.Invalid, codeMalformed, "Запрос не является корректным SOAP-конвертом: "+msg)
}

// parseEnvelope reads a SOAP envelope of version v. It is strict about the envelope (one
// Envelope, an optional Header, a Body with exactly one element) and bounds nesting depth.
// It never expands entities other than XML's five predefined ones.
func parseEnvelope(data []byte, v *version, maxDepth int) (*envelope, error) {
	if hasDTD(data) {
		return nil, apperr.New(apperr.Invalid, codeDTD, "Объявления DTD и сущностей (<!DOCTYPE>, <!ENTITY>) в запросе не допускаются")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, malformedMsg("тело запроса пусто")
	}
	p := &parser{d: xml.NewDecoder(bytes.NewReader(data)), max: maxDepth}
	// Envelope.
	start, err := p.nextStart()
	if err != nil {
		return nil, err
	}
	if start.Name.Local == "Envelope" && (start.Name.Space == nsSOAP11 || start.Name.Space == nsSOAP12) && start.Name.Space != v.ns {
		return nil, apperr.New(apperr.Invalid, codeVersion,
			"Версия SOAP конверта не соответствует заголовку Content-Type (ожидается SOAP "+v.name+")")
	}
	if start.Name != (xml.Name{Space: v.ns, Local: "Envelope"}) {
		return nil, malformedMsg("корневой элемент должен быть soap:Envelope")
	}
	// Header (optional) and Body.
	start, err = p.nextStart()
	if err != nil {
		return nil, err
	}
	if start.Name == (xml.Name{Space: v.ns, Local: "Header"}) {
		if err := p.header(v); err != nil {
			return nil, err
		}
		if start, err = p.nextStart(); err != nil {
			return nil, err
		}
	}
	if start.Name != (xml.Name{Space: v.ns, Local: "Body"}) {
		return nil, malformedMsg("ожидается элемент soap:Body")
	}
	start, err = p.nextStart()
	if err == errEnd {
		return nil, apperr.New(apperr.Invalid, codeEmptyBody, "Элемент soap:Body пуст: не указана операция")
	}
	if err != nil {
		return nil, err
	}
	env := &envelope{op: start.Name}
	if env.body, err = p.collect(start); err != nil {
		return nil, err
	}
	// Nothing but the closing tags may follow.
	for _, what := range []string{"soap:Body", "soap:Envelope"} {
		if _, err := p.nextStart(); err != errEnd {
			if err != nil {
				return nil, err
			}
			return nil, malformedMsg("лишний элемент после операции в " + what)
		}
	}
	for {
		tok, err := p.next()
		if err == io.EOF {
			return env, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok.(type) {
		case xml.StartElement, xml.CharData:
			return nil, malformedMsg("лишнее содержимое после soap:Envelope")
		}
	}
}

// errEnd is what nextStart returns on the end of the current element.
var errEnd = apperr.New(apperr.Invalid, codeMalformed, "end of element")

type parser struct {
	d     *xml.Decoder
	depth int
	max   int
}

// next returns the next token, refusing DTDs and enforcing the depth bound; text that is
// not whitespace is returned, the caller decides whether it is allowed.
func (p *parser) next() (xml.Token, error) {
	tok, err := p.d.Token()
	if err == io.EOF {
		if p.depth != 0 {
			return nil, malformedMsg("документ оборван")
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, malformed(err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		p.depth++
		if p.depth > p.max {
			return nil, apperr.New(apperr.Invalid, codeTooDeep, "Слишком глубокая вложенность элементов в запросе")
		}
	case xml.EndElement:
		p.depth--
	case xml.Directive:
		return nil, apperr.New(apperr.Invalid, codeDTD, "Объявления DTD и сущностей (<!DOCTYPE>, <!ENTITY>) в запросе не допускаются")
	case xml.CharData:
		if len(bytes.TrimSpace(t)) == 0 {
			return nil, nil // whitespace between envelope elements means nothing
		}
	case xml.Comment, xml.ProcInst:
		return nil, nil
	}
	return tok, nil
}

// nextStart returns the next child element of the current one, or errEnd at its end;
// text is not allowed between envelope elements.
func (p *parser) nextStart() (xml.StartElement, error) {
	for {
		tok, err := p.next()
		if err == io.EOF {
			return xml.StartElement{}, malformedMsg("документ оборван")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errEnd
		case xml.CharData:
			return xml.StartElement{}, malformedMsg("текст вне элементов конверта")
		}
	}
}

// header checks the header blocks: the hub understands none, so a mandatory one is a
// MustUnderstand fault; the others are skipped.
func (p *parser) header(v *version) error {
	for {
		start, err := p.nextStart()
		if err == errEnd {
			return nil
		}
		if err != nil {
			return err
		}
		for _, a := range start.Attr {
			if a.Name.Space == v.ns && a.Name.Local == "mustUnderstand" && (a.Value == "1" || a.Value == "true") {
				return apperr.New(apperr.Invalid, codeMustUnderstnd,
					"Обязательный заголовок SOAP «"+clip(start.Name.Local, 60)+"» не поддерживается")
			}
		}
		if err := p.skip(); err != nil {
			return err
		}
	}
}

// skip consumes the rest of the current element.
func (p *parser) skip() error {
	for depth := 1; depth > 0; {
		tok, err := p.next()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// collect copies the element that start opens, up to its end, dropping xmlns declarations
// (already applied to the names), comments and processing instructions.
func (p *parser) collect(start xml.StartElement) ([]xml.Token, error) {
	toks := []xml.Token{dropXMLNS(start)}
	for depth := 1; depth > 0; {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				return nil, malformedMsg("документ оборван")
			}
			return nil, malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			p.depth++
			if p.depth > p.max {
				return nil, apperr.New(apperr.Invalid, codeTooDeep, "Слишком глубокая вложенность элементов в запросе")
			}
			toks = append(toks, dropXMLNS(t))
		case xml.EndElement:
			depth--
			p.depth--
			toks = append(toks, tok)
		case xml.CharData:
			toks = append(toks, t.Copy())
		case xml.Directive:
			return nil, apperr.New(apperr.Invalid, codeDTD, "Объявления DTD и сущностей (<!DOCTYPE>, <!ENTITY>) в запросе не допускаются")
		}
	}
	return toks, nil
}

func dropXMLNS(s xml.StartElement) xml.Token {
	n := 0
	for _, a := range s.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			n++
		}
	}
	if n == 0 {
		return s
	}
	attrs := make([]xml.Attr, 0, len(s.Attr)-n)
	for _, a := range s.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		attrs = append(attrs, a)
	}
	s.Attr = attrs
	return s
}

// clip shortens s to at most n runes for messages.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
