// Package sealer is the port that encrypts secrets and personal data at rest, bound to a
// tenant and a purpose (authenticated as associated data), so that a value sealed for one
// tenant or purpose cannot be opened as another. Adapters: AES-256-GCM with a local key file,
// and KMS envelope encryption; both pass the suite in package sealertest.
package sealer

import (
	"context"
	"errors"
)

// ErrOpen is returned when a sealed value cannot be opened: tampered, truncated, sealed under
// another key, tenant or purpose.
var ErrOpen = errors.New("sealer: cannot open sealed value")

// Sealer seals and opens byte strings. Implementations are safe for concurrent use.
type Sealer interface {
	Seal(ctx context.Context, tenant, purpose string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, tenant, purpose string, sealed []byte) ([]byte, error)
}

// AssociatedData is the associated data both adapters bind a value to.
func AssociatedData(tenant, purpose string) []byte {
	return []byte("stykovka/v1\x00" + tenant + "\x00" + purpose)
}
