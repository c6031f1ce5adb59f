package kmssealer

import "github.com/stykovka/stykovka/internal/clock"

// SetClock lets tests move time to expire cached data keys.
func SetClock(k *KMS, c clock.Clock) { k.clock = c }

// SetMaxOpenKeys shrinks the decrypted-key cache, so that a test can fill it cheaply.
func SetMaxOpenKeys(k *KMS, n int) { k.maxOpenKeys = n }

// OpenKeysCached reports the size of the decrypted-key cache.
func OpenKeysCached(k *KMS) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.openKeys)
}

const (
	MaxAge  = maxAge
	MaxUses = maxUses
)
