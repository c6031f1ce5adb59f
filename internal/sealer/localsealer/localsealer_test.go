package localsealer_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/sealer/sealertest"
)

func open(t testing.TB, path string) *localsealer.Local {
	t.Helper()
	l, err := localsealer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestConformance(t *testing.T) {
	sealertest.Run(t, open(t, filepath.Join(t.TempDir(), "key")))
}

func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	path := filepath.Join(dir, "sealer.key")
	l := open(t, path)

	for p, want := range map[string]os.FileMode{dir: os.ModeDir | 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
	key, err := os.ReadFile(path)
	if err != nil || len(key) != 32 {
		t.Fatalf("key file holds %d bytes (%v), want 32", len(key), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key folder holds %v, want only the key: no temporary file left behind", entries)
	}

	// Reopening reads the same key: what was sealed before opens after.
	sealed, err := l.Seal(t.Context(), "demo", "passport", []byte("4510 123456"))
	if err != nil {
		t.Fatal(err)
	}
	reopened := open(t, path)
	got, err := reopened.Open(t.Context(), "demo", "passport", sealed)
	if err != nil || string(got) != "4510 123456" {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, key) {
		t.Fatal("reopening changed the key file")
	}
	sealertest.SameKey(t, l, reopened)
}

func TestAnotherKeyCannotOpen(t *testing.T) {
	dir := t.TempDir()
	sealertest.OtherKey(t, open(t, filepath.Join(dir, "a.key")), open(t, filepath.Join(dir, "b.key")))
}

func TestBadKeyFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		mode os.FileMode
		want string
	}{
		{"short", make([]byte, 31), 0o600, "32-byte key"},
		{"long", make([]byte, 33), 0o600, "32-byte key"},
		{"empty", nil, 0o600, "32-byte key"},
		{"group readable", make([]byte, 32), 0o640, "chmod 600"},
		{"world readable", make([]byte, 32), 0o604, "chmod 600"},
		{"group writable", make([]byte, 32), 0o620, "chmod 600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := localsealer.Open(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error that says %q", err, tc.want)
			}
			// The refused file is left as it was, for the operator to inspect.
			data, _ := os.ReadFile(path)
			if !bytes.Equal(data, tc.data) {
				t.Fatal("Open changed a refused key file")
			}
		})
	}
	if _, err := localsealer.Open(dir); err == nil {
		t.Fatal("Open of a folder succeeded")
	}
}

// Several processes starting at once on a fresh machine must agree on one key. The test
// binary runs itself as those processes; each seals a value and prints it.
func TestConcurrentFirstRunsAgreeOnOneKey(t *testing.T) {
	if path := os.Getenv("LOCALSEALER_TEST_KEY"); path != "" {
		l, err := localsealer.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := l.Seal(t.Context(), "demo", "p", []byte("from a child"))
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("sealed:" + hex.EncodeToString(sealed) + "\n")
		return
	}

	path := filepath.Join(t.TempDir(), "keys", "sealer.key")
	const n = 4
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestConcurrentFirstRunsAgreeOnOneKey$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "LOCALSEALER_TEST_KEY="+path)
		cmds[i].Stdout = &outs[i]
		cmds[i].Stderr = &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	l := open(t, path)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
		_, hexSealed, ok := strings.Cut(outs[i].String(), "sealed:")
		hexSealed, _, _ = strings.Cut(hexSealed, "\n")
		sealed, err := hex.DecodeString(hexSealed)
		if !ok || err != nil {
			t.Fatalf("process %d printed %q", i, outs[i].String())
		}
		if got, err := l.Open(t.Context(), "demo", "p", sealed); err != nil || string(got) != "from a child" {
			t.Errorf("process %d sealed under another key: %q, %v", i, got, err)
		}
	}
}

func TestErrorsDoNotLeakTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	key := bytes.Repeat([]byte{'K'}, 33)
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := localsealer.Open(path)
	if err == nil || strings.Contains(err.Error(), "KKKK") {
		t.Fatalf("Open = %v", err)
	}
	l := open(t, filepath.Join(t.TempDir(), "key"))
	if _, err := l.Open(t.Context(), "demo", "p", []byte{1, 2, 3}); !errors.Is(err, sealer.ErrOpen) {
		t.Fatalf("Open of garbage = %v, want ErrOpen", err)
	}
}

func BenchmarkSeal(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), "key"))
	plaintext := bytes.Repeat([]byte{'x'}, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Seal(b.Context(), "demo", "passport", plaintext); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), "key"))
	sealed, err := l.Seal(b.Context(), "demo", "passport", bytes.Repeat([]byte{'x'}, 64))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Open(b.Context(), "demo", "passport", sealed); err != nil {
			b.Fatal(err)
		}
	}
}
