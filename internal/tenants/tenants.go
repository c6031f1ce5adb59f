// Package tenants keeps the hub's tenants and their users, and authenticates calls.
//
// Records live in the unscoped store under system partitions; everything a tenant owns lives
// in its store.ForTenant view. Passwords are kept as bcrypt hashes only.
package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // tenant zones must load on hosts without a zone database (Lambda)
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
)

const (
	pkTenant   = "SYS#TENANT"
	pkUser     = "SYS#USER"
	gsiUsersOf = "SYS#USERS#" // + tenant: the users of one tenant, by name
)

// Tenant is a customer of the hub (a hotel company, a housing company, a leasing company).
type Tenant struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	TimeZone string    `json:"tz"` // IANA name; 1C dates are local times of the tenant
	Created  time.Time `json:"created"`
	// Retention is how long personal data stays in the hub after delivery, as set (0: the
	// default); KeepFor gives the effective value, SetRetention changes it.
	Retention time.Duration `json:"retention,omitempty"`
}

// User is a login of one tenant.
type User struct {
	Name    string    `json:"name"`
	Tenant  string    `json:"tenant"`
	Admin   bool      `json:"admin"`
	Hash    []byte    `json:"hash"`
	Created time.Time `json:"created"`
}

// Registry manages tenants and users. It is safe for concurrent use.
type Registry struct {
	st    store.Store
	clk   clock.Clock
	cost  int
	cache *credCache

	locMu sync.Mutex
	locs  map[string]cachedLoc
}

// New returns a Registry over the unscoped store.
func New(st store.Store, clk clock.Clock) *Registry {
	return &Registry{st: st, clk: clk, cost: bcrypt.DefaultCost, cache: newCredCache(clk, time.Minute, 10000)}
}

// Errors with stable codes.
var (
	ErrTenantExists = apperr.New(apperr.Conflict, "TENANT_EXISTS", "Абонент с таким идентификатором уже существует")
	ErrNoTenant     = apperr.New(apperr.NotFound, "TENANT_NOT_FOUND", "Абонент не найден")
	ErrUserExists   = apperr.New(apperr.Conflict, "USER_EXISTS", "Пользователь с таким именем уже существует")
	ErrNoUser       = apperr.New(apperr.NotFound, "USER_NOT_FOUND", "Пользователь не найден")
	ErrBadLogin     = apperr.New(apperr.Unauthorized, "AUTH_FAILED", "Неверное имя пользователя или пароль")
)

// AddTenant creates a tenant; the id is lower-case latin, digits and dashes.
func (r *Registry) AddTenant(ctx context.Context, id, name, tz string) (Tenant, error) {
	if !store.ValidTenant(id) {
		return Tenant{}, apperr.New(apperr.Invalid, "TENANT_ID_INVALID",
			"Идентификатор абонента: строчные латинские буквы, цифры и дефис, до 63 символов")
	}
	if tz == "" {
		tz = "Europe/Moscow"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return Tenant{}, apperr.New(apperr.Invalid, "TENANT_TZ_INVALID", "Неизвестный часовой пояс: "+tz)
	}
	t := Tenant{ID: id, Name: name, TimeZone: tz, Created: r.clk.Now().UTC()}
	data, _ := json.Marshal(t)
	_, err := r.st.Put(ctx, store.Item{PK: pkTenant, SK: id, Data: data}, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return Tenant{}, ErrTenantExists
	}
	return t, err
}

// Tenant returns a tenant by id.
func (r *Registry) Tenant(ctx context.Context, id string) (Tenant, error) {
	it, err := r.st.Get(ctx, pkTenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return Tenant{}, ErrNoTenant
	}
	if err != nil {
		return Tenant{}, err
	}
	var t Tenant
	if err := json.Unmarshal(it.Data, &t); err != nil {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, err)
	}
	return t, nil
}

// Tenants lists every tenant.
func (r *Registry) Tenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	q := store.Query{PK: pkTenant, Limit: store.MaxQueryLimit}
	for {
		p, err := r.st.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			var t Tenant
			if err := json.Unmarshal(it.Data, &t); err != nil {
				return nil, fmt.Errorf("tenant %s: %w", it.SK, err)
			}
			out = append(out, t)
		}
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

// validUser: UTF-8 (1C users are often Cyrillic), no colon (Basic auth separator), no controls.
func validUser(name string) error {
	if name == "" || len(name) > 128 || !utf8.ValidString(name) {
		return apperr.New(apperr.Invalid, "USER_NAME_INVALID", "Имя пользователя: от 1 до 128 байт UTF-8")
	}
	for _, c := range name {
		if c == ':' || c < 0x20 || c == 0x7f {
			return apperr.New(apperr.Invalid, "USER_NAME_INVALID",
				"Имя пользователя не может содержать двоеточие и управляющие символы")
		}
	}
	return nil
}

func validPassword(p string) error {
	// bcrypt looks at 72 bytes only; longer passwords would be silently truncated.
	if len(p) < 1 || len(p) > 72 {
		return apperr.New(apperr.Invalid, "PASSWORD_INVALID", "Пароль: от 1 до 72 байт")
	}
	return nil
}

// AddUser creates a user of an existing tenant.
func (r *Registry) AddUser(ctx context.Context, tenant, name, password string, admin bool) error {
	if err := validUser(name); err != nil {
		return err
	}
	if err := validPassword(password); err != nil {
		return err
	}
	if _, err := r.Tenant(ctx, tenant); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), r.cost)
	if err != nil {
		return err
	}
	u := User{Name: name, Tenant: tenant, Admin: admin, Hash: hash, Created: r.clk.Now().UTC()}
	data, _ := json.Marshal(u)
	_, err = r.st.Put(ctx, store.Item{PK: pkUser, SK: name, GSI1PK: gsiUsersOf + tenant, GSI1SK: name, Data: data},
		store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return ErrUserExists
	}
	return err
}

// SetPassword replaces a user's password; cached logins of that user stop working at once.
func (r *Registry) SetPassword(ctx context.Context, name, password string) error {
	if err := validPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), r.cost)
	if err != nil {
		return err
	}
	_, err = store.Mutate(ctx, r.st, pkUser, name, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, ErrNoUser
		}
		var u User
		if err := json.Unmarshal(cur.Data, &u); err != nil {
			return store.Item{}, err
		}
		u.Hash = hash
		next := *cur
		next.Data, _ = json.Marshal(u)
		return next, nil
	})
	r.cache.forget(name)
	return err
}

// DeleteUser removes a user.
func (r *Registry) DeleteUser(ctx context.Context, name string) error {
	err := r.st.Delete(ctx, pkUser, name, store.Exists())
	r.cache.forget(name)
	if errors.Is(err, store.ErrConditionFailed) {
		return ErrNoUser
	}
	return err
}

// Users lists a tenant's users (without hashes).
func (r *Registry) Users(ctx context.Context, tenant string) ([]User, error) {
	var out []User
	q := store.Query{Index: store.GSI1, PK: gsiUsersOf + tenant, Limit: store.MaxQueryLimit}
	for {
		p, err := r.st.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			var u User
			if err := json.Unmarshal(it.Data, &u); err != nil {
				return nil, err
			}
			u.Hash = nil
			out = append(out, u)
		}
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

// dummyHash equalizes the time of a login with an unknown user name and a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("stykovka-dummy"), bcrypt.DefaultCost)

// Authenticate implements auth.Authenticator. Verified credentials are cached for a minute
// (keyed by a salted hash, never the password) so a busy 1C client does not pay bcrypt per call.
func (r *Registry) Authenticate(ctx context.Context, name, password string) (auth.Principal, error) {
	if p, ok := r.cache.get(name, password); ok {
		return p, nil
	}
	it, err := r.st.Get(ctx, pkUser, name)
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return auth.Principal{}, ErrBadLogin
	}
	if err != nil {
		return auth.Principal{}, apperr.Wrap(err, apperr.Unavailable, "AUTH_UNAVAILABLE",
			"Проверка пользователя временно недоступна, повторите позже")
	}
	var u User
	if err := json.Unmarshal(it.Data, &u); err != nil {
		return auth.Principal{}, err
	}
	if bcrypt.CompareHashAndPassword(u.Hash, []byte(password)) != nil {
		return auth.Principal{}, ErrBadLogin
	}
	p := auth.Principal{Tenant: u.Tenant, User: u.Name, Admin: u.Admin}
	r.cache.put(name, password, p)
	return p, nil
}

// credCache remembers recently verified credentials by a keyed hash.
type credCache struct {
	mu    sync.Mutex
	clk   clock.Clock
	ttl   time.Duration
	max   int
	salt  [32]byte
	items map[[32]byte]cached
}

type cached struct {
	user    string
	p       auth.Principal
	expires time.Time
}

func newCredCache(clk clock.Clock, ttl time.Duration, max int) *credCache {
	c := &credCache{clk: clk, ttl: ttl, max: max, items: map[[32]byte]cached{}}
	if _, err := rand.Read(c.salt[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return c
}

func (c *credCache) key(user, password string) [32]byte {
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(password))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *credCache) get(user, password string) (auth.Principal, bool) {
	k := c.key(user, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok || !c.clk.Now().Before(e.expires) {
		return auth.Principal{}, false
	}
	return e.p, true
}

func (c *credCache) put(user, password string, p auth.Principal) {
	k := c.key(user, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= c.max {
		clear(c.items) // crude but bounded; entries are cheap to re-verify
	}
	c.items[k] = cached{user: user, p: p, expires: c.clk.Now().Add(c.ttl)}
}

func (c *credCache) forget(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		if e.user == user {
			delete(c.items, k)
		}
	}
}

// Location returns a tenant's time zone for 1C dates (local times without offset), cached
// for a few minutes so a SOAP call does not cost a store read. Unknown tenants and zones get
// Moscow time, the zone of most 1C bases.
func (r *Registry) Location(tenant string) *time.Location {
	now := r.clk.Now()
	r.locMu.Lock()
	e, ok := r.locs[tenant]
	r.locMu.Unlock()
	if ok && now.Before(e.expires) {
		return e.loc
	}
	loc := moscow
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if t, err := r.Tenant(ctx, tenant); err == nil {
		if l, err := time.LoadLocation(t.TimeZone); err == nil {
			loc = l
		}
	}
	r.locMu.Lock()
	if r.locs == nil {
		r.locs = map[string]cachedLoc{}
	}
	r.locs[tenant] = cachedLoc{loc: loc, expires: now.Add(5 * time.Minute)}
	r.locMu.Unlock()
	return loc
}

type cachedLoc struct {
	loc     *time.Location
	expires time.Time
}

// moscow is fixed UTC+3 (Russia has kept it since 2014), so it needs no zone database.
var moscow = time.FixedZone("MSK", 3*60*60)
