package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// servedHub is `stykovka serve` running in this process, as `make run` starts it.
type servedHub struct {
	banner string      // everything printed up to "Ctrl+C"
	log    *syncBuffer // standard error: the structured log
	stop   func()      // stops it and checks the exit code; also run at the test's end
}

// serveInProcess runs `stykovka serve --addr 127.0.0.1:0 args…` until stop or the test's end.
func serveInProcess(t *testing.T, args ...string) *servedHub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &servedHub{log: &syncBuffer{}}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), nil, pw, s.log)
		pw.Close()
	}()
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Errorf("serve exit %d; log:\n%s", code, s.log.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(s.stop)
	sc := bufio.NewScanner(pr)
	var b strings.Builder
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	s.banner = b.String()
	return s
}

// startDemo runs `serve --demo` on the data folder (extra flags after it).
func startDemo(t *testing.T, data string, extra ...string) *servedHub {
	t.Helper()
	return serveInProcess(t, append([]string{"--demo", "--data", data}, extra...)...)
}

// find returns the first group of re in the banner, or fails the test.
func (s *servedHub) find(t *testing.T, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s.banner)
	if m == nil {
		t.Fatalf("banner lacks %s:\n%s\nlog:\n%s", re, s.banner, s.log.String())
	}
	return m[1]
}
