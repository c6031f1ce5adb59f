// Command stykovka is the hub as one local binary: `serve` runs every handler in one process
// on the embedded store; `admin` manages tenants and users.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/metrics"
)

const usage = `Стыковка — интеграционный хаб для 1С и гостиничных PMS.

Использование:
  stykovka serve [--addr 127.0.0.1:8080] [--data ./var] [--demo] [--public-url URL] [--profile on-prem]
  stykovka admin tenant add --id ID --name NAME [--tz Europe/Moscow] [--data ./var]
  stykovka admin tenant list [--data ./var]
  stykovka admin tenant retention --id ID [--hours N] [--data ./var]   (срок хранения персональных данных; 0 — по умолчанию)
  stykovka admin user add --tenant ID --name NAME [--admin] [--data ./var]   (пароль со стандартного ввода)
  stykovka admin user passwd --name NAME [--data ./var]                       (пароль со стандартного ввода)
  stykovka admin user delete --name NAME [--data ./var]
  stykovka admin user list --tenant ID [--data ./var]
  stykovka version
` + novotelecomUsage

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: testable, and it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "admin":
		err = admin(ctx, args[1:], stdin, stdout)
	case "novotelecom":
		err = novotelecomCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "stykovka", facade.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "неизвестная команда %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "%s\n\n%s", ue.msg, usage)
			return 2
		}
		e := apperr.As(err)
		if e.Kind == apperr.Internal {
			fmt.Fprintln(stderr, "ошибка:", err)
		} else {
			fmt.Fprintf(stderr, "ошибка: %s (%s)\n", e.Message, e.Code)
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func newLogger(w io.Writer) *slog.Logger {
	// Lines logged with a request's context carry its id (request_id).
	return slog.New(metrics.LogHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
}
