package novotelecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/store"
)

// SessionState is the state of an exchange session.
type SessionState string

// Session states.
const (
	SessionRunning SessionState = "running" // under way, or interrupted (resumed by a run of the same slot)
	SessionDone    SessionState = "done"
	SessionFailed  SessionState = "failed" // stopped by an error; the next run goes on from where it stopped
)

// Session is one exchange with Novotelecom: what it sent and received. Counts are of files
// this session sent or received, whatever crashes and resumptions happened in between.
type Session struct {
	ID         string // the slot, 2006-01-02T15:04:05Z
	Slot       time.Time
	Manual     bool // run on demand rather than by the schedule
	State      SessionState
	Started    time.Time
	Finished   time.Time
	Attempts   int // runs of this slot (more than 1 after a crash or a failure)
	Sent       int // files uploaded
	Received   int // files stored
	Duplicates int // files the server offered again that were already stored (not imported twice)
	Awaiting   int // received registries waiting for acceptance
	Rejected   int // received registries refused for structural errors
	Answers    int // Novotelecom's answers to the hub's files
	Errors     int // rejected registries, answers with errors, refused uploads
	ErrorCode  string
	Error      string
	Message    string   // the summary 1C shows: "Передано файлов: 2, принято: 3"
	Details    []string // every file, when the settings ask for details
	Version    int64
}

type sessionRecord struct {
	Slot       time.Time    `json:"slot"`
	Manual     bool         `json:"manual,omitempty"`
	State      SessionState `json:"state"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished,omitzero"`
	Attempts   int          `json:"attempts"`
	Sent       int          `json:"sent"`
	Received   int          `json:"received"`
	Duplicates int          `json:"dups"`
	Awaiting   int          `json:"awaiting"`
	Rejected   int          `json:"rejected"`
	Answers    int          `json:"answers"`
	Errors     int          `json:"errors"`
	ErrorCode  string       `json:"errCode,omitempty"`
	Error      string       `json:"err,omitempty"`
	Message    string       `json:"msg,omitempty"`
	Details    []string     `json:"details,omitempty"`
}

func (r *sessionRecord) session(id string, version int64) Session {
	return Session{ID: id, Slot: r.Slot, Manual: r.Manual, State: r.State, Started: r.Started, Finished: r.Finished,
		Attempts: r.Attempts, Sent: r.Sent, Received: r.Received, Duplicates: r.Duplicates, Awaiting: r.Awaiting,
		Rejected: r.Rejected, Answers: r.Answers, Errors: r.Errors, ErrorCode: r.ErrorCode, Error: r.Error,
		Message: r.Message, Details: r.Details, Version: version}
}

// SessionID is the id of the session of a slot.
func SessionID(slot time.Time) string { return slot.UTC().Format("2006-01-02T15:04:05Z") }

// maxDetails bounds the per-file lines a session keeps.
const maxDetails = 500

// RunExchange runs the exchange of a slot: send every Outgoing file, receive every server
// file, check what was received. The slot is the scheduled time (scheduler.Tick.Scheduled);
// a zero slot means "now", a run on demand. A slot runs once: a repeat of a finished slot
// returns its session, a repeat of an interrupted or failed one goes on from where it stopped.
//
// Every step is a conditional write, so a crash anywhere loses no file and duplicates none:
// a file is uploaded before it is marked sent (the server takes a repeated upload as a
// duplicate), and a received file is in Blobs and in the store before the server is told to
// delete it (a file offered again is recognised by its content and imported once).
//
// It returns the session and, when the session failed, the error (an *apperr.Error).
func (s *Service) RunExchange(ctx context.Context, tenant string, slot time.Time) (Session, error) {
	manual := slot.IsZero()
	if manual {
		slot = s.now()
	}
	slot = slot.UTC().Truncate(time.Second)
	id := SessionID(slot)
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Session{}, err
	}
	rec, st, err := loadSettings(ctx, ts)
	if err != nil {
		return Session{}, err
	}
	if sess, err := getSession(ctx, ts, id); err == nil && sess.State == SessionDone {
		return sess, nil
	}
	if err := s.lock(ctx, ts, id); err != nil {
		return Session{}, err
	}
	// Unlocked on every return, not deferred: a crash must leave the lock as a killed process
	// would (the crash tests panic), for the next run of the slot to take over.
	if err := s.openSession(ctx, ts, id, slot, manual); err != nil {
		s.unlock(context.WithoutCancel(ctx), ts, id)
		return Session{}, err
	}
	s.log.InfoContext(ctx, "novotelecom: exchange started", "tenant", tenant, "session", id)
	r := &run{Service: s, ts: ts, tenant: tenant, session: id, settings: st}
	work, cancel := reserve(ctx)
	runErr := r.exchange(work, rec)
	cancel()
	s.crash(StepBeforeFinish)
	sess, err := r.finish(context.WithoutCancel(ctx), runErr)
	s.unlock(context.WithoutCancel(ctx), ts, id)
	if err != nil {
		return Session{}, err
	}
	if runErr != nil {
		ae := apperr.As(runErr)
		// The cause is a transport or store error: it names hosts and keys, never registry data.
		s.log.WarnContext(ctx, "novotelecom: exchange failed", "tenant", tenant, "session", id, "code", ae.Code, "cause", ae.Err)
		return sess, ae
	}
	s.log.InfoContext(ctx, "novotelecom: exchange done", "tenant", tenant, "session", id,
		"sent", sess.Sent, "received", sess.Received, "errors", sess.Errors)
	return sess, nil
}

// reserve shortens a deadline so that the session can still be recorded when the work runs
// out of time (a Lambda is killed at its deadline). No deadline stays no deadline.
func reserve(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	keep := min(10*time.Second, time.Until(dl)/5)
	return context.WithDeadline(ctx, dl.Add(-keep))
}

// run is one session at work.
type run struct {
	*Service
	ts       store.Store
	tenant   string
	session  string
	settings Settings
	dups     int
	accounts *registry.AccountSet // loaded when first needed
}

func (r *run) exchange(ctx context.Context, rec settingsRecord) error {
	creds, err := r.credentials(ctx, r.tenant, rec)
	if err != nil {
		return err
	}
	conn, err := r.d.Server.Login(ctx, creds.Login, creds.Password)
	if err != nil {
		return err
	}
	if err := eachInFolder(ctx, r.ts, FolderOutgoing, func(it store.Item) error { return r.send(ctx, conn, it) }); err != nil {
		return err
	}
	files, err := conn.List(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(files))
	for i, f := range files {
		if seen[f.ID] { // a listing may repeat a file
			continue
		}
		seen[f.ID] = true
		if err := r.receive(ctx, conn, f, i); err != nil {
			return err
		}
	}
	// Checks every received file not checked yet, also those a crashed session left behind.
	return eachInFolder(ctx, r.ts, FolderIncoming, func(it store.Item) error {
		r.crash(StepBeforeProcess)
		if err := r.process(ctx, it); err != nil {
			return err
		}
		r.crash(StepAfterProcess)
		return nil
	})
}

// eachInFolder calls fn for every file of a folder, oldest first.
func eachInFolder(ctx context.Context, ts store.Store, folder Folder, fn func(it store.Item) error) error {
	q := store.Query{Index: store.GSI1, PK: gsiFolder + string(folder), Limit: 100}
	for {
		page, err := ts.Query(ctx, q)
		if err != nil {
			return storeErr(err, "список реестров")
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// send uploads an Outgoing file and moves it to Sent.
func (r *run) send(ctx context.Context, conn Conn, it store.Item) error {
	rec, folder, err := decodeFile(it)
	if err != nil || folder != FolderOutgoing {
		return err
	}
	data, err := r.d.Blobs.Get(ctx, rec.Blob)
	if errors.Is(err, blobs.ErrNotFound) {
		return r.refuseUpload(ctx, it, "файл реестра не найден в хранилище")
	}
	if err != nil {
		return storeErr(err, "файл реестра")
	}
	r.crash(StepBeforeUpload)
	if _, err := conn.Upload(ctx, rec.Name, data); err != nil {
		switch apperr.As(err).Kind {
		case apperr.Invalid, apperr.Conflict, apperr.TooLarge:
			return r.refuseUpload(ctx, it, apperr.As(err).Message)
		}
		return err
	}
	r.crash(StepAfterUpload)
	now := r.now()
	sent, err := moveFile(ctx, r.ts, it.SK, &it, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderOutgoing {
			return folder, false, nil
		}
		f.Sent, f.Session = now, r.session
		return FolderSent, true, nil
	})
	if err != nil {
		return storeErr(err, "реестр")
	}
	// A confirmation or rejection is delivered once sent: Novotelecom does not answer it
	// with anything the exchange reads it for. Other files wait for their answer.
	if sent.folder == FolderSent && (sent.rec.Kind == registry.Confirm || sent.rec.Kind == registry.Reject) {
		if err := r.keep(ctx, r.tenant, sent.rec); err != nil {
			return err
		}
	}
	r.crash(StepAfterMarkSent)
	return nil
}

// refuseUpload moves a file the server will never take to Errors.
func (r *run) refuseUpload(ctx context.Context, it store.Item, why string) error {
	fs, err := moveFile(ctx, r.ts, it.SK, &it, func(f *fileRecord, folder Folder) (Folder, bool, error) {
		if folder != FolderOutgoing {
			return folder, false, nil
		}
		f.Session, f.Errors = r.session, []string{why}
		return FolderErrors, true, nil
	})
	if err != nil {
		return storeErr(err, "реестр")
	}
	if err := r.keep(ctx, r.tenant, fs.rec); err != nil { // never sent again
		return err
	}
	return r.addError(ctx, r.ts, r.tenant, ErrorEntry{ID: it.SK, RegistryID: it.SK, File: fs.rec.Name, Direction: Out, Line: -1,
		Message: why, Text: "Файл " + fs.rec.Name + " не передан в «Мои счета»: " + why})
}

// receive stores a server file, then lets the server delete it.
func (r *run) receive(ctx context.Context, conn Conn, f RemoteFile, seq int) error {
	// Stored already (a crash came between the durable write and the delete)? The server id
	// is recorded after the file, so its record with the same digest means the file is safe.
	if f.SHA256 != "" {
		if it, err := r.ts.Get(ctx, pkServerID, f.ID); err == nil && it.Attrs["sha256"] == f.SHA256 {
			r.dups++
			return r.deleteRemote(ctx, conn, f)
		}
	}
	r.crash(StepBeforeDownload)
	data, err := conn.Download(ctx, f)
	if err != nil {
		if apperr.As(err).Kind == apperr.TooLarge {
			// It stays on the server: never delete what we could not store.
			return r.addError(ctx, r.ts, r.tenant, ErrorEntry{ID: "server-" + f.ID, File: f.Name, Direction: In, Line: -1,
				Message: apperr.As(err).Message, Text: "Файл " + f.Name + " не принят: " + apperr.As(err).Message})
		}
		return err
	}
	r.crash(StepAfterDownload)
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	// The content first, under its digest (rewriting the same bytes is harmless), then the
	// record, once: a record that exists already makes this a duplicate.
	key := blobKey(r.tenant, "in", id)
	if err := r.d.Blobs.Put(ctx, key, data); err != nil {
		return storeErr(err, "файл реестра")
	}
	r.crash(StepAfterBlob)
	now := r.now()
	kind := registry.Kind("")
	if n, ok := registry.ParseName(f.Name); ok {
		kind = n.Kind
	}
	rec := &fileRecord{Name: f.Name, Dir: In, Kind: kind, Size: int64(len(data)), SHA256: id, Blob: key,
		Created: now, Seq: seq, Received: now, Session: r.session, ServerID: f.ID}
	if _, err := r.ts.Put(ctx, rec.toItem(id, FolderIncoming), store.NotExists()); errors.Is(err, store.ErrConditionFailed) {
		r.dups++
	} else if err != nil {
		return storeErr(err, "реестр")
	}
	if _, err := r.ts.Put(ctx, store.Item{PK: pkServerID, SK: f.ID, Attrs: map[string]string{"sha256": id}}); err != nil {
		return storeErr(err, "реестр")
	}
	r.crash(StepAfterRecord)
	return r.deleteRemote(ctx, conn, f)
}

func (r *run) deleteRemote(ctx context.Context, conn Conn, f RemoteFile) error {
	r.crash(StepBeforeDelete)
	if err := conn.Delete(ctx, f); err != nil {
		return err
	}
	r.crash(StepAfterDelete)
	return nil
}

// lock takes the tenant's exchange lock for a session; a session of the same slot may take
// over its own lock (the resumption of a crashed run), another waits for it to expire. The
// session that held an expired lock is marked interrupted.
func (s *Service) lock(ctx context.Context, ts store.Store, id string) error {
	lease := 15 * time.Minute
	if dl, ok := ctx.Deadline(); ok {
		lease = time.Until(dl) + time.Minute
	}
	now := s.now()
	var prev string
	_, err := store.Mutate(ctx, ts, pkLock, "exchange", func(cur *store.Item) (store.Item, error) {
		prev = ""
		if cur != nil && cur.Attrs["holder"] != id {
			until, _ := strconv.ParseInt(cur.Attrs["until"], 10, 64)
			if now.Unix() < until {
				return store.Item{}, apperr.New(apperr.Conflict, "NOVOTELECOM_BUSY", "Обмен с «Мои счета» уже выполняется, повторите позже")
			}
			prev = cur.Attrs["holder"]
		}
		return store.Item{Attrs: map[string]string{"holder": id, "until": strconv.FormatInt(now.Add(lease).Unix(), 10)}}, nil
	})
	if err != nil {
		return storeErr(err, "блокировка обмена")
	}
	if prev != "" {
		_, _ = s.updateSession(ctx, ts, prev, func(r *sessionRecord) bool {
			if r.State != SessionRunning {
				return false
			}
			r.State, r.ErrorCode, r.Error, r.Finished = SessionFailed, "NOVOTELECOM_INTERRUPTED", "Сеанс обмена прерван", now
			return true
		})
	}
	return nil
}

func (s *Service) unlock(ctx context.Context, ts store.Store, id string) {
	_ = ts.Delete(ctx, pkLock, "exchange", store.AttrEquals("holder", id))
}

// openSession records the session as running (again).
func (s *Service) openSession(ctx context.Context, ts store.Store, id string, slot time.Time, manual bool) error {
	now := s.now()
	_, err := store.Mutate(ctx, ts, pkSession, id, func(cur *store.Item) (store.Item, error) {
		r := sessionRecord{Slot: slot, Manual: manual, Started: now}
		if cur != nil {
			if err := json.Unmarshal(cur.Data, &r); err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись сеанса обмена")
			}
		}
		r.State, r.ErrorCode, r.Error, r.Finished = SessionRunning, "", "", time.Time{}
		r.Attempts++
		data, _ := json.Marshal(r)
		return store.Item{Data: data, Attrs: map[string]string{"state": string(r.State)}}, nil
	})
	return storeErr(err, "сеанс обмена")
}

// updateSession changes a session record if fn says so, and returns the session.
func (s *Service) updateSession(ctx context.Context, ts store.Store, id string, fn func(r *sessionRecord) bool) (Session, error) {
	var out Session
	it, err := store.Mutate(ctx, ts, pkSession, id, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, errUnchanged
		}
		var r sessionRecord
		if err := json.Unmarshal(cur.Data, &r); err != nil {
			return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись сеанса обмена")
		}
		out = r.session(id, cur.Version)
		if !fn(&r) {
			return store.Item{}, errUnchanged
		}
		out = r.session(id, 0)
		data, _ := json.Marshal(r)
		return store.Item{Data: data, Attrs: map[string]string{"state": string(r.State)}}, nil
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	if err != nil {
		return Session{}, err
	}
	out.Version = it.Version
	return out, nil
}

// finish counts the session's files (from the store, so the counts survive crashes) and
// records the outcome.
func (r *run) finish(ctx context.Context, runErr error) (Session, error) {
	var c sessionRecord
	q := store.Query{Index: store.GSI2, PK: gsiSession + r.session, Limit: store.MaxQueryLimit}
	for {
		page, err := r.ts.Query(ctx, q)
		if err != nil {
			return Session{}, storeErr(err, "сеанс обмена")
		}
		for _, it := range page.Items {
			f, folder, err := decodeFile(it)
			if err != nil {
				return Session{}, err
			}
			line := ""
			switch {
			case f.Dir == Out && folder == FolderErrors && f.Sent.IsZero():
				c.Errors++
				line = "Не передан " + f.Name + ": " + first(f.Errors)
			case f.Dir == Out:
				c.Sent++
				line = "Передан " + f.Name
			case folder == FolderAwaiting || folder == FolderAccepting || folder == FolderAccepted:
				c.Received++
				c.Awaiting++
				line = fmt.Sprintf("Принят %s: строк %d, сумма %s", f.Name, f.Count, f.Sum)
			case folder == FolderRejected:
				c.Received++
				c.Rejected++
				c.Errors++
				line = "Принят " + f.Name + ", отправлен в «Ошибки»: " + f.Diagnostic
			case folder == FolderAnswers:
				c.Received++
				c.Answers++
				if len(f.Errors) > 0 {
					c.Errors++
					line = "Ответ на " + f.Ref + ": ошибки: " + first(f.Errors)
				} else {
					line = "Ответ на " + f.Ref + ": обработан"
				}
			default:
				c.Received++
				line = "Принят " + f.Name + ": не проверен"
			}
			if r.settings.ReportDetails && len(c.Details) < maxDetails {
				c.Details = append(c.Details, line)
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	now := r.now()
	var before sessionRecord // what earlier runs of the session counted, for the metrics
	sess, err := r.updateSession(ctx, r.ts, r.session, func(s *sessionRecord) bool {
		before = *s
		s.Sent, s.Received, s.Awaiting, s.Rejected, s.Answers, s.Errors, s.Details =
			c.Sent, c.Received, c.Awaiting, c.Rejected, c.Answers, c.Errors, c.Details
		s.Duplicates += r.dups
		s.Finished = now
		s.Message = fmt.Sprintf("Передано файлов: %d, принято: %d", c.Sent, c.Received)
		if c.Errors > 0 {
			s.Message += fmt.Sprintf(", с ошибками: %d", c.Errors)
		}
		if c.Awaiting > 0 {
			s.Message += fmt.Sprintf(", реестров к приёму: %d", c.Awaiting)
		}
		s.State = SessionDone
		if runErr != nil {
			ae := apperr.As(runErr)
			s.State, s.ErrorCode, s.Error = SessionFailed, ae.Code, ae.Message
			s.Message = "Обмен не завершён: " + ae.Message + ". " + s.Message
		}
		return true
	})
	if err != nil {
		return Session{}, storeErr(err, "сеанс обмена")
	}
	metrics.Event("novotelecom", "session", string(sess.State))
	metrics.EventN("novotelecom", "file", "sent", sess.Sent-before.Sent)
	metrics.EventN("novotelecom", "file", "received", sess.Received-before.Received)
	metrics.EventN("novotelecom", "file", "awaiting", sess.Awaiting-before.Awaiting)
	metrics.EventN("novotelecom", "file", "error", sess.Errors-before.Errors)
	if runErr != nil {
		ae := apperr.As(runErr)
		_ = r.addError(ctx, r.ts, r.tenant, ErrorEntry{ID: "session-" + r.session, Line: -1,
			Message: ae.Message, Text: "Сеанс обмена " + r.session + " не завершён: " + ae.Message})
	}
	return sess, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// ScheduledRun is what a scheduled tick did for each tenant.
type ScheduledRun struct {
	Slot    time.Time
	Tenants []TenantRun
}

// TenantRun is one tenant's part of a scheduled tick.
type TenantRun struct {
	Tenant  string
	Due     bool // the tenant's schedule has an exchange at this slot
	Session Session
	Code    string // the error code when the session failed
}

// RunScheduled runs the exchange of every tenant whose schedule is due at the tick's slot.
// A failing tenant does not stop the others; the error is only for failures to list tenants.
func (s *Service) RunScheduled(ctx context.Context, tick scheduler.Tick) (ScheduledRun, error) {
	run := ScheduledRun{Slot: tick.Scheduled}
	q := store.Query{PK: pkEnabled, Limit: store.MaxQueryLimit}
	for {
		page, err := s.d.Store.Query(ctx, q)
		if err != nil {
			return run, storeErr(err, "список абонентов обмена")
		}
		for _, it := range page.Items {
			tr := TenantRun{Tenant: it.SK}
			st, err := s.Settings(ctx, it.SK)
			if err == nil && st.Due(tick.Scheduled) {
				tr.Due = true
				tr.Session, err = s.RunExchange(ctx, it.SK, tick.Scheduled)
			}
			if err != nil {
				tr.Code = apperr.As(err).Code
			}
			run.Tenants = append(run.Tenants, tr)
		}
		if page.Next == "" {
			return run, nil
		}
		q.Cursor = page.Next
	}
}
