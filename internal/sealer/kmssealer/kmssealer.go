// Package kmssealer is the AWS adapter of the sealer port: envelope encryption under a KMS key.
//
// Each tenant gets AES-256 data keys from KMS GenerateDataKey with the encryption context
// {"tenant": tenant}. A data key seals many values: it is kept in memory for a bounded time and
// number of uses, so that sealing a field is not a KMS call. A sealed value carries its data key
// encrypted by KMS:
//
//	version byte (1) | uint16 big-endian length | encrypted data key | 12-byte nonce | AES-GCM output
//
// with sealer.AssociatedData(tenant, purpose) as the GCM associated data. Opening asks KMS to
// decrypt the data key with the same encryption context, so a value moved to another tenant is
// refused by KMS as well as by GCM; decrypted data keys are cached, bounded, by a hash of the
// tenant and the encrypted key.
//
// Decrypt names the configured key, so that only values sealed under it open; a value sealed
// under another key is ErrOpen. KMS's own key rotation keeps the key id, so it needs nothing.
package kmssealer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
)

const (
	version = 1

	// A data key seals for at most maxAge or maxUses values, whichever comes first. Random
	// 96-bit nonces stay far below GCM's limit of 2^32 messages per key, and the age bounds how
	// long a plaintext key lives in memory. Decrypted keys for opening expire after maxAge too.
	maxAge  = 5 * time.Minute
	maxUses = 10_000
	// maxOpenKeys bounds the cache of decrypted data keys.
	maxOpenKeys = 1_000

	keySize = 32
)

// KMS seals with per-tenant data keys from AWS KMS. It is safe for concurrent use.
type KMS struct {
	client      *kms.Client
	keyID       string
	clock       clock.Clock
	maxOpenKeys int

	mu       sync.Mutex
	sealKeys map[string]*sealKey    // current data key per tenant
	pending  map[string]*generation // tenants whose data key is being generated
	openKeys map[[sha256.Size]byte]openKey
}

type sealKey struct {
	aead      cipher.AEAD
	encrypted []byte
	created   time.Time
	uses      int // guarded by KMS.mu
}

// generation is a GenerateDataKey call that other callers for the same tenant wait for.
type generation struct {
	done chan struct{}
	err  error // set before done is closed
}

type openKey struct {
	aead    cipher.AEAD
	created time.Time
}

var _ sealer.Sealer = (*KMS)(nil)

// New returns a sealer that uses the KMS key keyID (a key id, key ARN, alias name or alias
// ARN).
func New(client *kms.Client, keyID string) *KMS {
	return &KMS{
		client:      client,
		keyID:       keyID,
		clock:       clock.Real{},
		maxOpenKeys: maxOpenKeys,
		sealKeys:    make(map[string]*sealKey),
		pending:     make(map[string]*generation),
		openKeys:    make(map[[sha256.Size]byte]openKey),
	}
}

// Seal encrypts plaintext for tenant and purpose.
func (k *KMS) Seal(ctx context.Context, tenant, purpose string, plaintext []byte) ([]byte, error) {
	dk, err := k.sealKey(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 3+len(dk.encrypted)+dk.aead.Overhead()+len(plaintext))
	out = append(out, version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(dk.encrypted)))
	out = append(out, dk.encrypted...)
	return dk.aead.Seal(out, nil, plaintext, sealer.AssociatedData(tenant, purpose)), nil
}

// sealKey returns the tenant's current data key, generating one when there is none or it is
// used up. Concurrent callers for one tenant wait for a single GenerateDataKey call rather than
// each making one.
func (k *KMS) sealKey(ctx context.Context, tenant string) (*sealKey, error) {
	for {
		k.mu.Lock()
		now := k.clock.Now()
		if dk := k.sealKeys[tenant]; dk != nil && dk.uses < maxUses && now.Sub(dk.created) < maxAge {
			dk.uses++
			k.mu.Unlock()
			return dk, nil
		}
		if g, busy := k.pending[tenant]; busy {
			k.mu.Unlock()
			select {
			case <-g.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			// KMS's answer holds for every waiter; the caller's own deadline or cancellation
			// does not, so then the next caller tries.
			if g.err != nil && !errors.Is(g.err, context.Canceled) && !errors.Is(g.err, context.DeadlineExceeded) {
				return nil, g.err
			}
			continue
		}
		g := &generation{done: make(chan struct{})}
		k.pending[tenant] = g
		k.mu.Unlock()

		dk, err := k.generate(ctx, tenant)

		k.mu.Lock()
		delete(k.pending, tenant)
		g.err = err
		close(g.done)
		if err == nil {
			dk.uses = 1
			k.sealKeys[tenant] = dk
			k.dropExpiredSealKeys(dk.created)
			// Values sealed now open without asking KMS.
			k.cacheOpenKey(openKeyHash(tenant, dk.encrypted), openKey{aead: dk.aead, created: dk.created})
		}
		k.mu.Unlock()
		return dk, err
	}
}

func (k *KMS) generate(ctx context.Context, tenant string) (*sealKey, error) {
	out, err := k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(k.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encryptionContext(tenant),
	})
	if err != nil {
		return nil, fmt.Errorf("kmssealer: generate data key: %w", err)
	}
	if len(out.CiphertextBlob) == 0 || len(out.CiphertextBlob) > 0xffff {
		return nil, fmt.Errorf("kmssealer: generate data key: encrypted key of %d bytes", len(out.CiphertextBlob))
	}
	aead, err := newAEAD(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("kmssealer: generate data key: %w", err)
	}
	return &sealKey{aead: aead, encrypted: out.CiphertextBlob, created: k.clock.Now()}, nil
}

// dropExpiredSealKeys forgets data keys of tenants that have not sealed for a while, so that
// their plaintext keys do not stay in memory. Called with k.mu held.
func (k *KMS) dropExpiredSealKeys(now time.Time) {
	for tenant, dk := range k.sealKeys {
		if now.Sub(dk.created) >= maxAge {
			delete(k.sealKeys, tenant)
		}
	}
}

// newAEAD makes the GCM cipher of a plaintext data key and wipes the key: the cipher keeps its
// own expanded copy.
func newAEAD(key []byte) (cipher.AEAD, error) {
	defer clear(key)
	if len(key) != keySize {
		return nil, fmt.Errorf("data key of %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

func encryptionContext(tenant string) map[string]string {
	return map[string]string{"tenant": tenant}
}

// Open decrypts a value sealed for tenant and purpose; sealer.ErrOpen if it was tampered
// with or sealed for another tenant, purpose or key. Other KMS failures (throttling, a
// disabled key, no network) are returned as they are: the value may well be intact.
func (k *KMS) Open(ctx context.Context, tenant, purpose string, sealed []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[0] != version {
		return nil, sealer.ErrOpen
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	if n == 0 || len(sealed) < 3+n {
		return nil, sealer.ErrOpen
	}
	encrypted, body := sealed[3:3+n], sealed[3+n:]
	aead, err := k.openKey(ctx, tenant, encrypted)
	if err != nil {
		return nil, err
	}
	plaintext, err := aead.Open(nil, nil, body, sealer.AssociatedData(tenant, purpose))
	if err != nil {
		return nil, sealer.ErrOpen
	}
	return plaintext, nil
}

// openKey returns the cipher of an encrypted data key, from the cache or from KMS Decrypt.
func (k *KMS) openKey(ctx context.Context, tenant string, encrypted []byte) (cipher.AEAD, error) {
	h := openKeyHash(tenant, encrypted)
	k.mu.Lock()
	cached, found := k.openKeys[h]
	now := k.clock.Now()
	k.mu.Unlock()
	if found && now.Sub(cached.created) < maxAge {
		return cached.aead, nil
	}

	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    encrypted,
		KeyId:             aws.String(k.keyID),
		EncryptionContext: encryptionContext(tenant),
	})
	if err != nil {
		// KMS could not decrypt the data key with this key and context: the value is not one
		// of this tenant's under this key.
		var invalid *types.InvalidCiphertextException
		var incorrect *types.IncorrectKeyException
		if errors.As(err, &invalid) || errors.As(err, &incorrect) {
			var ae smithy.APIError
			errors.As(err, &ae)
			return nil, fmt.Errorf("%w (KMS: %s)", sealer.ErrOpen, ae.ErrorCode())
		}
		return nil, fmt.Errorf("kmssealer: decrypt data key: %w", err)
	}
	aead, err := newAEAD(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("kmssealer: decrypt data key: %w", err)
	}
	k.mu.Lock()
	k.cacheOpenKey(h, openKey{aead: aead, created: now})
	k.mu.Unlock()
	return aead, nil
}

// openKeyHash keys the cache by tenant too: a cached key must not let a value moved to another
// tenant skip KMS's check of the encryption context.
func openKeyHash(tenant string, encrypted []byte) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(tenant)))
	h.Write(n[:])
	h.Write([]byte(tenant))
	h.Write(encrypted)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// cacheOpenKey adds a decrypted key, making room when the cache is full: first by dropping
// expired keys, then an arbitrary one. Called with k.mu held.
func (k *KMS) cacheOpenKey(h [sha256.Size]byte, key openKey) {
	if _, found := k.openKeys[h]; !found && len(k.openKeys) >= k.maxOpenKeys {
		for kh, v := range k.openKeys {
			if key.created.Sub(v.created) >= maxAge {
				delete(k.openKeys, kh)
			}
		}
		for kh := range k.openKeys {
			if len(k.openKeys) < k.maxOpenKeys {
				break
			}
			delete(k.openKeys, kh)
		}
	}
	k.openKeys[h] = key
}
