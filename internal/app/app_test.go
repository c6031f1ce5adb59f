package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/stykovka/stykovka/internal/app"
)

// fakeAWS records the requests that reach it and refuses them all with a 400, which the SDK
// does not retry.
type fakeAWS struct {
	mu       sync.Mutex
	requests []string // "<X-Amz-Target or method> <path> <body>"
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		target = r.Method
	}
	f.mu.Lock()
	f.requests = append(f.requests, target+" "+r.URL.Path+" "+string(body))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"__type":"ValidationException","message":"fake"}`)
}

func (f *fakeAWS) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// awsEnv points every AWS endpoint the SDK could reach (services and instance metadata) at
// endpoint, gives it dummy static credentials and hides the developer's ~/.aws files.
func awsEnv(t *testing.T, endpoint string) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":                 "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":             "secret",
		"AWS_SESSION_TOKEN":                 "",
		"AWS_PROFILE":                       "",
		"AWS_REGION":                        "eu-central-1",
		"AWS_CONFIG_FILE":                   none,
		"AWS_SHARED_CREDENTIALS_FILE":       none,
		"AWS_EC2_METADATA_DISABLED":         "true",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint,
		"AWS_ENDPOINT_URL":                  endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB":         endpoint,
		"AWS_ENDPOINT_URL_S3":               endpoint,
	} {
		t.Setenv(k, v)
	}
}

func TestFromEnvMakesNoCallsAndUsesTheConfiguredEndpoints(t *testing.T) {
	fake := &fakeAWS{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	awsEnv(t, srv.URL)
	t.Setenv(app.EnvTable, "stykovka-test")
	t.Setenv(app.EnvBucket, "stykovka-bucket")
	t.Setenv(app.EnvKMSKey, "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000")
	t.Setenv(app.EnvS3PathStyle, "true")
	ctx := context.Background()

	deps, err := app.FromEnv(ctx, os.Getenv, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.seen(); len(got) != 0 {
		t.Fatalf("FromEnv made requests: %q", got)
	}
	if deps.Adapters != "aws" || deps.Store == nil || deps.Blobs == nil || deps.Sealer == nil || deps.Clock == nil {
		t.Fatalf("deps %+v, want the AWS adapters", deps)
	}

	// The first calls go where AWS_ENDPOINT_URL_* say (a DynamoDB-, S3- or KMS-compatible
	// service of another cloud), with the table, bucket (path-style) and key from the
	// environment.
	if _, err := deps.Store.Get(ctx, "PK1", "SK1"); err == nil {
		t.Error("Store.Get: no error from the refusing endpoint")
	}
	if _, err := deps.Blobs.Get(ctx, "t/demo/x.txt"); err == nil {
		t.Error("Blobs.Get: no error from the refusing endpoint")
	}
	if _, err := deps.Sealer.Seal(ctx, "demo", "test", []byte("x")); err == nil {
		t.Error("Sealer.Seal: no error from the refusing endpoint")
	}
	want := []string{
		"DynamoDB_20120810.GetItem / " + `{"ConsistentRead":true,"Key":{"PK":{"S":"PK1"},"SK":{"S":"SK1"}},"TableName":"stykovka-test"}`,
		"GET /stykovka-bucket/t/demo/x.txt ",
		"TrentService.GenerateDataKey / ",
	}
	got := fake.seen()
	if len(got) != len(want) {
		t.Fatalf("requests %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) && !sameJSONRequest(got[i], want[i]) {
			t.Errorf("request %d is %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

// sameJSONRequest compares "<target> <path> <JSON body>" lines with the body parsed: the SDK
// writes the attributes of a key (a Go map) in no fixed order.
func sameJSONRequest(got, want string) bool {
	gi, wi := strings.Index(got, "{"), strings.Index(want, "{")
	if gi < 0 || wi < 0 || got[:gi] != want[:wi] {
		return false
	}
	var g, w any
	if json.Unmarshal([]byte(got[gi:]), &g) != nil || json.Unmarshal([]byte(want[wi:]), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

func TestFromEnvNamesTheMissingVariable(t *testing.T) {
	all := map[string]string{
		app.EnvTable:  "stykovka-test",
		app.EnvBucket: "stykovka-bucket",
		app.EnvKMSKey: "alias/stykovka-test",
	}
	for missing := range all {
		t.Run(missing, func(t *testing.T) {
			awsEnv(t, "http://127.0.0.1:1")
			for k, v := range all {
				if k == missing {
					v = ""
				}
				t.Setenv(k, v)
			}
			deps, err := app.FromEnv(context.Background(), os.Getenv, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Fatalf("error %v, want one naming %s", err, missing)
			}
			if deps != nil {
				t.Error("deps returned with the error")
			}
			for k := range all {
				if k != missing && strings.Contains(err.Error(), k) {
					t.Errorf("error %q names %s, which is set", err, k)
				}
			}
		})
	}
}
