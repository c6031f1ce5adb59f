package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/store"
)

// Device is an enrolled workstation's bridge as reads see it (never its secret).
type Device struct {
	ID        string
	Name      string
	Created   time.Time
	Revoked   bool
	RevokedAt time.Time // zero unless revoked
	LastSeen  time.Time // the last verified upload; zero if none
}

// Enrollment is a new device with its secret, shown this once.
type Enrollment struct {
	Device Device
	Secret string
}

type deviceRecord struct {
	Name      string    `json:"n"`
	Created   time.Time `json:"c"`
	Revoked   bool      `json:"r,omitempty"`
	RevokedAt time.Time `json:"ra,omitzero"`
	Sealed    []byte    `json:"s"` // the secret, sealed for purpose deviceSecretPurpose(id)
}

// Device item attributes.
const (
	attrState = "state" // "active" or "revoked"
	attrSeen  = "seen"  // RFC 3339 time of the last verified upload
)

func deviceSecretPurpose(id string) string { return "bridge/device-secret/" + id }

// EnrollDevice issues a device id and secret for a front-desk workstation. The secret is
// returned once and kept sealed; put both into the bridge's configuration file.
func (s *Service) EnrollDevice(ctx context.Context, tenant, name string) (Enrollment, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Enrollment{}, err
	}
	name = strings.TrimSpace(name)
	if !validName(name) {
		return Enrollment{}, apperr.New(apperr.Invalid, "BRIDGE_DEVICE_NAME",
			"Название рабочего места: от 1 до 100 символов без управляющих, например «Стойка 1»")
	}
	id, secret := newDeviceID(), newSecret()
	sealed, err := s.seal.Seal(ctx, tenant, deviceSecretPurpose(id), []byte(secret))
	if err != nil {
		return Enrollment{}, storeError(err)
	}
	now := s.clk.Now().UTC()
	data, _ := json.Marshal(deviceRecord{Name: name, Created: now, Sealed: sealed})
	if _, err := ts.Put(ctx, store.Item{PK: pkDevice, SK: id, Attrs: map[string]string{attrState: "active"}, Data: data},
		store.NotExists()); err != nil {
		return Enrollment{}, storeError(err)
	}
	s.log.InfoContext(ctx, "device enrolled", "tenant", tenant, "device", id)
	return Enrollment{Device: Device{ID: id, Name: name, Created: now}, Secret: secret}, nil
}

// AddDevice registers a device with a given id and secret: a bridge whose configuration file
// outlives the hub's data (a hub moved to new storage), the demo's fixed device. EnrollDevice
// is the usual way. The id is "dev-" and 1 to 60 letters, digits, '.', '_' or '-'; the secret
// 32 to 256 printable ASCII characters. Adding an existing device is refused.
func (s *Service) AddDevice(ctx context.Context, tenant, id, name, secret string) (Device, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Device{}, err
	}
	name = strings.TrimSpace(name)
	if !validName(name) {
		return Device{}, apperr.New(apperr.Invalid, "BRIDGE_DEVICE_NAME",
			"Название рабочего места: от 1 до 100 символов без управляющих, например «Стойка 1»")
	}
	if !strings.HasPrefix(id, devicePf) || len(id) <= len(devicePf) || !refRe.MatchString(id) || strings.Contains(id, ":") {
		return Device{}, apperr.New(apperr.Invalid, "BRIDGE_DEVICE_ID", "Идентификатор устройства: dev- и до 60 латинских букв, цифр и знаков . _ -")
	}
	if len(secret) < emis.MinSecretLen || len(secret) > emis.MaxSecretLen || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return Device{}, apperr.New(apperr.Invalid, "BRIDGE_DEVICE_SECRET", "Секрет устройства: от 32 до 256 печатных символов ASCII без пробелов")
	}
	sealed, err := s.seal.Seal(ctx, tenant, deviceSecretPurpose(id), []byte(secret))
	if err != nil {
		return Device{}, storeError(err)
	}
	now := s.clk.Now().UTC()
	data, _ := json.Marshal(deviceRecord{Name: name, Created: now, Sealed: sealed})
	if _, err := ts.Put(ctx, store.Item{PK: pkDevice, SK: id, Attrs: map[string]string{attrState: "active"}, Data: data},
		store.NotExists()); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return Device{}, apperr.New(apperr.Conflict, "BRIDGE_DEVICE_EXISTS", "Устройство с таким идентификатором уже есть")
		}
		return Device{}, storeError(err)
	}
	s.log.InfoContext(ctx, "device added", "tenant", tenant, "device", id)
	return Device{ID: id, Name: name, Created: now}, nil
}

// RevokeDevice refuses a device's uploads from now on. Revoking twice is not an error.
func (s *Service) RevokeDevice(ctx context.Context, tenant, id string) (Device, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Device{}, err
	}
	if !refRe.MatchString(id) {
		return Device{}, ErrDeviceNotFound
	}
	it, err := store.Mutate(ctx, ts, pkDevice, id, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, ErrDeviceNotFound
		}
		var r deviceRecord
		if err := json.Unmarshal(cur.Data, &r); err != nil {
			return store.Item{}, err
		}
		next := *cur
		if !r.Revoked {
			r.Revoked, r.RevokedAt = true, s.clk.Now().UTC()
		}
		next.Data, _ = json.Marshal(r)
		next.Attrs = map[string]string{attrState: "revoked"}
		if v := cur.Attrs[attrSeen]; v != "" {
			next.Attrs[attrSeen] = v
		}
		return next, nil
	})
	if err != nil {
		return Device{}, storeError(err)
	}
	s.log.InfoContext(ctx, "device revoked", "tenant", tenant, "device", id)
	return deviceOf(it)
}

// Devices lists the tenant's devices, newest first.
func (s *Service) Devices(ctx context.Context, tenant string) ([]Device, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return nil, err
	}
	var out []Device
	q := store.Query{PK: pkDevice, Limit: store.MaxQueryLimit}
	for {
		p, err := ts.Query(ctx, q)
		if err != nil {
			return nil, storeError(err)
		}
		for _, it := range p.Items {
			d, err := deviceOf(it)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func deviceOf(it store.Item) (Device, error) {
	var r deviceRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return Device{}, storeError(err)
	}
	d := Device{ID: it.SK, Name: r.Name, Created: r.Created, Revoked: r.Revoked, RevokedAt: r.RevokedAt}
	if v := it.Attrs[attrSeen]; v != "" {
		d.LastSeen, _ = time.Parse(time.RFC3339, v)
	}
	return d, nil
}

// device returns a device with its secret opened, or errUnknownDevice.
func (s *Service) device(ctx context.Context, ts store.Store, tenant, id string) (Device, []byte, error) {
	if !refRe.MatchString(id) {
		return Device{}, nil, errUnknownDevice
	}
	it, err := ts.Get(ctx, pkDevice, id)
	if errors.Is(err, store.ErrNotFound) {
		return Device{}, nil, errUnknownDevice
	}
	if err != nil {
		return Device{}, nil, storeError(err)
	}
	var r deviceRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return Device{}, nil, storeError(err)
	}
	secret, err := s.seal.Open(ctx, tenant, deviceSecretPurpose(id), r.Sealed)
	if err != nil {
		return Device{}, nil, apperr.Wrap(err, apperr.Internal, "BRIDGE_UNSEAL", "Не удалось прочитать ключ устройства")
	}
	d, err := deviceOf(it)
	return d, secret, err
}

// seen records a verified upload's time on the device (best effort: a failure is logged).
func (s *Service) seen(ctx context.Context, ts store.Store, tenant, id string) {
	_, err := ts.Update(ctx, pkDevice, id, store.Update{SetAttrs: map[string]string{attrSeen: s.clk.Now().UTC().Format(time.RFC3339)}})
	if err != nil {
		s.log.WarnContext(ctx, "device last-seen not recorded", "tenant", tenant, "device", id, "err", err)
	}
}

var errUnknownDevice = errors.New("bridge: unknown device")
