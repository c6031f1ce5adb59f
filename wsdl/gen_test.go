package wsdl

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsFresh runs this package's go:generate lines into a temporary directory
// and compares the result with the committed code, so a WSDL edit without `go generate
// ./wsdl` fails here.
func TestGeneratedCodeIsFresh(t *testing.T) {
	lines := generateLines(t)
	if len(lines) == 0 {
		t.Fatal("no go:generate lines in the package")
	}
	tmp := t.TempDir()
	for _, args := range lines {
		i := indexOf(args, "-d")
		if i < 0 || i+1 >= len(args) || args[i+1] != "." {
			t.Fatalf("go:generate line %q lacks \"-d .\"", strings.Join(args, " "))
		}
		args[i+1] = tmp
		cmd := exec.Command(args[0], args[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	n := 0
	err := filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		fresh, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		committed, err := os.ReadFile(rel)
		if err != nil {
			t.Errorf("%s is generated but not committed: run go generate ./wsdl", rel)
			return nil
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is stale: run go generate ./wsdl", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the go:generate lines produced no file")
	}
}

// generateLines collects the go:generate lines of every non-test Go file of the package, in
// file-name order as go generate runs them: each service keeps its lines in its own file.
func generateLines(t *testing.T) [][]string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "//go:generate "); ok {
				lines = append(lines, strings.Fields(rest))
			}
		}
		f.Close()
	}
	return lines
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestEmbedded(t *testing.T) {
	if !bytes.Contains(Hub, []byte(`targetNamespace="http://stykovka.ru/hub"`)) {
		t.Fatal("Hub.wsdl is not embedded")
	}
}
