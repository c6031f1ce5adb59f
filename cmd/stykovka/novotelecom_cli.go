package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// novotelecomUsage is the part of the usage about the «Мои счета» registry files.
const novotelecomUsage = `  stykovka novotelecom check ФАЙЛ [--kind PAYMENTS]                 (проверить реестр «Мои счета», с ходом работы)
  stykovka novotelecom generate --out ФАЙЛ [--lines 1000000]         (построить тестовый реестр оплат, с ходом работы)
`

// novotelecomCmd runs `stykovka novotelecom …`: work on registry files that may be large
// (Novotelecom's limit is 64 MiB, about a million lines), streamed, with progress on stderr.
func novotelecomCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"укажите действие: check или generate\n\n" + novotelecomUsage}
	}
	switch args[0] {
	case "check":
		return registryCheck(ctx, args[1:], stdout, stderr)
	case "generate":
		return registryGenerate(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("неизвестное действие %q: check или generate", args[0])}
}

func parseKind(s string) (registry.Kind, error) {
	if s == "" {
		return "", nil
	}
	for _, k := range registry.Kinds {
		if strings.EqualFold(s, string(k)) || strings.EqualFold(s, k.Prefix()) {
			return k, nil
		}
	}
	return "", usageError{fmt.Sprintf("неизвестный тип реестра %q", s)}
}

// registryCheck validates a registry file line by line, as the hub does on receipt: the
// header, every line's fields, and the header's count and sum against the lines.
func registryCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("novotelecom check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kindFlag := fs.String("kind", "", "ожидаемый тип реестра (PAYMENTS, READINGS, DEBTS, …); по умолчанию — любой")
	every := fs.Duration("progress-every", 0, "как часто сообщать о ходе работы (по умолчанию 250 мс в терминале, 1 с в журнале)")
	file, rest := firstArg(args)
	if err := fs.Parse(rest); err != nil {
		return usageError{err.Error()}
	}
	if file == "" {
		if file = fs.Arg(0); file == "" {
			return usageError{"укажите файл реестра"}
		}
	}
	kind, err := parseKind(*kindFlag)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return apperr.Wrap(err, apperr.NotFound, "FILE_NOT_FOUND", "Файл не открывается: "+file)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	name := filepath.Base(file)
	p := newProgress(stderr, "Проверка "+name, fi.Size(), "bytes", *every)
	rd, err := registry.NewReader(f, name, registry.Options{Kind: kind})
	if err != nil {
		return invalidRegistry(err)
	}
	for {
		err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.finish(rd.Offset(), rd.Line())
			return invalidRegistry(err)
		}
		if rd.Line()%1024 == 0 {
			if err := ctx.Err(); err != nil {
				p.finish(rd.Offset(), rd.Line())
				return apperr.Wrap(err, apperr.Unavailable, "INTERRUPTED", "Проверка прервана")
			}
			p.update(rd.Offset(), rd.Line())
		}
	}
	p.finish(fi.Size(), rd.Line())
	h := rd.Header()
	fmt.Fprintf(stdout, "Реестр %s верен: %s № %d от %s", name, h.Kind, h.Number, h.Date.Format("02.01.2006"))
	if !h.Period.IsZero() {
		fmt.Fprintf(stdout, " за %s", h.Period)
	}
	fmt.Fprintf(stdout, ", строк %s, сумма %s, кодировка %s\n", group(h.Count), h.Sum, h.Charset)
	return nil
}

func invalidRegistry(err error) error {
	var re *registry.Error
	if errors.As(err, &re) {
		return apperr.Wrap(err, apperr.Invalid, "NOVOTELECOM_REGISTRY_INVALID", "Реестр с ошибкой: "+re.Diagnostic())
	}
	return apperr.Wrap(err, apperr.Invalid, "NOVOTELECOM_REGISTRY_INVALID", "Реестр не читается: "+err.Error())
}

// firstArg splits a leading positional argument off flags (`check FILE --kind X`).
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// maxGenerateLines is Novotelecom's limit of a registry's lines.
const maxGenerateLines = 1_000_000

// registryGenerate writes a payments registry of many lines (a test file for the exchange,
// the check and the acceptance), in one pass, atomically: under a temporary name, renamed
// when complete.
func registryGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("novotelecom generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "файл, в который записать реестр")
	lines := fs.Int64("lines", 100_000, "число строк (оплат), до 1 000 000")
	date := fs.String("date", time.Now().Format("2006-01-02"), "дата реестра (ГГГГ-ММ-ДД)")
	number := fs.Int("number", 1, "номер реестра за дату (1–999)")
	every := fs.Duration("progress-every", 0, "как часто сообщать о ходе работы")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *out == "" {
		return usageError{"укажите --out"}
	}
	if *lines < 1 || *lines > maxGenerateLines {
		return usageError{"--lines: от 1 до 1 000 000"}
	}
	day, err := time.Parse("2006-01-02", *date)
	if err != nil {
		return usageError{"--date: ГГГГ-ММ-ДД"}
	}
	period := registry.PeriodOf(day.AddDate(0, -1, 0))
	rec := func(i int64) registry.Record {
		return registry.Record{
			Account: fmt.Sprintf("8032%03d", i%1000), Service: "101", Period: period,
			Amount: money.New(100+(i*37)%100_000, 2), Time: day.Add(time.Duration(i%86_400) * time.Second),
			ID: fmt.Sprintf("P%09d", i+1),
		}
	}
	// The header carries the count and the sum: add the amounts up first (cheap), then write.
	var units int64
	for i := int64(0); i < *lines; i++ {
		units += 100 + (i*37)%100_000
	}
	h := registry.Header{Kind: registry.Payments, Number: *number, Date: day, Period: period, Count: *lines,
		Sum: money.New(units, 2), Charset: registry.UTF8}
	tmp := *out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // gone after the rename; removes what an error left
	cw := &countingWriter{w: f}
	w, err := registry.NewWriter(cw, h)
	if err != nil {
		f.Close()
		return err
	}
	p := newProgress(stderr, "Запись "+filepath.Base(*out), *lines, "строк", *every)
	for i := int64(0); i < *lines; i++ {
		if err := w.Write(rec(i)); err != nil {
			f.Close()
			return err
		}
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				f.Close()
				p.finish(i, i)
				return apperr.Wrap(err, apperr.Unavailable, "INTERRUPTED", "Запись прервана")
			}
			p.update(i, i)
		}
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	p.finish(*lines, *lines)
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Записан %s: %s № %d от %s, строк %s, сумма %s, %s\n", *out, h.Kind, h.Number,
		day.Format("02.01.2006"), group(h.Count), h.Sum, bytesRU(cw.n))
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
