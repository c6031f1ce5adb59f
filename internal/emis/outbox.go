package emis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/store"
)

// Delivery policy: attempts back off from 30 s, doubling, up to an hour; after MaxAttempts the
// delivery becomes a dead letter (about 2 hours after the first attempt).
const (
	MaxAttempts  = 8
	firstBackoff = 30 * time.Second
	maxBackoff   = time.Hour
	// claimLease keeps other sweeps off a delivery while one attempt runs.
	claimLease  = 2 * time.Minute
	sendTimeout = 15 * time.Second
)

func backoff(attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// outboxRecord is a pending delivery. It holds ids only: the body is built from the sealed
// documents at each attempt, so the latest data (and the current checks) go out.
type outboxRecord struct {
	Legal     string    `json:"le"`
	PersonID  string    `json:"p"`
	Version   int64     `json:"v"`
	Attempts  int       `json:"n"`
	LastError string    `json:"err,omitempty"`
	Created   time.Time `json:"at"`
}

// DeadLetter is a delivery that failed MaxAttempts times. It holds no personal data.
type DeadLetter struct {
	ID        string    `json:"id"`
	Legal     string    `json:"le"`
	PersonID  string    `json:"p"`
	Version   int64     `json:"v"`
	Attempts  int       `json:"n"`
	LastError string    `json:"err"`
	Created   time.Time `json:"at"`
	Died      time.Time `json:"died"`
}

func dueKey(t time.Time, id string) string {
	return t.UTC().Format("20060102T150405.000000000Z") + "#" + id
}

// queue records the delivery of a stored version once. It is safe to repeat: the outbox item
// is keyed by the version's delivery id and the document item remembers the version queued,
// so a retried callback neither loses nor doubles a delivery.
func (s *Service) queue(ctx context.Context, ts store.Store, conf tenantConf, legal, person string, a applied) error {
	if conf.PMSWebhookURL == "" || s.sender == nil {
		return nil
	}
	ver := strconv.FormatInt(a.rec.Version, 10)
	if a.item.Attrs[attrQueued] == ver || a.item.Attrs[attrDelivered] == ver {
		return nil
	}
	id := deliveryID(legal, person, a.rec.Version)
	now := s.clk.Now()
	data, _ := json.Marshal(outboxRecord{Legal: legal, PersonID: person, Version: a.rec.Version, Created: now.UTC()})
	_, err := ts.Put(ctx, store.Item{PK: pkOutbox, SK: id, GSI1PK: gsiDue, GSI1SK: dueKey(now, id),
		Attrs: map[string]string{"state": "pending"}, Data: data}, store.NotExists())
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return storeError(err)
	}
	_, err = ts.Update(ctx, pkPerson+person, skDocs+legal, store.Update{SetAttrs: map[string]string{attrQueued: ver}},
		store.AttrEquals(attrVersion, ver))
	if err != nil && !errors.Is(err, store.ErrConditionFailed) && !errors.Is(err, store.ErrNotFound) {
		return storeError(err) // a newer version (condition failed) has its own delivery
	}
	return nil
}

type outcome int

const (
	outcomeSkipped outcome = iota // claimed elsewhere, or superseded
	outcomeDelivered
	outcomeRetry
	outcomeDead
)

// deliver makes one attempt of a delivery.
func (s *Service) deliver(ctx context.Context, tenant string, ts store.Store, id string) (outcome, error) {
	it, err := ts.Get(ctx, pkOutbox, id)
	if errors.Is(err, store.ErrNotFound) {
		return outcomeSkipped, nil
	}
	if err != nil {
		return 0, storeError(err)
	}
	var rec outboxRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return 0, storeError(err)
	}
	// Claim: move the next attempt past the lease, so that concurrent sweeps skip it.
	now := s.clk.Now()
	rec.Attempts++
	data, _ := json.Marshal(rec)
	claimed, err := ts.Update(ctx, pkOutbox, id, store.Update{Data: &data,
		GSI1: &store.IndexKey{PK: gsiDue, SK: dueKey(now.Add(claimLease), id)}}, store.VersionIs(it.Version))
	if errors.Is(err, store.ErrConditionFailed) || errors.Is(err, store.ErrNotFound) {
		return outcomeSkipped, nil
	}
	if err != nil {
		return 0, storeError(err)
	}
	body, ver, sendErr := s.deliveryBody(ctx, tenant, ts, id, rec)
	if errors.Is(sendErr, errSuperseded) {
		_ = ts.Delete(ctx, pkOutbox, id, store.VersionIs(claimed.Version))
		return outcomeSkipped, nil
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return 0, err
	}
	if sendErr == nil && (conf.PMSWebhookURL == "" || s.sender == nil) {
		sendErr = errors.New("no PMS webhook URL configured")
	}
	if sendErr == nil {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		sendErr = s.sender.Send(sctx, Outgoing{
			URL: conf.PMSWebhookURL, DeliveryID: id, Event: EventDocuments, Body: body,
			Signature: hooksig.Sign([]byte(conf.secrets.PMSOut), s.clk.Now(), body),
		})
		cancel()
	}
	if sendErr == nil {
		if err := ts.Delete(ctx, pkOutbox, id); err != nil {
			return 0, storeError(err)
		}
		s.delivered(ctx, tenant, ts, conf, rec, ver)
		s.log.InfoContext(ctx, "pms delivery", "tenant", tenant, "delivery", id, "version", rec.Version, "attempt", rec.Attempts)
		return outcomeDelivered, nil
	}
	rec.LastError = sendErr.Error()
	if rec.Attempts >= MaxAttempts || errors.Is(sendErr, ErrNoDocuments) {
		dead := DeadLetter{ID: id, Legal: rec.Legal, PersonID: rec.PersonID, Version: rec.Version, Attempts: rec.Attempts,
			LastError: rec.LastError, Created: rec.Created, Died: s.clk.Now().UTC()}
		data, _ := json.Marshal(dead)
		if _, err := ts.Put(ctx, store.Item{PK: pkDead, SK: id, Data: data}); err != nil {
			return 0, storeError(err)
		}
		if err := ts.Delete(ctx, pkOutbox, id); err != nil {
			return 0, storeError(err)
		}
		s.log.ErrorContext(ctx, "pms delivery dead-lettered", "tenant", tenant, "delivery", id, "attempts", rec.Attempts, "err", rec.LastError)
		return outcomeDead, nil
	}
	data, _ = json.Marshal(rec)
	next := s.clk.Now().Add(backoff(rec.Attempts))
	if _, err := ts.Update(ctx, pkOutbox, id, store.Update{Data: &data, GSI1: &store.IndexKey{PK: gsiDue, SK: dueKey(next, id)}},
		store.VersionIs(claimed.Version)); err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return 0, storeError(err)
	}
	s.log.WarnContext(ctx, "pms delivery failed", "tenant", tenant, "delivery", id, "attempt", rec.Attempts, "err", rec.LastError)
	return outcomeRetry, nil
}

var errSuperseded = errors.New("emis: a newer version replaced this delivery")

// deliveryBody builds the body of a delivery from the stored documents.
func (s *Service) deliveryBody(ctx context.Context, tenant string, ts store.Store, id string, rec outboxRecord) ([]byte, int64, error) {
	_, doc, err := s.load(ctx, ts, rec.Legal, rec.PersonID)
	if err != nil {
		return nil, 0, err // ErrNoDocuments: expired before it could be delivered
	}
	if doc.Version > rec.Version {
		return nil, 0, errSuperseded
	}
	le, err := s.legal.EmisEntity(ctx, tenant, rec.Legal)
	if err != nil {
		return nil, 0, err
	}
	res, err := s.result(ctx, tenant, le, rec.PersonID, doc)
	if err != nil {
		return nil, 0, err
	}
	body, err := json.Marshal(Delivery{Event: EventDocuments, DeliveryID: id, Result: res})
	return body, doc.Version, err
}

// delivered marks the document item: the retention now runs from the delivery. When the
// retention cannot be read, the item keeps the expiry it got when stored (the shorter one).
func (s *Service) delivered(ctx context.Context, tenant string, ts store.Store, conf tenantConf, rec outboxRecord, ver int64) {
	v := strconv.FormatInt(ver, 10)
	u := store.Update{SetAttrs: map[string]string{attrDelivered: v}}
	if keep, err := s.keep(ctx, tenant, conf); err == nil {
		exp := s.clk.Now().Add(keep)
		u.ExpiresAt = &exp
	}
	_, _ = ts.Update(ctx, pkPerson+rec.PersonID, skDocs+rec.Legal, u, store.AttrEquals(attrVersion, v))
}

// DeliveryReport counts what DeliverDue did.
type DeliveryReport struct {
	Delivered, Retried, Dead int
}

// DeliverDue attempts every delivery of tenant whose next attempt is due. The scheduler calls
// it for every tenant (every minute locally; EventBridge in AWS); concurrent calls are safe.
func (s *Service) DeliverDue(ctx context.Context, tenant string) (DeliveryReport, error) {
	var rep DeliveryReport
	ts, err := s.tenant(tenant)
	if err != nil {
		return rep, err
	}
	q := store.Query{Index: store.GSI1, PK: gsiDue, To: dueKey(s.clk.Now(), "~"), Limit: 100}
	for {
		page, err := ts.Query(ctx, q)
		if err != nil {
			return rep, storeError(err)
		}
		for _, it := range page.Items {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			out, err := s.deliver(ctx, tenant, ts, it.SK)
			if err != nil {
				return rep, err
			}
			switch out {
			case outcomeDelivered:
				rep.Delivered++
				metrics.Event("emis", "delivery", "delivered")
			case outcomeRetry:
				rep.Retried++
				metrics.Event("emis", "delivery", "retried")
			case outcomeDead:
				rep.Dead++
				metrics.Event("emis", "delivery", "dead")
			}
		}
		if page.Next == "" {
			return rep, nil
		}
		q.Cursor = page.Next
	}
}

// DeadLetters lists a tenant's dead deliveries.
func (s *Service) DeadLetters(ctx context.Context, tenant string) ([]DeadLetter, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	q := store.Query{PK: pkDead, Limit: store.MaxQueryLimit}
	for {
		page, err := ts.Query(ctx, q)
		if err != nil {
			return nil, storeError(err)
		}
		for _, it := range page.Items {
			var d DeadLetter
			if err := json.Unmarshal(it.Data, &d); err != nil {
				return nil, storeError(err)
			}
			out = append(out, d)
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// Redeliver puts a dead delivery back into the outbox, due now, with its attempts reset.
func (s *Service) Redeliver(ctx context.Context, tenant, id string) error {
	ts, err := s.tenant(tenant)
	if err != nil {
		return err
	}
	it, err := ts.Get(ctx, pkDead, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.New(apperr.NotFound, "EMIS_DEAD_LETTER_NOT_FOUND", "Недоставленное сообщение не найдено")
	}
	if err != nil {
		return storeError(err)
	}
	var d DeadLetter
	if err := json.Unmarshal(it.Data, &d); err != nil {
		return storeError(err)
	}
	now := s.clk.Now()
	data, _ := json.Marshal(outboxRecord{Legal: d.Legal, PersonID: d.PersonID, Version: d.Version, Created: now.UTC()})
	if _, err := ts.Put(ctx, store.Item{PK: pkOutbox, SK: id, GSI1PK: gsiDue, GSI1SK: dueKey(now, id),
		Attrs: map[string]string{"state": "pending"}, Data: data}); err != nil {
		return storeError(err)
	}
	return storeError(ts.Delete(ctx, pkDead, id))
}
