package folderblobs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/blobstest"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
)

func TestConformance(t *testing.T) {
	blobstest.Run(t, func(t *testing.T) blobs.Blobs {
		f, err := folderblobs.New(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}

func TestLayoutAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "blobs")
	f, err := folderblobs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Put(t.Context(), "t/демо/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	// The blob is a plain file at the path its key names, readable by the owner only.
	p := filepath.Join(dir, "t", "демо", "a.txt")
	data, err := os.ReadFile(p)
	if err != nil || string(data) != "a" {
		t.Fatalf("file at %s: %q, %v", p, data, err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Dir(p): 0o700 | os.ModeDir, p: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if err != nil || len(entries) != 1 {
		t.Fatalf("folder holds %v (%v), want only the blob: no temporary file left behind", entries, err)
	}
}

func TestTemporaryFilesAreNotBlobs(t *testing.T) {
	dir := t.TempDir()
	f, err := folderblobs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Put(t.Context(), "t/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	// What a crash in the middle of a Put leaves behind.
	stale := filepath.Join(dir, "t", `.tmp\123456`)
	if err := os.WriteFile(stale, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err := f.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != "t/a.txt" {
		t.Fatalf("List = %+v, want only t/a.txt", infos)
	}
}

func TestDeletePrunesEmptyFolders(t *testing.T) {
	dir := t.TempDir()
	f, err := folderblobs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, key := range []string{"t/a/b/c.txt", "t/keep.txt", "u/v/w.txt"} {
		if err := f.Put(ctx, key, []byte(key)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Delete(ctx, "t/a/b/c.txt"); err != nil {
		t.Fatal(err)
	}
	if err := f.Move(ctx, "u/v/w.txt", "t/w.txt"); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"t/a", "u"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists (%v), want it pruned", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "t", "keep.txt")); err != nil {
		t.Errorf("sibling blob: %v", err)
	}
	for _, key := range []string{"t/keep.txt", "t/w.txt"} {
		if err := f.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	// The root itself stays.
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("root holds %v (%v), want an empty root", entries, err)
	}
}

func TestNewRefusesAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := folderblobs.New(p); err == nil {
		t.Fatal("New on a regular file succeeded")
	}
}
