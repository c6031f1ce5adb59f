package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNovotelecomRegistryCLI builds a large payments registry and checks it, both showing
// their progress on stderr, then finds the broken line of a damaged copy.
func TestNovotelecomRegistryCLI(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "Payments_20180621_001.txt")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"novotelecom", "generate", "--out", file, "--lines", "200000",
		"--date", "2018-06-21", "--progress-every", "1ns"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "строк 200 000") || !strings.Contains(out.String(), "PAYMENTS № 1 от 21.06.2018") {
		t.Errorf("generate summary: %s", out.String())
	}
	progress := regexp.MustCompile(`(?m)^Запись Payments_20180621_001\.txt: [\d ]+ строк из 200 000 строк \(\d+%\)`)
	if n := len(progress.FindAllString(errb.String(), -1)); n < 3 {
		t.Errorf("generate reported its progress %d times:\n%s", n, errb.String())
	}
	if !strings.Contains(errb.String(), "200 000 строк из 200 000 строк (100%)") {
		t.Errorf("no final progress line:\n%s", errb.String())
	}
	if _, err := os.Stat(file + ".tmp"); !os.IsNotExist(err) {
		t.Error("the temporary file is left behind")
	}

	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"novotelecom", "check", file, "--kind", "payments", "--progress-every", "1ns"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Реестр Payments_20180621_001.txt верен") || !strings.Contains(out.String(), "строк 200 000") {
		t.Errorf("check summary: %s", out.String())
	}
	checking := regexp.MustCompile(`(?m)^Проверка Payments_20180621_001\.txt: [\d,]+ [КМ]?Б из [\d,]+ МБ \(\d+%\), строк [\d ]+, `)
	if n := len(checking.FindAllString(errb.String(), -1)); n < 2 {
		t.Errorf("check reported its progress %d times:\n%s", n, errb.String())
	}

	// A damaged line: the check stops at it and names it.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(raw, []byte("\r\n"))
	fields := bytes.Split(lines[150001], []byte(";"))
	fields[3] = []byte("12,3x") // the amount
	lines[150001] = bytes.Join(fields, []byte(";"))
	os.Mkdir(filepath.Join(dir, "bad"), 0o755)
	bad := filepath.Join(dir, "bad", "Payments_20180621_001.txt")
	os.WriteFile(bad, bytes.Join(lines, []byte("\r\n")), 0o644)
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"novotelecom", "check", bad}, nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "строка: 150001") || !strings.Contains(errb.String(), "NOVOTELECOM_REGISTRY_INVALID") {
		t.Errorf("damaged registry: exit %d\n%s%s", code, out.String(), errb.String())
	}

	// Usage mistakes.
	for _, args := range [][]string{{"novotelecom"}, {"novotelecom", "check"}, {"novotelecom", "generate", "--out", file, "--lines", "0"}, {"novotelecom", "x"}} {
		if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "Проверка f.txt", 10<<20, "bytes", time.Second)
	now := p.start
	p.now = func() time.Time { return now }
	p.update(1<<20, 10) // too soon
	now = now.Add(2 * time.Second)
	p.update(5<<20, 123456)
	now = now.Add(2 * time.Second)
	p.finish(10<<20, 246912)
	want := "Проверка f.txt: 5,0 МБ из 10,0 МБ (50%), строк 123 456, 2,5 МБ/с, осталось ~2,0 с\n" +
		"Проверка f.txt: 10,0 МБ из 10,0 МБ (100%), строк 246 912, 2,5 МБ/с, за 4,0 с\n"
	if b.String() != want {
		t.Errorf("progress:\n%q\nwant\n%q", b.String(), want)
	}
}
