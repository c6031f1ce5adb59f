// Package folderblobs is the local adapter of the blobs port: each blob is a regular file under
// one directory, at the path its key names ("t/demo/x.txt" → dir/t/demo/x.txt), so an operator
// can inspect and back up the files directly.
//
// Writes are atomic and durable: a blob is written to a temporary file in its target
// directory, synced, renamed over the target, and the directory is synced, so a crash leaves
// the old blob or the whole new one. It relies on POSIX rename and directory fsync (Linux,
// macOS, BSD).
//
// Limits of a file system that S3 does not have: a key cannot be both a blob and a "folder" of
// other blobs ("a" and "a/b"), and a key segment is limited to the file system's name length
// (255 bytes on most).
package folderblobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/stykovka/stykovka/internal/blobs"
)

// tempPrefix starts the names of temporary files. A key can never contain a backslash, so a
// temporary file can never be taken for a blob, or collide with one.
const tempPrefix = `.tmp\`

// Folder stores blobs as files under one directory. It is safe for concurrent use, also by
// several Folders (or processes) on the same directory.
type Folder struct {
	dir string
}

var _ blobs.Blobs = (*Folder)(nil)

// New returns a Folder rooted at dir, creating dir (mode 0700) if needed.
func New(dir string) (*Folder, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("folderblobs: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("folderblobs: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("folderblobs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("folderblobs: %s is not a directory", abs)
	}
	return &Folder{dir: abs}, nil
}

// path maps a valid key to its file path under the root.
func (f *Folder) path(key string) (string, error) {
	if err := blobs.ValidKey(key); err != nil {
		return "", err
	}
	p := filepath.Join(f.dir, filepath.FromSlash(key))
	// ValidKey already rules out "..", this is a second lock on the same door.
	if !strings.HasPrefix(p, f.dir+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q leaves the folder", blobs.ErrInvalid, key)
	}
	return p, nil
}

// notFound reports errors that mean "no blob at this path": the file is missing, or a path
// component is a file rather than a folder.
func notFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Put writes data under key, replacing any blob there.
func (f *Folder) Put(ctx context.Context, key string, data []byte) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if len(data) > blobs.MaxSize {
		return fmt.Errorf("folderblobs: put %q: %w: %d bytes", key, blobs.ErrTooLarge, len(data))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(p)
	var tmp *os.File
	err = inFolder(dir, func() (err error) {
		tmp, err = os.CreateTemp(dir, tempPrefix+"*")
		return err
	})
	if err != nil {
		return fmt.Errorf("folderblobs: put %q: %w", key, err)
	}
	err = writeAndSync(tmp, data)
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("folderblobs: put %q: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("folderblobs: put %q: %w", key, err)
	}
	return nil
}

// inFolder creates dir and runs op in it. A concurrent Delete or Move may prune dir (or a
// parent) again before op runs, so both steps are retried while they fail for a missing folder.
func inFolder(dir string, op func() error) error {
	var err error
	for range 10 {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			err = op()
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

func writeAndSync(tmp *os.File, data []byte) error {
	_, err := tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename or removal in dir durable. A folder that a concurrent Delete has
// already pruned has nothing left to sync.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns the blob under key, or ErrNotFound.
func (f *Folder) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	file, err := os.Open(p)
	if notFound(err) {
		return nil, fmt.Errorf("%w: %q", blobs.ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("folderblobs: get %q: %w", key, err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("folderblobs: get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %q", blobs.ErrNotFound, key)
	}
	// The open file is a snapshot: a concurrent Put renames a new file over the name and
	// leaves this one whole.
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(file, data); err != nil {
		return nil, fmt.Errorf("folderblobs: get %q: %w", key, err)
	}
	return data, nil
}

// List returns the blobs whose keys start with prefix, in key order.
func (f *Folder) List(ctx context.Context, prefix string) ([]blobs.Info, error) {
	// Walk only the deepest folder the prefix names in full. If that part is not a valid key,
	// no valid key starts with the prefix, and there is nothing to list.
	root := f.dir
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if blobs.ValidKey(prefix[:i]) != nil {
			return nil, nil
		}
		root = filepath.Join(f.dir, filepath.FromSlash(prefix[:i]))
	}
	var infos []blobs.Info
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// The root is missing or a file, or a folder vanished under a concurrent Delete:
			// either way there are no blobs there.
			if notFound(err) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(f.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if notFound(err) {
			return nil // deleted or moved away since the folder was read
		}
		if err != nil {
			return err
		}
		infos = append(infos, blobs.Info{Key: key, Size: fi.Size(), Modified: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("folderblobs: list %q: %w", prefix, err)
	}
	// A walk goes folder by folder ("a/b" before "a.txt"); keys compare byte by byte.
	slices.SortFunc(infos, func(a, b blobs.Info) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// Move renames from to to, replacing to; ErrNotFound when from is absent.
func (f *Folder) Move(ctx context.Context, from, to string) error {
	src, err := f.path(from)
	if err != nil {
		return err
	}
	dst, err := f.path(to)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.isBlob(src, from); err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	err = inFolder(filepath.Dir(dst), func() error {
		err := os.Rename(src, dst)
		if errors.Is(err, fs.ErrNotExist) {
			// Either the new folder was pruned meanwhile (retry) or the source went away.
			if err := f.isBlob(src, from); err != nil {
				return err
			}
		}
		return err
	})
	if errors.Is(err, blobs.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("folderblobs: move %q to %q: %w", from, to, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("folderblobs: move %q to %q: %w", from, to, err)
	}
	if err := syncDir(filepath.Dir(src)); err != nil {
		return fmt.Errorf("folderblobs: move %q to %q: %w", from, to, err)
	}
	f.prune(filepath.Dir(src))
	return nil
}

// isBlob returns ErrNotFound unless a regular file is at p.
func (f *Folder) isBlob(p, key string) error {
	fi, err := os.Lstat(p)
	if notFound(err) || (err == nil && !fi.Mode().IsRegular()) {
		return fmt.Errorf("%w: %q", blobs.ErrNotFound, key)
	}
	if err != nil {
		return fmt.Errorf("folderblobs: %q: %w", key, err)
	}
	return nil
}

// Delete removes the blob under key; an absent blob is not an error.
func (f *Folder) Delete(ctx context.Context, key string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.isBlob(p, key); errors.Is(err, blobs.ErrNotFound) {
		return nil // also when key names a folder: there is no blob to delete
	}
	if err := os.Remove(p); err != nil && !notFound(err) {
		return fmt.Errorf("folderblobs: delete %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("folderblobs: delete %q: %w", key, err)
	}
	f.prune(filepath.Dir(p))
	return nil
}

// prune removes dir and its parents up to the root while they are empty, so that moving and
// deleting blobs does not leave a trail of empty folders. Removing a non-empty folder fails,
// which is what stops it; a concurrent Put recreates what it needs.
func (f *Folder) prune(dir string) {
	for dir != f.dir && strings.HasPrefix(dir, f.dir+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
