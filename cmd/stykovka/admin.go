package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/tenants"
)

// admin manages tenants and users in the local data folder. The embedded store takes an
// exclusive lock, so these commands run while `serve` is stopped.
func admin(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 {
		return usageError{"укажите объект и действие, например: admin tenant add"}
	}
	what := args[0] + " " + args[1]
	fs := flag.NewFlagSet("admin "+what, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "./var", "папка данных")
	id := fs.String("id", "", "идентификатор абонента")
	tenant := fs.String("tenant", "", "идентификатор абонента")
	name := fs.String("name", "", "наименование или имя пользователя")
	tz := fs.String("tz", "Europe/Moscow", "часовой пояс абонента")
	isAdmin := fs.Bool("admin", false, "права администратора")
	hours := fs.Int("hours", -1, "срок хранения персональных данных, часов (0 — по умолчанию)")
	if err := fs.Parse(args[2:]); err != nil {
		return usageError{err.Error()}
	}
	need := func(flagName, v string) error {
		if v == "" {
			return usageError{"не указан --" + flagName}
		}
		return nil
	}

	deps, err := openDeps(ctx, os.Getenv, *data, "", newLogger(io.Discard), clock.Real{}) // profile.go
	if err != nil {
		return fmt.Errorf("%w (не запущен ли stykovka serve?)", err)
	}
	defer deps.Close()
	reg := tenants.New(deps.Store, deps.Clock)

	switch what {
	case "tenant add":
		if err := firstErr(need("id", *id), need("name", *name)); err != nil {
			return err
		}
		t, err := reg.AddTenant(ctx, *id, *name, *tz)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Абонент %s («%s») создан\n", t.ID, t.Name)
	case "tenant list":
		ts, err := reg.Tenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "АБОНЕНТ\tНАИМЕНОВАНИЕ\tЧАСОВОЙ ПОЯС")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Name, t.TimeZone)
		}
		tw.Flush()
	case "tenant retention":
		if err := need("id", *id); err != nil {
			return err
		}
		return tenantRetention(ctx, reg, *id, *hours, stdout) // profile.go
	case "user add":
		if err := firstErr(need("tenant", *tenant), need("name", *name)); err != nil {
			return err
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if err := reg.AddUser(ctx, *tenant, *name, pw, *isAdmin); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Пользователь %s абонента %s создан\n", *name, *tenant)
	case "user passwd":
		if err := need("name", *name); err != nil {
			return err
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if err := reg.SetPassword(ctx, *name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Пароль пользователя %s изменён\n", *name)
	case "user delete":
		if err := need("name", *name); err != nil {
			return err
		}
		if err := reg.DeleteUser(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Пользователь %s удалён\n", *name)
	case "user list":
		if err := need("tenant", *tenant); err != nil {
			return err
		}
		us, err := reg.Users(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ПОЛЬЗОВАТЕЛЬ\tАДМИНИСТРАТОР")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, map[bool]string{true: "да", false: "нет"}[u.Admin])
		}
		tw.Flush()
	default:
		return usageError{"неизвестная команда admin " + what}
	}
	return nil
}

// readPassword takes the first line of stdin, so passwords never appear in argv or shell history.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"пароль не передан на стандартный ввод"}
	}
	return pw, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
