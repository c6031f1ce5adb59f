// Command bridge is the on-prem scanner bridge: it runs on a hotel's front-desk PC next to a
// Regula document reader and relays each processed read to the hub, offline-safe and signed
// (package internal/bridge/agent has the logic; README.md, «Сканер документов (Regula) на
// стойке», the installation).
//
//	bridge [-config путь/bridge.json]   run (as a console program, a systemd unit or a Windows service)
//	bridge -check [-config …]           check the configuration file and exit
//	bridge -version
//
// One static binary per system (scripts/build-bridge.sh); the configuration is one JSON file,
// by default bridge.json beside the executable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/stykovka/stykovka/internal/bridge/agent"
)

// memoryLimit keeps the Go heap small (the bridge's resident set stays under 30 MB); the
// GOMEMLIMIT environment variable overrides it.
const memoryLimit = 16 << 20

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func defaultConfig() string {
	exe, err := os.Executable()
	if err != nil {
		return "bridge.json"
	}
	return filepath.Join(filepath.Dir(exe), "bridge.json")
}

// run parses the command line and runs the bridge until ctx ends or a signal (or the Windows
// service manager) stops it; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig(), "файл настроек моста (JSON)")
	check := fs.Bool("check", false, "проверить файл настроек и выйти")
	version := fs.Bool("version", false, "показать версию")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, "stykovka-bridge", agent.Version)
		return 0
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	cfg, err := agent.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "мост сканера:", err)
		return 2
	}
	if *check {
		fmt.Fprintf(stdout, "Файл настроек %s в порядке: хаб %s, абонент %s, устройство %s\n", *cfgPath, cfg.HubURL, cfg.Tenant, cfg.DeviceID)
		return 0
	}
	logw, closeLog, err := openLog(cfg.LogFile, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "мост сканера: журнал:", err)
		return 2
	}
	defer closeLog()
	log := slog.New(slog.NewTextHandler(logw, nil))
	a, err := agent.New(cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		fmt.Fprintln(stderr, "мост сканера:", err)
		return 1
	}
	runner := func(ctx context.Context) error { return a.Run(ctx) }
	if handled, err := runService(runner); handled {
		if err != nil {
			log.Error("service failed", "err", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runner(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("bridge stopped", "err", err)
		fmt.Fprintln(stderr, "мост сканера:", err)
		return 1
	}
	log.Info("bridge stopped")
	return 0
}

// openLog opens the log file ("" is w), rotating it to .1 past 10 MB.
func openLog(path string, w io.Writer) (io.Writer, func(), error) {
	if path == "" {
		return w, func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, err
	}
	rw := &rotating{path: path, max: 10 << 20}
	if err := rw.open(); err != nil {
		return nil, nil, err
	}
	return rw, func() { rw.close() }, nil
}

type rotating struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

func (r *rotating) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, info.Size()
	return nil
}

func (r *rotating) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size+int64(len(p)) > r.max {
		r.f.Close()
		_ = os.Rename(r.path, r.path+".1")
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *rotating) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.f.Close()
	}
}
