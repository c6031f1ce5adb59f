package novotelecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// maxAnswerErrors bounds the errors of an answer the hub keeps.
const maxAnswerErrors = 20

// checked is what checking a received file found.
type checked struct {
	h      registry.Header
	broken *registry.Error
	errs   []string // an answer's errors, as diagnostics
}

// check reads a received file with the tenant's rules: payments and readings must name known
// accounts, answers must answer a file of ours, nothing else is expected from Novotelecom.
func (r *run) check(ctx context.Context, name string, data []byte) (checked, error) {
	var c checked
	rd, err := registry.NewReader(bytes.NewReader(data), name, registry.Options{})
	if err != nil {
		return c, asBroken(err, &c)
	}
	c.h = rd.Header()
	opts := registry.Options{Kind: c.h.Kind}
	switch c.h.Kind {
	case registry.Payments, registry.Readings:
		if r.accounts == nil {
			if r.accounts, err = r.loadAccounts(ctx, r.ts); err != nil {
				return c, storeErr(err, "лицевые счета")
			}
		}
		opts.Accounts = r.accounts
	case registry.Answer:
	default:
		c.broken = &registry.Error{File: name, Line: 0, Msg: "заголовок: реестр " + string(c.h.Kind) + " не принимается от Новотелекома"}
		return c, nil
	}
	if rd, err = registry.NewReader(bytes.NewReader(data), name, opts); err != nil {
		return c, asBroken(err, &c)
	}
	for {
		err := rd.Next()
		if err == io.EOF {
			c.h = rd.Header()
			return c, nil
		}
		if err != nil {
			return c, asBroken(err, &c)
		}
		if c.h.Kind == registry.Answer && len(c.errs) < maxAnswerErrors {
			rec := rd.Record()
			c.errs = append(c.errs, (&registry.Error{Line: rec.RefLine, Msg: rec.Message}).Diagnostic())
		}
	}
}

func asBroken(err error, c *checked) error {
	var re *registry.Error
	if errors.As(err, &re) {
		c.broken = re
		return nil
	}
	return err // a reader over memory fails only structurally; anything else is a bug
}

// process checks one received file and moves it on: a good registry waits for acceptance, a
// broken one goes to Rejected with a rejection queued for Novotelecom, an answer moves the
// hub's file it answers to Processed or Errors.
func (r *run) process(ctx context.Context, it store.Item) error {
	f, folder, err := decodeFile(it)
	if err != nil || folder != FolderIncoming {
		return err
	}
	data, err := r.d.Blobs.Get(ctx, f.Blob)
	if err != nil {
		return storeErr(err, "файл реестра")
	}
	c, err := r.check(ctx, f.Name, data)
	if err != nil {
		return err
	}
	if c.broken == nil && c.h.Kind == registry.Answer {
		return r.applyAnswer(ctx, it, f, c)
	}
	if c.broken != nil {
		return r.rejectIncoming(ctx, it, f, c)
	}
	_, err = moveFile(ctx, r.ts, it.SK, &it, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderIncoming {
			return folder, false, nil
		}
		setHeader(f, c.h)
		return FolderAwaiting, true, nil
	})
	return storeErr(err, "реестр")
}

func setHeader(r *fileRecord, h registry.Header) {
	if h.Kind == "" {
		return
	}
	r.Kind, r.Number, r.Date, r.Period, r.Count, r.Sum, r.Charset, r.Ref =
		h.Kind, h.Number, h.Date, h.Period, h.Count, h.Sum, h.Charset, h.Ref
}

// rejectIncoming queues a rejection (unless the broken file is an answer: Novotelecom does
// not expect a reply to its answers), records the error and moves the file to Rejected.
func (r *run) rejectIncoming(ctx context.Context, it store.Item, f *fileRecord, c checked) error {
	diag := c.broken.Diagnostic()
	text := "Принятый файл " + f.Name + " отправлен в 'Ошибки'."
	kind := c.h.Kind
	if kind == "" {
		kind = f.Kind // the header did not read: go by the file name
	}
	if kind != registry.Answer {
		p, cur, err := r.replyPlan(ctx, r.ts, r.tenant, it.SK, &it, registry.Reject, 0)
		if err != nil {
			return err
		}
		it = cur
		cs := r.settings.Charset
		rej := registry.Record{RefLine: c.broken.Line, Message: fitCharset(c.broken.Msg, cs)}
		if _, err := r.ensureOutgoing(ctx, r.ts, r.tenant, p, cs, slices.Values([]registry.Record{rej})); err != nil {
			return err
		}
		r.crash(StepAfterReply)
		text += " В Новотелеком подготовлен отказ, с указанием ошибки: '" + diag + "'."
	}
	text += " Разбор возможен только вручную."
	if err := r.addError(ctx, r.ts, r.tenant, ErrorEntry{ID: it.SK, RegistryID: it.SK, File: f.Name, Direction: In,
		Line: c.broken.Line, Message: diag, Text: text}); err != nil {
		return err
	}
	_, err := moveFile(ctx, r.ts, it.SK, &it, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderIncoming {
			return folder, false, nil
		}
		setHeader(f, c.h)
		f.Diagnostic = diag
		return FolderRejected, true, nil
	})
	if err != nil {
		return storeErr(err, "реестр")
	}
	// Rejected, its rejection queued: the exchange never reads it again.
	return r.keep(ctx, r.tenant, f)
}

// applyAnswer moves the answered file to Processed (no errors) or Errors, then the answer to
// Answers. An answer to a file the hub never sent is itself an error.
func (r *run) applyAnswer(ctx context.Context, it store.Item, ans *fileRecord, c checked) error {
	ref := c.h.Ref
	target, err := r.ts.Get(ctx, pkFile, ref)
	if errors.Is(err, store.ErrNotFound) || err == nil && target.Attrs["dir"] != string(Out) {
		c.broken = &registry.Error{File: ans.Name, Line: 0, Msg: "ответ на неизвестный файл: " + ref}
		return r.rejectIncoming(ctx, it, ans, c)
	}
	if err != nil {
		return storeErr(err, "реестр")
	}
	to := FolderProcessed
	if len(c.errs) > 0 {
		to = FolderErrors
	}
	moved, err := moveFile(ctx, r.ts, ref, &target, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderSent && folder != FolderOutgoing {
			return folder, false, nil // answered already
		}
		f.AnsweredBy, f.Errors = it.SK, c.errs
		return to, true, nil
	})
	if err != nil {
		return storeErr(err, "реестр")
	}
	if moved.folder == FolderProcessed || moved.folder == FolderErrors {
		// Answered: Novotelecom has processed (or refused) it, it is never sent again.
		if err := r.keep(ctx, r.tenant, moved.rec); err != nil {
			return err
		}
	}
	if moved.folder == FolderErrors && moved.rec.AnsweredBy == it.SK {
		if err := r.addError(ctx, r.ts, r.tenant, ErrorEntry{ID: ref, RegistryID: ref, File: moved.rec.Name, Direction: Out, Line: -1,
			Message: first(c.errs), Text: "Новотелеком не принял файл " + moved.rec.Name + ": " + strings.Join(c.errs, "; ")}); err != nil {
			return err
		}
	}
	r.crash(StepAfterAnswer)
	_, err = moveFile(ctx, r.ts, it.SK, &it, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderIncoming {
			return folder, false, nil
		}
		setHeader(f, c.h)
		f.Errors = c.errs
		return FolderAnswers, true, nil
	})
	if err != nil {
		return storeErr(err, "реестр")
	}
	return r.keep(ctx, r.tenant, ans) // applied: never read again
}

// replyPlan chooses, once, the header of the reply (Confirm or Reject) to a received
// registry and remembers it in the registry's record; it returns the record as stored.
func (s *Service) replyPlan(ctx context.Context, ts store.Store, tenant, id string, cur *store.Item, kind registry.Kind, scale int32) (plan, store.Item, error) {
	if cur == nil {
		it, err := ts.Get(ctx, pkFile, id)
		if err != nil {
			return plan{}, store.Item{}, storeErr(err, "реестр")
		}
		cur = &it
	}
	f, _, err := decodeFile(*cur)
	if err != nil {
		return plan{}, store.Item{}, err
	}
	if f.Reply != nil {
		return *f.Reply, *cur, nil
	}
	today, err := s.today(ctx, tenant)
	if err != nil {
		return plan{}, store.Item{}, err
	}
	n, err := nextNumber(ctx, ts, kind, today)
	if err != nil {
		return plan{}, store.Item{}, storeErr(err, "номер реестра")
	}
	p := plan{Kind: kind, Number: n, Date: today, Ref: refName(f.Name), Scale: scale}
	var chosen plan
	fs, err := moveFile(ctx, ts, id, cur, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if f.Reply != nil {
			chosen = *f.Reply // a concurrent run chose first
			return folder, false, nil
		}
		f.Reply, chosen = &p, p
		return folder, true, nil
	})
	if err != nil {
		return plan{}, store.Item{}, storeErr(err, "реестр")
	}
	return chosen, fs.item, nil
}

// refName makes a received file's name fit the Ref field of a reply.
func refName(name string) string {
	if registry.ValidFileName(name) {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if len(out) > 100 {
		out = out[:100]
	}
	if out == "" {
		out = "unnamed"
	}
	return out
}

// fitCharset replaces what CP1251 cannot carry, so that a message quoting a received file can
// always be written back.
func fitCharset(s string, cs registry.Charset) string {
	if cs != registry.CP1251 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if _, ok := charmap.Windows1251.EncodeRune(r); !ok {
			return '?'
		}
		return r
	}, s)
}

// ErrorEntry is one entry of the errors list: a received file refused, a file of ours
// Novotelecom refused, a session that failed. Message is the diagnostic; Text is the whole
// message a 1C user reads, as in the seed's dialog.
type ErrorEntry struct {
	ID         string
	At         time.Time
	File       string
	RegistryID string
	Direction  Direction
	Line       int64 // the line of File, -1 when the error is not about a line
	Message    string
	Text       string
}

// addError records an error once per id (a resumed run does not repeat it).
func (s *Service) addError(ctx context.Context, ts store.Store, tenant string, e ErrorEntry) error {
	e.At = s.now()
	// An error about a file may quote its account numbers ("строка: 1, неизв.лиц.счёт: …"):
	// it lives as long as the tenant's personal data. A session's error names no file.
	var exp time.Time
	var err error
	if e.File != "" || e.RegistryID != "" {
		if exp, err = s.errorExpiry(ctx, tenant); err != nil {
			return err
		}
	}
	data, _ := json.Marshal(e)
	_, err = ts.Put(ctx, store.Item{PK: pkError, SK: e.ID, GSI1PK: gsiErrors, GSI1SK: e.At.Format(sortTime) + "#" + e.ID, Data: data, ExpiresAt: exp},
		store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return nil
	}
	return storeErr(err, "список ошибок")
}

// records ranges over a stored registry's records.
func records(data []byte, name string, kind registry.Kind) iter.Seq[registry.Record] {
	return func(yield func(registry.Record) bool) {
		rd, err := registry.NewReader(bytes.NewReader(data), name, registry.Options{Kind: kind})
		if err != nil {
			return
		}
		for rd.Next() == nil {
			if !yield(rd.Record()) {
				return
			}
		}
	}
}
