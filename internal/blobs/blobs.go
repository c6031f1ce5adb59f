// Package blobs is the file port: registries, raw mails and scan payloads live here, never in
// store items. Adapters: a folder (local) and S3; both pass the suite in package blobstest.
package blobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by every adapter.
var (
	ErrNotFound = errors.New("blobs: not found")
	ErrInvalid  = errors.New("blobs: invalid key")
	ErrTooLarge = errors.New("blobs: blob larger than MaxSize")
)

// MaxSize is the largest blob the hub stores (64 MiB); adapters refuse larger ones.
const MaxSize = 64 << 20

// Info describes a stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Blobs stores byte blobs under slash-separated keys such as "t/demo/novotelecom/incoming/x.txt".
// Implementations are safe for concurrent use. Writes are atomic: a reader sees the old blob
// or the whole new one, never a part.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	// Get returns ErrNotFound when absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns every blob whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Move renames from to to (replacing to); ErrNotFound when from is absent.
	Move(ctx context.Context, from, to string) error
	// Delete removes the blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, key string) error
}

// ValidKey checks a key: 1..900 bytes of UTF-8, slash-separated segments of 1..255 bytes that
// are not "." or "..", no backslash, no NUL or control characters. Both adapters use the same
// rule so that a key valid on one is valid on the other (255 is a file name's limit). A key
// must not also be the "folder" of other keys ("a" and "a/b"): the folder adapter cannot
// hold both, so domain code keeps files and folders apart.
func ValidKey(key string) error {
	if key == "" || len(key) > 900 || !utf8.ValidString(key) {
		return fmt.Errorf("%w: %q", ErrInvalid, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q has a forbidden character", ErrInvalid, key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > 255 {
			return fmt.Errorf("%w: %q has an empty, . or .. or over-long segment", ErrInvalid, key)
		}
	}
	return nil
}
