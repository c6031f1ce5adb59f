package sep

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/clock"
)

// OutboxNotifier is the local Notifier: each message becomes an RFC 5322 file in Blobs under
// t/<tenant>/sep/outbox/<id>.eml, for a mail relay (or a person) to pick up. The message id
// names the file, so a repeated notification replaces its file instead of adding one.
type OutboxNotifier struct {
	Blobs blobs.Blobs
	Clock clock.Clock
	From  string // the sender address, e.g. "Стыковка <sep@hub.example>"
}

var _ Notifier = (*OutboxNotifier)(nil)

// Notify writes the message to the outbox.
func (n *OutboxNotifier) Notify(ctx context.Context, tenant string, m Message) error {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("sep: notifier: bad recipient address")
	}
	if !idRe.MatchString(m.ID) {
		return fmt.Errorf("sep: notifier: bad message id %q", m.ID)
	}
	from := n.From
	if from == "" {
		from = "stykovka@localhost"
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", m.To)
	hdr("Subject", mime.BEncoding.Encode("utf-8", m.Subject))
	hdr("Date", n.Clock.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+m.ID+"."+tenant+"@stykovka>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(m.Text, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return n.Blobs.Put(ctx, OutboxKey(tenant, m.ID), b.Bytes())
}

// OutboxKey is where OutboxNotifier writes a message.
func OutboxKey(tenant, id string) string { return "t/" + tenant + "/sep/outbox/" + id + ".eml" }
