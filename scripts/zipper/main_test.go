package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sep-poller")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := []byte("\x7fELF not really")
	// A restrictive umask or build may leave the binary 0700; the zip must say 0755 anyway.
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), exe, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := pack(dir + "/"); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(dir + ".zip")
	if err != nil {
		t.Fatal(err)
	}

	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("%d entries, want 1", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" || f.Mode() != 0o755 {
		t.Errorf("entry %s %v, want bootstrap -rwxr-xr-x", f.Name, f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, exe) {
		t.Errorf("content %q (%v), want %q", got, err, exe)
	}

	// Packing the same binary again gives the same bytes.
	if err := pack(dir); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(dir + ".zip")
	if !bytes.Equal(first, again) {
		t.Error("zip differs between two packs of the same binary")
	}
	if _, err := os.Stat(dir + ".zip.tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestPackWithoutBootstrapFails(t *testing.T) {
	if err := pack(t.TempDir()); err == nil {
		t.Error("no error for a folder without bootstrap")
	}
}
