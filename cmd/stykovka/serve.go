package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/scheduler"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "адрес HTTP-сервера")
	data := fs.String("data", "./var", "папка данных (хранилище, файлы, ключ шифрования)")
	demo := fs.Bool("demo", false, "демо-режим: абонент demo, симуляторы внешних систем")
	publicURL := fs.String("public-url", "", "внешний адрес хаба для WSDL (по умолчанию — из запроса)")
	clockSpeed := fs.Float64("clock-speed", 1, "ускорение часов хаба и симуляторов (демо: 10 — минута СЭП за 6 секунд)")
	profile := addProfileFlag(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	log := newLogger(stderr)
	var clk clock.Clock = clock.Real{}
	if *clockSpeed > 1 {
		clk = clock.NewScaled(*clockSpeed)
	}
	deps, err := openDeps(ctx, os.Getenv, *data, *profile, log, clk) // profile.go
	if err != nil {
		return err
	}
	defer deps.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("занять адрес %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	if *publicURL != "" {
		base = strings.TrimRight(*publicURL, "/")
	}

	// Where the outside systems are: the STYKOVKA_* variables of the Lambda functions (on-prem:
	// /etc/stykovka/stykovka.env); the demo points them at its simulators.
	cfg := hub.ConfigFromEnv(os.Getenv)
	cfg.PublicURL = base
	d := &demoEnv{dataDir: *data, clk: clk}
	defer d.stop()
	if *demo {
		if err := startSimulators(ctx, d, &cfg); err != nil {
			ln.Close()
			return fmt.Errorf("симуляторы: %w", err)
		}
	}
	h, err := hub.New(deps, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	if *demo {
		if err := seedDemo(ctx, d, h); err != nil {
			ln.Close()
			return fmt.Errorf("демо-данные: %w", err)
		}
	}

	// The in-process scheduler stands in for EventBridge Scheduler; each run is counted and
	// timed (internal/metrics), and the console's health page shows the jobs' state.
	sched := scheduler.New(deps.Clock, log)
	for _, j := range h.Jobs() {
		sched.Add(j.Name, j.Every, metrics.Job(j.Name, j.Run))
	}

	srv := &http.Server{
		Handler: facade.New(facade.Options{Hub: h, PublicURL: *publicURL, Jobs: sched.Jobs, Metrics: metrics.Default}),
		// Bounded times: a slow or stuck client cannot hold a connection forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}

	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() { sched.Run(schedCtx, time.Second); close(schedDone) }()

	abs, _ := filepath.Abs(*data)
	fmt.Fprintf(stdout, "Стыковка %s запущена (профиль: %s, данные: %s)\n", facade.Version, deps.Deployment.Profile, abs)
	announceProfile(stdout, deps, h)
	if *clockSpeed > 1 {
		fmt.Fprintf(stdout, "  Часы ускорены в %g раз (--clock-speed)\n", *clockSpeed)
	}
	fmt.Fprintf(stdout, "  Проверка:     %s/healthz\n", base)
	fmt.Fprintf(stdout, "  SOAP (1С):    %s/ws/Hub?wsdl\n", base)
	for _, svc := range h.SOAPServices() {
		fmt.Fprintf(stdout, "                %s/ws/%s?wsdl\n", base, svc.Name)
	}
	fmt.Fprintf(stdout, "  OData (1С):   %s/odata/standard.odata/\n", base)
	fmt.Fprintf(stdout, "  Консоль:      %s/console/ (пользователи абонента; метрики: %s/metrics)\n", base, base)
	if *demo {
		fmt.Fprintf(stdout, "  Демо-абонент: %s; пользователи %s / %s и %s / %s\n",
			demoTenant, demoUser, demoPassword, demoUser1C, demoPassword)
		for _, line := range d.lines {
			fmt.Fprintln(stdout, "  "+line)
		}
	}
	fmt.Fprintln(stdout, "Остановка: Ctrl+C")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		fmt.Fprintln(stdout, "Останавливаюсь…")
		shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	stopSched()
	<-schedDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
