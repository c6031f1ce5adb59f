// Package sealer is the port that encrypts secrets and personal data at rest, bound to a
// tenant and a purpose (authenticated as associated data), so that a value sealed for one
// tenant or purpose cannot be opened as another. Adapters: AES-256-GCM with a local key file,
// and KMS envelope encryption; both pass the suite in package sealertest.
package sealer

import (
	"context"
	"encoding/binary"
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

// AssociatedData is the associated data both adapters bind a value to. Each part is length
// prefixed, so no choice of tenant and purpose can produce another pair's bytes.
func AssociatedData(tenant, purpose string) []byte {
	b := make([]byte, 0, 16+len(tenant)+len(purpose))
	b = append(b, "stykovka/v1"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(tenant)))
	b = append(b, tenant...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(purpose)))
	return append(b, purpose...)
}
