package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// syncBuffer is a buffer safe for the server goroutine and the test to share.
type syncBuffer = apptest.LogBuffer

func TestServeDemoAnswersHealthzAndStopsGracefully(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	// The banner names the URLs and the demo credentials.
	srv := startDemo(t, data)
	stderr := srv.log
	out := srv.banner
	for _, want := range []string{"/healthz", "/ws/Hub?wsdl", "/odata/standard.odata/", "demo / demo", "Администратор / demo"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/healthz`).FindString(out)
	if url == "" {
		t.Fatalf("no healthz URL in banner:\n%s\nstderr:\n%s", out, stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h["status"] != "ok" || h["profile"] != "on-prem" || h["adapters"] != "local" {
		t.Fatalf("healthz: %d %v", resp.StatusCode, h)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}

	// The 1C endpoints answer the demo users, the Cyrillic one included, and refuse strangers.
	base := strings.TrimSuffix(url, "/healthz")
	get := func(path, user, pass string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/ws/Hub?wsdl", "Администратор", "demo"); code != 200 ||
		!strings.Contains(body, `location="`+base+`/ws/Hub"`) {
		t.Errorf("WSDL: %d %.300s", code, body)
	}
	if code, body := get("/odata/standard.odata/$metadata", "demo", "demo"); code != 200 ||
		!strings.Contains(body, "Catalog_LegalEntities") {
		t.Errorf("$metadata: %d %.300s", code, body)
	}
	if code, _ := get("/ws/Hub?wsdl", "", ""); code != 401 {
		t.Errorf("WSDL without credentials: %d, want 401", code)
	}
	if code, _ := get("/odata/standard.odata/", "demo", "wrong"); code != 401 {
		t.Errorf("OData with a wrong password: %d, want 401", code)
	}

	srv.stop() // fails the test unless serve stops cleanly with exit 0

	// The demo users exist in the data folder after a restart-free stop.
	var list bytes.Buffer
	if code := run(context.Background(), []string{"admin", "user", "list", "--tenant", "demo", "--data", data}, nil, &list, io.Discard); code != 0 {
		t.Fatalf("admin user list exit %d", code)
	}
	if !strings.Contains(list.String(), "Администратор") || !strings.Contains(list.String(), "demo") {
		t.Fatalf("user list:\n%s", list.String())
	}
}

func TestAdminCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	ctx := context.Background()
	sh := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append(args, "--data", data), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, _ := sh("", "admin", "tenant", "add", "--id", "hotel", "--name", "Отель «Север»"); code != 0 {
		t.Fatal("tenant add failed")
	}
	if code, _, e := sh("", "admin", "tenant", "add", "--id", "hotel", "--name", "x"); code != 1 || !strings.Contains(e, "TENANT_EXISTS") {
		t.Fatalf("duplicate tenant: %d %s", code, e)
	}
	if code, _, e := sh("", "admin", "user", "add", "--tenant", "hotel", "--name", "Портье"); code != 2 || !strings.Contains(e, "пароль") {
		t.Fatalf("user without password: %d %s", code, e)
	}
	if code, _, e := sh("секрет\n", "admin", "user", "add", "--tenant", "hotel", "--name", "Портье"); code != 0 {
		t.Fatalf("user add: %s", e)
	}
	if code, out, _ := sh("", "admin", "tenant", "list"); code != 0 || !strings.Contains(out, "Отель «Север»") {
		t.Fatalf("tenant list: %s", out)
	}
	if code, _, _ := sh("новый\n", "admin", "user", "passwd", "--name", "Портье"); code != 0 {
		t.Fatal("passwd failed")
	}
	if code, _, _ := sh("", "admin", "user", "delete", "--name", "Портье"); code != 0 {
		t.Fatal("delete failed")
	}
	if code, _, e := sh("", "admin", "user", "delete", "--name", "Портье"); code != 1 || !strings.Contains(e, "USER_NOT_FOUND") {
		t.Fatalf("delete twice: %d %s", code, e)
	}
	if code, _, _ := sh("", "bogus"); code != 2 {
		t.Fatal("unknown command must exit 2")
	}
}
