package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/tenants"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
	"github.com/stykovka/stykovka/internal/testinfra/kmsserver"
	"github.com/stykovka/stykovka/internal/testinfra/s3server"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

// cleanProfileEnv hides the developer's deployment settings from a test.
func cleanProfileEnv(t *testing.T) {
	for _, k := range []string{app.EnvProfile, app.EnvPersonalData, app.EnvTable, app.EnvBucket, app.EnvKMSKey, app.EnvSealer,
		hub.EnvEmisURL, hub.EnvNovotelecomURL, hub.EnvSepURL, hub.EnvKonturURL} {
		t.Setenv(k, "")
	}
}

// startServe runs `stykovka serve` with args on a fresh data folder until the test ends and
// returns its banner (up to "Ctrl+C") and its log.
func startServe(t *testing.T, args ...string) (banner string, log *syncBuffer) {
	t.Helper()
	srv := serveInProcess(t, append([]string{"--data", filepath.Join(t.TempDir(), "var")}, args...)...)
	return srv.banner, srv.log
}

func TestServeShowsTheProfile(t *testing.T) {
	cleanProfileEnv(t)
	banner, log := startServe(t)
	if !strings.Contains(banner, "профиль: on-prem") || !strings.Contains(banner, "Персональные данные: разрешены на профиле on-prem") {
		t.Errorf("the local binary's default profile:\n%s", banner)
	}
	if strings.Contains(banner, "ВНИМАНИЕ") || strings.Contains(log.String(), "PERSONAL_DATA_PROFILE") {
		t.Errorf("a warning on on-prem:\n%s\n%s", banner, log.String())
	}
}

// TestServeWarnsAboutPersonalDataOnAWS: the demo configures EMIS (guest documents) and the
// other integrations; on the aws profile the banner and the log say that this profile is
// not for personal data.
func TestServeWarnsAboutPersonalDataOnAWS(t *testing.T) {
	cleanProfileEnv(t)
	t.Setenv(app.EnvProfile, "aws")
	banner, log := startServe(t, "--demo")
	for _, want := range []string{"профиль: aws", "ВНИМАНИЕ: профиль aws не разрешён для персональных данных", "EMIS (документы гостей)",
		"мост сканера документов", "«Мои счета» Новотелекома", "Где хранить персональные данные"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "PERSONAL_DATA_PROFILE") || !strings.Contains(l, "profile=aws") {
		t.Errorf("no WARN PERSONAL_DATA_PROFILE in the log:\n%s", l)
	}
}

func TestServeProfileOverrides(t *testing.T) {
	cleanProfileEnv(t)
	t.Run("allowed under legal advice", func(t *testing.T) {
		t.Setenv(app.EnvPersonalData, "true")
		banner, log := startServe(t, "--demo", "--profile", "aws")
		if !strings.Contains(banner, "Персональные данные: разрешены на профиле aws") || strings.Contains(banner, "ВНИМАНИЕ") ||
			strings.Contains(log.String(), "PERSONAL_DATA_PROFILE") {
			t.Errorf("override ignored:\n%s", banner)
		}
	})
	t.Run("outside systems from the environment", func(t *testing.T) {
		// The local binary reads the same STYKOVKA_* variables as the Lambda functions.
		t.Setenv(hub.EnvEmisURL, "http://127.0.0.1:1/emis")
		banner, _ := startServe(t, "--profile", "aws")
		if !strings.Contains(banner, "включены интеграции с ними: EMIS (документы гостей), мост сканера документов.") {
			t.Errorf("banner:\n%s", banner)
		}
	})
	t.Run("flag over environment", func(t *testing.T) {
		t.Setenv(app.EnvProfile, "aws")
		banner, _ := startServe(t, "--profile", "ru-cloud")
		if !strings.Contains(banner, "профиль: ru-cloud") || !strings.Contains(banner, "разрешены на профиле ru-cloud") {
			t.Errorf("--profile ignored:\n%s", banner)
		}
	})
	t.Run("aws without the demo's outside systems", func(t *testing.T) {
		// EMIS and Novotelecom are not configured; the scanner bridge's upload webhook is
		// served whenever the hub runs, so it alone is named.
		t.Setenv(app.EnvProfile, "aws")
		banner, _ := startServe(t)
		if !strings.Contains(banner, "ВНИМАНИЕ") || !strings.Contains(banner, "включены интеграции с ними: мост сканера документов.") {
			t.Errorf("banner:\n%s", banner)
		}
	})
	for _, bad := range [][]string{{"--profile", "moon"}, {"--profile", "local"}} {
		var errb bytes.Buffer
		if code := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, bad...), nil, io.Discard, &errb); code != 2 ||
			!strings.Contains(errb.String(), "on-prem") {
			t.Errorf("serve %v: exit %d\n%s", bad, code, errb.String())
		}
	}
	t.Setenv(app.EnvPersonalData, "perhaps")
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, nil, io.Discard, &errb); code != 2 ||
		!strings.Contains(errb.String(), app.EnvPersonalData) {
		t.Errorf("bad %s: exit %d\n%s", app.EnvPersonalData, code, errb.String())
	}
}

func TestAdminTenantRetention(t *testing.T) {
	cleanProfileEnv(t)
	data := filepath.Join(t.TempDir(), "var")
	sh := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--data", data), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := sh("admin", "tenant", "add", "--id", "hotel", "--name", "Отель"); code != 0 {
		t.Fatal(e)
	}
	if code, out, _ := sh("admin", "tenant", "retention", "--id", "hotel"); code != 0 || !strings.Contains(out, "hotel: 72 ч (по умолчанию 72 ч, от 1 ч до 2160 ч)") {
		t.Fatalf("show: %d %s", code, out)
	}
	if code, out, _ := sh("admin", "tenant", "retention", "--id", "hotel", "--hours", "24"); code != 0 || !strings.Contains(out, "hotel: 24 ч") {
		t.Fatalf("set: %d %s", code, out)
	}
	if code, out, _ := sh("admin", "tenant", "retention", "--id", "hotel"); code != 0 || !strings.Contains(out, "hotel: 24 ч") {
		t.Fatalf("show after set: %d %s", code, out)
	}
	for _, bad := range []string{"2161", "100000000000"} {
		if code, _, e := sh("admin", "tenant", "retention", "--id", "hotel", "--hours", bad); code != 1 || !strings.Contains(e, "TENANT_RETENTION_INVALID") {
			t.Errorf("--hours %s: %d %s", bad, code, e)
		}
	}
	if code, _, e := sh("admin", "tenant", "retention", "--id", "nobody"); code != 1 || !strings.Contains(e, "TENANT_NOT_FOUND") {
		t.Errorf("unknown tenant: %d %s", code, e)
	}
	if code, _, e := sh("admin", "tenant", "retention"); code != 2 || !strings.Contains(e, "--id") {
		t.Errorf("no --id: %d %s", code, e)
	}
	if code, out, _ := sh("admin", "tenant", "retention", "--id", "hotel", "--hours", "0"); code != 0 || !strings.Contains(out, "hotel: 72 ч") {
		t.Fatalf("reset: %d %s", code, out)
	}
}

var adminTables atomic.Int64

// TestAdminOnACompatibleCloud: with STYKOVKA_TABLE set, the binary keeps its state in the
// DynamoDB-, S3- and KMS-compatible services the environment names (a Russian region's),
// through the same adapters as the Lambda functions, so tenants are managed there.
func TestAdminOnACompatibleCloud(t *testing.T) {
	cleanProfileEnv(t)
	dyn := dynalite.Shared(t)
	admin := dynalite.Client(t, dyn)
	table := fmt.Sprintf("cli%d", adminTables.Add(1))
	if err := dynamostore.CreateTable(context.Background(), admin, table); err != nil {
		t.Fatal(err)
	}
	s3url := s3server.Start(t)
	s3server.CreateBucket(t, s3server.Client(t, s3url), "stykovka")
	kmsURL, kmsSrv := kmsserver.Start(t)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "YCAJEexample", "AWS_SECRET_ACCESS_KEY": "YCsecret", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "ru-central1", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
		"AWS_ENDPOINT_URL_DYNAMODB": dyn, "AWS_ENDPOINT_URL_S3": s3url, "AWS_ENDPOINT_URL_KMS": kmsURL,
		app.EnvTable: table, app.EnvBucket: "stykovka", app.EnvKMSKey: kmsSrv.CreateKey(), app.EnvS3PathStyle: "true",
		app.EnvProfile: "ru-cloud",
	} {
		t.Setenv(k, v)
	}
	data := filepath.Join(t.TempDir(), "unused")
	sh := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--data", data), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := sh("admin", "tenant", "add", "--id", "hotel-msk", "--name", "Отель «Москва»"); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := sh("admin", "tenant", "retention", "--id", "hotel-msk", "--hours", "12"); code != 0 {
		t.Fatal(e)
	}
	if code, out, e := sh("admin", "tenant", "list"); code != 0 || !strings.Contains(out, "Отель «Москва»") {
		t.Fatalf("tenant list: %d %s %s", code, out, e)
	}
	// The tenant is in the cloud's table, not in a data folder.
	reg := tenants.New(dynamostore.New(admin, table, clock.Real{}), clock.Real{})
	if d, err := reg.Retention(context.Background(), "hotel-msk"); err != nil || d != 12*time.Hour {
		t.Fatalf("in the table: %v %v", d, err)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("a data folder was created although the state is in the cloud")
	}
}

// TestSystemdUnitRunsServe starts serve with the command line and environment of
// infra/systemd/stykovka.service (the address and folder swapped for the test's), and checks
// the unit keeps its hardening.
func TestSystemdUnitRunsServe(t *testing.T) {
	cleanProfileEnv(t)
	unit, err := os.ReadFile(filepath.Join("..", "..", "infra", "systemd", "stykovka.service"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			k, val, _ := strings.Cut(v, "=")
			t.Setenv(k, val)
		}
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			args = strings.Fields(v)
		}
	}
	if len(args) < 2 || args[0] != "/usr/local/bin/stykovka" || args[1] != "serve" {
		t.Fatalf("ExecStart %v", args)
	}
	args = args[2:]
	for i := range args {
		switch {
		case i > 0 && args[i-1] == "--addr":
			if args[i] != "127.0.0.1:8080" {
				t.Errorf("the unit listens on %s, want the loopback behind a TLS proxy", args[i])
			}
			args[i] = "127.0.0.1:0"
		case i > 0 && args[i-1] == "--data":
			if args[i] != "/var/lib/stykovka" {
				t.Errorf("the unit's data folder %s is not its StateDirectory", args[i])
			}
			args[i] = filepath.Join(t.TempDir(), "var")
		case args[i] == "${STYKOVKA_PUBLIC_URL}":
			args[i] = "https://hub.example.ru"
		}
	}
	banner, _ := startServe(t, args...)
	if !strings.Contains(banner, "профиль: on-prem") || !strings.Contains(banner, "https://hub.example.ru/ws/Hub?wsdl") {
		t.Errorf("serve as the unit starts it:\n%s", banner)
	}
	for _, want := range []string{"User=stykovka", "StateDirectory=stykovka", "StateDirectoryMode=0700", "UMask=0077",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
		"SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
}
