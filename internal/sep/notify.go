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
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/store"
)

// OutboxNotifier is the local Notifier: each message becomes an RFC 5322 file in Blobs under
// t/<tenant>/sep/outbox/<id>.eml, for a mail relay (or a person) to pick up. The message id
// names the file, so a repeated notification replaces its file instead of adding one.
//
// A notification names people: its file is delivered once written, so it gets a lease of the
// tenant's retention of personal data (package retention) and the hub's retention-sweep
// deletes it then.
type OutboxNotifier struct {
	Blobs blobs.Blobs
	Store store.Store // unscoped: the leases of the files, and the tenant's retention
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
	if n.Store == nil {
		return fmt.Errorf("sep: notifier: no store for the retention of the outbox")
	}
	key := OutboxKey(tenant, m.ID)
	if err := n.Blobs.Put(ctx, key, b.Bytes()); err != nil {
		return err
	}
	if _, err := retention.KeepBlob(ctx, n.Store, tenant, key, n.Clock.Now()); err != nil {
		return fmt.Errorf("sep: notifier: retention: %w", err)
	}
	return nil
}

// OutboxKey is where OutboxNotifier writes a message.
func OutboxKey(tenant, id string) string { return "t/" + tenant + "/sep/outbox/" + id + ".eml" }
