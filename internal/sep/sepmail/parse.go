// Package sepmail reads the letters АС «СЭП» sends (raw RFC 5322 messages as SES stores them
// in S3): it decodes multipart bodies, quoted-printable and base64, UTF-8, cp1251 and KOI8-R
// text and encoded-word subjects, and extracts the EPTS number, VIN, confirmation code and
// application number. It is its own package so that its fuzz target runs on a small binary.
package sepmail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Limits of the parser: SEP letters are a few kilobytes; these bound what a hostile
// or broken message can make the parser do.
const (
	maxMailParts = 64      // MIME parts, all levels
	maxMailDepth = 8       // multipart nesting
	maxTextBytes = 1 << 20 // decoded bytes of one text part
)

// Letter is what a SEP letter says.
type Letter struct {
	Subject           string
	Text              string // the decoded text (plain, or HTML stripped)
	EPTS              string // 15 digits
	VIN               string // 17 characters, "" when the letter has none
	Code              string // confirmation code, "" for a letter without one
	ApplicationNumber string // "" when not given
}

// Error is a letter that cannot be read; Reason is Russian, without personal data.
type Error struct{ Reason string }

func (e *Error) Error() string { return "sepmail: unreadable letter: " + e.Reason }

func malformed(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(cs)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(in), nil
}}

// Parse reads a raw letter (RFC 5322 as SES stores it: multipart or single part,
// quoted-printable or base64, UTF-8, cp1251 or KOI8-R, encoded-word subjects) and extracts
// the EPTS number, VIN, confirmation code and application number. A letter with no EPTS
// number is not a SEP letter for the hub and is reported as an *Error.
func Parse(raw []byte) (Letter, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Letter{}, malformed("заголовки письма не читаются")
	}
	var out Letter
	subj := msg.Header.Get("Subject")
	if dec, err := wordDecoder.DecodeHeader(subj); err == nil {
		subj = dec
	}
	out.Subject = strings.ToValidUTF8(subj, "\uFFFD")

	w := &walker{}
	if err := w.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return out, err
	}
	switch {
	case len(w.plain) > 0:
		out.Text = strings.Join(w.plain, "\n")
	case len(w.html) > 0:
		out.Text = stripHTML(strings.Join(w.html, "\n"))
	}
	extractFields(&out, out.Subject+"\n"+out.Text)
	if out.EPTS == "" {
		return out, malformed("в письме нет номера ЭПТС")
	}
	return out, nil
}

type walker struct {
	parts       int
	plain, html []string
}

func (w *walker) walk(h textproto.MIMEHeader, r io.Reader, depth int) error {
	w.parts++
	if w.parts > maxMailParts {
		return malformed("в письме больше %d частей", maxMailParts)
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		if depth > 0 {
			return nil // a broken part among good ones: skip it
		}
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxMailDepth {
			return malformed("вложенность частей письма больше %d", maxMailDepth)
		}
		b := params["boundary"]
		if b == "" {
			return malformed("у составного письма нет границы частей")
		}
		mr := multipart.NewReader(r, b)
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				if len(w.plain)+len(w.html) > 0 {
					return nil // a truncated tail after readable text
				}
				return malformed("части письма не читаются")
			}
			if err := w.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil
	}
	if d, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); d == "attachment" {
		return nil
	}
	data, err := decodeTransfer(h.Get("Content-Transfer-Encoding"), r)
	if err != nil {
		return err
	}
	text, err := decodeCharset(params["charset"], data)
	if err != nil {
		return err
	}
	if mt == "text/html" {
		w.html = append(w.html, text)
	} else {
		w.plain = append(w.plain, text)
	}
	return nil
}

func decodeTransfer(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &spaceless{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit", "binary":
	default:
		return nil, malformed("неизвестная кодировка передачи «%.20s»", cte)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return nil, malformed("текст письма не декодируется")
	}
	if len(data) > maxTextBytes {
		return nil, malformed("текст письма больше %d байт", maxTextBytes)
	}
	return data, nil
}

// spaceless drops the blanks some mailers leave in base64 bodies (the decoder itself skips
// only CR and LF).
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

func decodeCharset(label string, data []byte) (string, error) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return strings.ToValidUTF8(string(data), "\uFFFD"), nil
	}
	e, err := htmlindex.Get(label)
	if err != nil {
		if utf8.Valid(data) {
			return string(data), nil
		}
		return "", malformed("неизвестная кодировка «%.30s»", label)
	}
	out, err := e.NewDecoder().Bytes(data)
	if err != nil {
		return "", malformed("текст не в кодировке «%.30s»", label)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

var (
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	styleRe = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)>`)
)

func stripHTML(s string) string {
	s = styleRe.ReplaceAllString(s, " ")
	s = tagRe.ReplaceAllString(s, "\n")
	return html.UnescapeString(s)
}

var (
	eptsLabelRe = regexp.MustCompile(`(?i)ЭПТС\D{0,60}?(\d{15})(?:\D|$)`)
	eptsAnyRe   = regexp.MustCompile(`(?:^|\D)(\d{15})(?:\D|$)`)
	vinRe17     = regexp.MustCompile(`(?i)\bVIN\b\W{0,10}([A-HJ-NPR-Z0-9]{17})(?:[^A-Za-z0-9]|$)`)
	codeMailRe  = regexp.MustCompile(`(?i)код\s+подтверждения[^:\n\d]{0,60}[:\s]\s*([0-9A-Za-z]{4,12})(?:[^0-9A-Za-z]|$)`)
	// "№", or "N" where the charset has no "№" (KOI8-R).
	appNumMail = regexp.MustCompile(`(?i)заявлени[еяю]\s*(?:№|N|No\.?)\s*([0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё/_\-]{0,39})`)
)

func extractFields(p *Letter, text string) {
	text = strings.NewReplacer("\u00a0", " ", "\r", "").Replace(text)
	if m := eptsLabelRe.FindStringSubmatch(text); m != nil {
		p.EPTS = m[1]
	} else if m := eptsAnyRe.FindStringSubmatch(text); m != nil {
		p.EPTS = m[1]
	}
	if m := vinRe17.FindStringSubmatch(text); m != nil {
		p.VIN = strings.ToUpper(m[1])
	}
	for _, m := range codeMailRe.FindAllStringSubmatch(text, -1) {
		// A code has digits; a word after "код подтверждения" is prose.
		if strings.ContainsAny(m[1], "0123456789") {
			p.Code = m[1]
			break
		}
	}
	if m := appNumMail.FindStringSubmatch(text); m != nil {
		p.ApplicationNumber = strings.TrimRight(m[1], "-/_")
	}
}
