package sep

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
)

const purposeKey = "sep/signing-key"

// KeySigner signs payloads with an Ed25519 key per organisation, generated on first use and
// kept sealed in the tenant's store; its public key is registered with SEP. The real system
// wants a qualified (GOST) signature from a certified tool: that is another Signer, with the
// same two methods.
type KeySigner struct {
	Store  store.Store // unscoped; keys live in each tenant's view
	Sealer sealer.Sealer
}

var _ Signer = (*KeySigner)(nil)

// Sign returns the detached signature of payload.
func (k *KeySigner) Sign(ctx context.Context, tenant, inn string, payload []byte) ([]byte, error) {
	priv, err := k.key(ctx, tenant, inn)
	if err != nil {
		return nil, err
	}
	return ed25519.Sign(priv, payload), nil
}

// PublicKey returns the organisation's public key, creating the key pair on first use.
func (k *KeySigner) PublicKey(ctx context.Context, tenant, inn string) ([]byte, error) {
	priv, err := k.key(ctx, tenant, inn)
	if err != nil {
		return nil, err
	}
	return priv.Public().(ed25519.PublicKey), nil
}

func (k *KeySigner) key(ctx context.Context, tenant, inn string) (ed25519.PrivateKey, error) {
	tv, err := store.ForTenant(k.Store, tenant)
	if err != nil {
		return nil, err
	}
	for range 3 {
		it, err := tv.Get(ctx, pkKey, inn)
		if err == nil {
			seed, err := k.Sealer.Open(ctx, tenant, purposeKey+"/"+inn, it.Data)
			if err != nil || len(seed) != ed25519.SeedSize {
				return nil, fmt.Errorf("sep: signing key of %s cannot be opened: %w", inn, err)
			}
			return ed25519.NewKeyFromSeed(seed), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		sealed, err := k.Sealer.Seal(ctx, tenant, purposeKey+"/"+inn, seed)
		if err != nil {
			return nil, err
		}
		// The first writer wins; a concurrent one reads the winner's key.
		if _, err := tv.Put(ctx, store.Item{PK: pkKey, SK: inn, Data: sealed}, store.NotExists()); err != nil &&
			!errors.Is(err, store.ErrConditionFailed) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("sep: signing key of %s not created", inn)
}
