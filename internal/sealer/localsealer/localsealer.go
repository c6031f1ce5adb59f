// Package localsealer is the local adapter of the sealer port: AES-256-GCM under one key kept
// in a file. A sealed value is a version byte, a random 12-byte nonce and the GCM output, bound
// to sealer.AssociatedData(tenant, purpose).
//
// The key file is created on first use; losing it loses every sealed value, so back it up
// apart from the data it protects.
package localsealer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stykovka/stykovka/internal/sealer"
)

const (
	keySize = 32 // AES-256
	version = 1
)

// Local seals with one AES-256-GCM key. It is safe for concurrent use.
type Local struct {
	aead cipher.AEAD // nonces are random and travel in front of the ciphertext
}

var _ sealer.Sealer = (*Local)(nil)

// Open loads the key at keyPath, creating it (and its folder, mode 0700) on first run. A key
// file that is not 32 bytes, or that group or others may access, is refused.
func Open(keyPath string) (*Local, error) {
	key, err := readKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(keyPath); err != nil {
			return nil, fmt.Errorf("localsealer: create key file %s: %w", keyPath, err)
		}
		key, err = readKey(keyPath)
	}
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	clear(key) // the cipher keeps its own copy, expanded
	if err != nil {
		return nil, fmt.Errorf("localsealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("localsealer: %w", err)
	}
	return &Local{aead: aead}, nil
}

// readKey reads the key file, checking it from the open file so that what is checked is what
// is read.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("localsealer: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("localsealer: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("localsealer: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("localsealer: key file %s has mode %04o: group and others must have no access (chmod 600)", path, perm)
	}
	// Read one byte more than a key, so that a longer file is caught without reading it all.
	key := make([]byte, keySize+1)
	n, err := io.ReadFull(f, key)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("localsealer: key file: %w", err)
	}
	if n != keySize {
		clear(key)
		return nil, fmt.Errorf("localsealer: key file %s is not a %d-byte key", path, keySize)
	}
	return key[:keySize], nil
}

// createKey writes a new random key to a temporary file and links it into place. The link
// fails rather than replace a key that another process created meanwhile; then that key wins
// and is the one both processes read. The file appears complete or not at all.
func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	key := make([]byte, keySize)
	rand.Read(key)
	_, err = tmp.Write(key)
	clear(key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	// Make the new name durable before any value is sealed with the key.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Seal encrypts plaintext for tenant and purpose.
func (l *Local) Seal(_ context.Context, tenant, purpose string, plaintext []byte) ([]byte, error) {
	out := make([]byte, 1, 1+l.aead.Overhead()+len(plaintext))
	out[0] = version
	return l.aead.Seal(out, nil, plaintext, sealer.AssociatedData(tenant, purpose)), nil
}

// Open decrypts a value sealed for tenant and purpose; sealer.ErrOpen if it cannot.
func (l *Local) Open(_ context.Context, tenant, purpose string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != version {
		return nil, sealer.ErrOpen
	}
	plaintext, err := l.aead.Open(nil, nil, sealed[1:], sealer.AssociatedData(tenant, purpose))
	if err != nil {
		return nil, sealer.ErrOpen
	}
	return plaintext, nil
}
