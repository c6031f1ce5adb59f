package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Demo credentials seeded by --demo; printed at start.
const (
	demoTenant   = "demo"
	demoUser     = "demo"
	demoPassword = "demo"
	demoUser1C   = "Администратор" // a Cyrillic login, as 1C bases usually have
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "адрес HTTP-сервера")
	data := fs.String("data", "./var", "папка данных (хранилище, файлы, ключ шифрования)")
	demo := fs.Bool("demo", false, "демо-режим: абонент demo, симуляторы внешних систем")
	publicURL := fs.String("public-url", "", "внешний адрес хаба для WSDL (по умолчанию — из запроса)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	log := newLogger(stderr)
	deps, err := app.Local(*data, log)
	if err != nil {
		return fmt.Errorf("открыть папку данных %s: %w", *data, err)
	}
	defer deps.Close()

	reg := tenants.New(deps.Store, deps.Clock)
	if *demo {
		if err := seedDemo(ctx, reg); err != nil {
			return fmt.Errorf("демо-данные: %w", err)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("занять адрес %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	if *publicURL != "" {
		base = *publicURL
	}
	srv := &http.Server{
		Handler: facade.New(facade.Options{Deps: deps, Auth: reg, Location: reg.Location, PublicURL: *publicURL}),
		// Bounded times: a slow or stuck client cannot hold a connection forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}

	sched := scheduler.New(deps.Clock, log)
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() { sched.Run(schedCtx, time.Second); close(schedDone) }()

	abs, _ := filepath.Abs(*data)
	fmt.Fprintf(stdout, "Стыковка %s запущена (профиль: %s, данные: %s)\n", facade.Version, deps.Profile, abs)
	fmt.Fprintf(stdout, "  Проверка:     %s/healthz\n", base)
	fmt.Fprintf(stdout, "  SOAP (1С):    %s/ws/Hub?wsdl\n", base)
	fmt.Fprintf(stdout, "  OData (1С):   %s/odata/standard.odata/\n", base)
	if *demo {
		fmt.Fprintf(stdout, "  Демо-абонент: %s; пользователи %s / %s и %s / %s\n",
			demoTenant, demoUser, demoPassword, demoUser1C, demoPassword)
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

// seedDemo creates the demo tenant and users once; later starts keep what is there.
func seedDemo(ctx context.Context, reg *tenants.Registry) error {
	if _, err := reg.Tenant(ctx, demoTenant); errors.Is(err, tenants.ErrNoTenant) {
		if _, err := reg.AddTenant(ctx, demoTenant, "Демо-абонент", "Europe/Moscow"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for _, u := range []string{demoUser, demoUser1C} {
		err := reg.AddUser(ctx, demoTenant, u, demoPassword, true)
		if err != nil && !errors.Is(err, tenants.ErrUserExists) {
			return err
		}
	}
	return nil
}
