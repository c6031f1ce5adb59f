package novotelecom

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// Direction says who wrote a file.
type Direction string

// Directions.
const (
	Out Direction = "out" // the hub → Novotelecom
	In  Direction = "in"  // Novotelecom → the hub
)

// Folder is where a file is, after the seed's folders (Исходящие, Отправлены\Обработаны,
// Входящие\Ошибки, …). A file's folder only moves forward.
type Folder string

// Folders of outgoing files: Outgoing → Sent → Processed or Errors.
const (
	FolderOutgoing  Folder = "outgoing"  // Исходящие: waits for the next exchange
	FolderSent      Folder = "sent"      // Отправлены: on the server, no answer yet
	FolderProcessed Folder = "processed" // Отправлены\Обработаны: Novotelecom processed it
	FolderErrors    Folder = "errors"    // Ошибки: Novotelecom refused it
)

// Folders of received files: Incoming → Awaiting → Accepted, or Rejected; answers to the
// hub's files end in Answers.
const (
	FolderIncoming  Folder = "incoming"  // Входящие: stored, not checked yet
	FolderAwaiting  Folder = "awaiting"  // a good registry waiting for a user to accept it
	FolderAccepting Folder = "accepting" // acceptance under way (resumed if interrupted)
	FolderAccepted  Folder = "accepted"  // accepted: its document exists, confirmation queued
	FolderRejected  Folder = "rejected"  // Входящие\Ошибки: broken, rejection queued
	FolderAnswers   Folder = "answers"   // Novotelecom's answers, applied to the hub's files
)

// Title is the folder's name for 1C users, after the seed's folders.
func (f Folder) Title() string {
	switch f {
	case FolderOutgoing:
		return "Исходящие"
	case FolderSent:
		return "Отправлены"
	case FolderProcessed:
		return `Отправлены\Обработаны`
	case FolderErrors:
		return "Ошибки"
	case FolderIncoming:
		return "Входящие"
	case FolderAwaiting:
		return "Входящие: к приёму"
	case FolderAccepting:
		return "Входящие: принимается"
	case FolderAccepted:
		return "Входящие: принят"
	case FolderRejected:
		return `Входящие\Ошибки`
	case FolderAnswers:
		return "Входящие: ответы"
	}
	return string(f)
}

// Folders lists every folder.
var Folders = []Folder{FolderOutgoing, FolderSent, FolderProcessed, FolderErrors, FolderIncoming,
	FolderAwaiting, FolderAccepting, FolderAccepted, FolderRejected, FolderAnswers}

// Registry is one file of the exchange, in either direction, as lists and OData see it.
// Instants (Created, Sent, Received, Accepted) are UTC; Date is the registry's civil date.
type Registry struct {
	ID        string // the file name for outgoing files, the content's SHA-256 for received ones
	File      string
	Direction Direction
	Kind      registry.Kind
	Folder    Folder
	Number    int
	Date      time.Time
	Period    registry.Period
	Count     int64
	Sum       money.Decimal
	Charset   registry.Charset
	Ref       string // Answer, Confirm, Reject: the file answered
	Size      int64
	SHA256    string

	Created  time.Time
	Sent     time.Time // outgoing: when uploaded
	Received time.Time // incoming: when stored
	Session  string    // the session that sent or received it

	Diagnostic string   // a broken received file: "строка: 1, неизв.лиц.счёт: 8032067"
	Reply      string   // the confirmation or rejection queued for a received registry
	Errors     []string // Novotelecom's answer to an outgoing file, when it refused it
	AnsweredBy string   // the answer's id
	Accepted   time.Time
	Document   string // the accepted document's GUID
	Version    int64
}

// fileRecord is the stored form of a Registry.
type fileRecord struct {
	Name       string           `json:"name"`
	Dir        Direction        `json:"dir"`
	Kind       registry.Kind    `json:"kind"`
	Number     int              `json:"num"`
	Date       time.Time        `json:"date"`
	Period     registry.Period  `json:"period"`
	Count      int64            `json:"count"`
	Sum        money.Decimal    `json:"sum"`
	Charset    registry.Charset `json:"cs,omitempty"`
	Ref        string           `json:"ref,omitempty"`
	Size       int64            `json:"size"`
	SHA256     string           `json:"sha256"`
	Blob       string           `json:"blob"`
	Created    time.Time        `json:"created"`
	Seq        int              `json:"seq,omitempty"` // position in the server's listing: files received together keep its order
	Sent       time.Time        `json:"sent,omitzero"`
	Received   time.Time        `json:"received,omitzero"`
	Session    string           `json:"session,omitempty"`
	ServerID   string           `json:"serverId,omitempty"`
	Diagnostic string           `json:"diag,omitempty"`
	Reply      *plan            `json:"reply,omitempty"`
	Errors     []string         `json:"errors,omitempty"`
	AnsweredBy string           `json:"answeredBy,omitempty"`
	Accepted   time.Time        `json:"accepted,omitzero"`
	Document   string           `json:"doc,omitempty"`
}

// plan is the header of a file to be built, chosen once and remembered by its owner, so that
// a retry after a crash builds the same file under the same name.
type plan struct {
	Kind   registry.Kind   `json:"kind"`
	Number int             `json:"num"`
	Date   time.Time       `json:"date"`
	Period registry.Period `json:"period"`
	Ref    string          `json:"ref,omitempty"`
	Scale  int32           `json:"scale,omitempty"`
}

func (p plan) header(cs registry.Charset) registry.Header {
	h := registry.Header{Kind: p.Kind, Number: p.Number, Date: p.Date, Period: p.Period, Charset: cs, Ref: p.Ref}
	if p.Scale != 0 {
		h.Sum = money.New(0, p.Scale)
	}
	return h
}

func (p plan) name() string { return registry.FileName(p.Kind, p.Date, p.Number) }

// toItem is the stored item: GSI1 lists a folder by creation time, GSI2 the files of the
// session that sent or received the file.
func (r *fileRecord) toItem(id string, folder Folder) store.Item {
	data, _ := json.Marshal(r)
	it := store.Item{PK: pkFile, SK: id,
		GSI1PK: gsiFolder + string(folder), GSI1SK: fmt.Sprintf("%s#%06d#%s", r.Created.Format(sortTime), r.Seq, id),
		Attrs: map[string]string{"folder": string(folder), "dir": string(r.Dir), "kind": string(r.Kind)}, Data: data}
	if r.Session != "" {
		it.GSI2PK, it.GSI2SK = gsiSession+r.Session, string(r.Dir)+"#"+id
	}
	return it
}

func decodeFile(it store.Item) (*fileRecord, Folder, error) {
	var r fileRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, "", apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись реестра")
	}
	return &r, Folder(it.Attrs["folder"]), nil
}

func (r *fileRecord) registry(id string, folder Folder, version int64) Registry {
	reg := Registry{ID: id, File: r.Name, Direction: r.Dir, Kind: r.Kind, Folder: folder, Number: r.Number,
		Date: r.Date, Period: r.Period, Count: r.Count, Sum: r.Sum, Charset: r.Charset, Ref: r.Ref, Size: r.Size,
		SHA256: r.SHA256, Created: r.Created, Sent: r.Sent, Received: r.Received, Session: r.Session,
		Diagnostic: r.Diagnostic, Errors: r.Errors, AnsweredBy: r.AnsweredBy, Accepted: r.Accepted,
		Document: r.Document, Version: version}
	if r.Reply != nil {
		reg.Reply = r.Reply.name()
	}
	return reg
}

// fileState is a file as last stored.
type fileState struct {
	rec    *fileRecord
	folder Folder
	item   store.Item
}

// moveFile changes a file if fn, given the record and its folder, says so (it returns the
// next folder and true after changing the record). It is the one way files change, so every
// change is a versioned conditional write. cur is the item as the caller last read it, which
// saves a read; nil reads it.
func moveFile(ctx context.Context, ts store.Store, id string, cur *store.Item, fn func(r *fileRecord, folder Folder) (Folder, bool, error)) (fileState, error) {
	if cur != nil {
		r, folder, err := decodeFile(*cur)
		if err != nil {
			return fileState{}, err
		}
		next, change, err := fn(r, folder)
		if err != nil {
			return fileState{}, err
		}
		if !change {
			return fileState{rec: r, folder: folder, item: *cur}, nil
		}
		stored, err := ts.Put(ctx, r.toItem(id, next), store.VersionIs(cur.Version))
		if err == nil {
			return fileState{rec: r, folder: next, item: stored}, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return fileState{}, err
		}
		// Changed meanwhile: read it again.
	}
	var out fileState
	stored, err := store.Mutate(ctx, ts, pkFile, id, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, errNoRegistry()
		}
		r, folder, err := decodeFile(*cur)
		if err != nil {
			return store.Item{}, err
		}
		next, change, err := fn(r, folder)
		if err != nil {
			return store.Item{}, err
		}
		out = fileState{rec: r, folder: folder, item: *cur}
		if !change {
			return store.Item{}, errUnchanged
		}
		out.folder = next
		return r.toItem(id, next), nil
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	if err != nil {
		return fileState{}, err
	}
	out.item = stored
	return out, nil
}

var errUnchanged = errors.New("unchanged")

// sortTime is a fixed-width UTC time whose text sorts like the time.
const sortTime = "2006-01-02T15:04:05.000000000Z"

// validID: registry ids are file names or hex digests.
func validID(id string) bool { return registry.ValidFileName(id) }

func errNoRegistry() *apperr.Error {
	return apperr.New(apperr.NotFound, "NOVOTELECOM_NO_REGISTRY", "Реестр не найден")
}

// nextNumber allocates the next number of a kind on a date (001..999). A number taken by a
// run that then crashed is skipped, never reused.
func nextNumber(ctx context.Context, ts store.Store, kind registry.Kind, date time.Time) (int, error) {
	var n int
	_, err := store.Mutate(ctx, ts, pkSeq, string(kind)+"#"+date.Format("20060102"), func(cur *store.Item) (store.Item, error) {
		n = 1
		if cur != nil {
			v, err := strconv.Atoi(cur.Attrs["n"])
			if err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждён счётчик номеров реестров")
			}
			n = v + 1
		}
		if n > registry.MaxNumber {
			return store.Item{}, apperr.New(apperr.Conflict, "NOVOTELECOM_NUMBERS",
				fmt.Sprintf("Исчерпаны номера реестров %s на %s", kind.Prefix(), date.Format("02.01.2006")))
		}
		return store.Item{Attrs: map[string]string{"n": strconv.Itoa(n)}}, nil
	})
	return n, err
}

// documentID derives a stable GUID for the document made from a registry, so that a retried
// acceptance names the same document.
func documentID(tenant, registryID string) string {
	h := sha1.Sum([]byte("novotelecom-document\x00" + tenant + "\x00" + registryID))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
