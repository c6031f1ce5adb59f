package sepsim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// letterText is a letter before it is encoded.
type letterText struct {
	subject string
	body    string // plain text, UTF-8
}

func codeLetter(a *Application, v *Vehicle, epts, code string) letterText {
	var b strings.Builder
	b.WriteString("Уважаемый пользователь!\n\n")
	var subject string
	switch a.Type {
	case TypeLease:
		subject = fmt.Sprintf("АС «СЭП»: заявление № %s о внесении сведений о лизинге", a.Number)
		fmt.Fprintf(&b, "В АС «СЭП» зарегистрировано заявление № %s о внесении в электронный паспорт сведений о лизинге "+
			"(договор %s от %s).\n\n", a.Number, a.DocNumber, a.DocDate.Format("02.01.2006"))
		// Lease letters name the passport only: VIN is missing, as in many real letters.
		fmt.Fprintf(&b, "Номер ЭПТС: %s\n\n", epts)
		fmt.Fprintf(&b, "Код подтверждения лизингополучателя: %s\n", code)
	default:
		subject = fmt.Sprintf("АС «СЭП»: заявление № %s на смену собственника, ЭПТС %s", a.Number, epts)
		fmt.Fprintf(&b, "В АС «СЭП» зарегистрировано заявление № %s на смену собственника транспортного средства.\n\n", a.Number)
		fmt.Fprintf(&b, "Номер ЭПТС: %s\n", epts)
		if v != nil && v.VIN != "" {
			fmt.Fprintf(&b, "VIN: %s\n", v.VIN)
		}
		if v != nil {
			fmt.Fprintf(&b, "Марка, модель: %s %s\n", v.Make, v.Model)
		}
		fmt.Fprintf(&b, "\nКод подтверждения: %s\n", code)
	}
	fmt.Fprintf(&b, "Подтвердите заявление до %s.\n\n", a.Deadline.Format("02.01.2006"))
	b.WriteString("Письмо сформировано автоматически, отвечать на него не нужно.\n")
	return letterText{subject: subject, body: b.String()}
}

func executedLetter(a *Application, v *Vehicle, epts string) letterText {
	var b strings.Builder
	b.WriteString("Уважаемый пользователь!\n\n")
	what := "о смене собственника"
	if a.Type == TypeLease {
		what = "о лизинге"
	}
	fmt.Fprintf(&b, "Заявление № %s исполнено: сведения %s внесены в электронный паспорт.\n\n", a.Number, what)
	fmt.Fprintf(&b, "Номер ЭПТС: %s\n", epts)
	if v != nil && v.VIN != "" {
		fmt.Fprintf(&b, "VIN: %s\n", v.VIN)
	}
	b.WriteString("\nПисьмо сформировано автоматически, отвечать на него не нужно.\n")
	return letterText{subject: fmt.Sprintf("АС «СЭП»: заявление № %s исполнено", a.Number), body: b.String()}
}

// renderMIME encodes a letter the way different mail systems do, rotating by seq through
// three shapes so that a reader must handle them all: UTF-8 base64 single part; cp1251
// quoted-printable text with a cp1251 HTML alternative; KOI8-R text inside multipart/mixed
// with an attachment.
func renderMIME(seq int, id, to string, l letterText, now time.Time) []byte {
	var h bytes.Buffer
	boundary := "sep-" + id
	hdr := func(k, v string) { fmt.Fprintf(&h, "%s: %s\r\n", k, v) }
	hdr("Return-Path", "<noreply@sep.sim>")
	hdr("Received", "from mail.sep.sim (mail.sep.sim [127.0.0.1]) by inbound-smtp.sim with SMTP id "+id+
		"\r\n for "+to+"; "+now.Format(time.RFC1123Z))
	hdr("X-SES-Spam-Verdict", "PASS")
	hdr("X-SES-Virus-Verdict", "PASS")
	hdr("From", mime.BEncoding.Encode("utf-8", "АС «СЭП»")+" <noreply@sep.sim>")
	hdr("To", to)
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+id+"@sep.sim>")
	hdr("MIME-Version", "1.0")
	switch seq % 3 {
	case 0:
		hdr("Subject", mime.BEncoding.Encode("UTF-8", l.subject))
		hdr("Content-Type", `text/plain; charset="utf-8"`)
		hdr("Content-Transfer-Encoding", "base64")
		h.WriteString("\r\n")
		h.WriteString(b64(crlf(l.body)))
	case 1:
		hdr("Subject", mime.QEncoding.Encode("windows-1251", enc(charmap.Windows1251, l.subject)))
		hdr("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		h.WriteString("\r\nThis is a multi-part message in MIME format.\r\n")
		fmt.Fprintf(&h, "--%s\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
		h.WriteString(qp(enc(charmap.Windows1251, crlf(l.body))))
		fmt.Fprintf(&h, "\r\n--%s\r\nContent-Type: text/html; charset=windows-1251\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary)
		h.WriteString(b64(enc(charmap.Windows1251, html(l.body))))
		fmt.Fprintf(&h, "--%s--\r\n", boundary)
	default:
		hdr("Subject", mime.BEncoding.Encode("KOI8-R", enc(charmap.KOI8R, l.subject)))
		hdr("Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
		inner := boundary + "-alt"
		fmt.Fprintf(&h, "\r\n--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary, inner)
		fmt.Fprintf(&h, "--%s\r\nContent-Type: text/plain; charset=KOI8-R\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", inner)
		h.WriteString(qp(enc(charmap.KOI8R, crlf(l.body))))
		fmt.Fprintf(&h, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", inner)
		h.WriteString(crlf(html(l.body)))
		fmt.Fprintf(&h, "\r\n--%s--\r\n", inner)
		fmt.Fprintf(&h, "--%s\r\nContent-Type: application/pdf; name=\"notice.pdf\"\r\nContent-Disposition: attachment; filename=\"notice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary)
		h.WriteString(b64("%PDF-1.4\n% simulated notice\n%%EOF\n"))
		fmt.Fprintf(&h, "--%s--\r\n", boundary)
	}
	return h.Bytes()
}

// enc encodes s in a single-byte charset the way mailers do: characters the charset lacks
// (KOI8-R has no «, » or №) become their usual ASCII stand-ins, anything else '?'.
func enc(cm *charmap.Charmap, s string) string {
	s = strings.NewReplacer("«", `"`, "»", `"`, "№", "N").Replace(s)
	out, err := encoding.ReplaceUnsupported(cm.NewEncoder()).String(s)
	if err != nil {
		return s
	}
	return out
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func html(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	b.WriteString("<html><body>")
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("<p>" + r.Replace(line) + "</p>\n")
	}
	b.WriteString("</body></html>")
	return b.String()
}

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func b64(s string) string {
	e := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76] + "\r\n")
		e = e[76:]
	}
	b.WriteString(e + "\r\n")
	return b.String()
}
