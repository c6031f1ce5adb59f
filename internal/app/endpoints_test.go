package app_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/blobstest"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer/sealertest"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/store/storetest"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
	"github.com/stykovka/stykovka/internal/testinfra/kmsserver"
	"github.com/stykovka/stykovka/internal/testinfra/s3server"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

// docAPIPath is the path part of a YDB Document API endpoint
// (https://docapi.serverless.yandexcloud.net/ru-central1/<cloud>/<database>): the compatible
// service is reached at a URL with a path, which the SDK must keep.
const docAPIPath = "/ru-central1/b1gexamplecloud/etnexampledb"

// regions records the region of each signed request (Authorization's credential scope) and
// the service it was signed for.
type regions struct {
	mu   sync.Mutex
	seen map[string]bool // "<region>/<service>"
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (r *regions) record(h http.Header) {
	m := credentialScope.FindStringSubmatch(h.Get("Authorization"))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if m == nil {
		r.seen["unsigned"] = true
		return
	}
	r.seen[m[1]+"/"+m[2]] = true
}

func (r *regions) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k := range r.seen {
		out = append(out, k)
	}
	return out
}

// recording wraps a handler: every request's signature scope is recorded.
func recording(r *regions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.record(req.Header)
		next.ServeHTTP(w, req)
	})
}

// compatibleCloud is the environment of a deployment on a cloud with a Russian region: its
// DynamoDB-compatible database at an endpoint with a path, its S3-compatible storage, a
// KMS-compatible key service, static credentials of a service account and a region name AWS
// does not have. Only the SDK's own variables and the hub's STYKOVKA_* ones are set: nothing
// in the code knows these endpoints.
type compatibleCloud struct {
	dynamo, s3, kms string
	s3direct        string // the S3 server itself, for provisioning buckets
	kmsSrv          *kmsserver.Server
	regions         *regions
	env             map[string]string // STYKOVKA_* besides table and bucket
}

func newCompatibleCloud(t *testing.T) *compatibleCloud {
	t.Helper()
	c := &compatibleCloud{regions: &regions{}}
	target, err := url.Parse(dynalite.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	docapi := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		p, ok := strings.CutPrefix(pr.In.URL.Path, docAPIPath)
		if !ok {
			p = "/wrong-path" + pr.In.URL.Path // dynalite answers it with an error
		}
		pr.Out.URL.Path, pr.Out.URL.RawPath = p, ""
	}}
	dsrv := httptest.NewServer(recording(c.regions, docapi))
	t.Cleanup(dsrv.Close)
	c.dynamo = dsrv.URL + docAPIPath

	c.s3direct = s3server.Start(t)
	s3target, _ := url.Parse(c.s3direct)
	ssrv := httptest.NewServer(recording(c.regions, httputil.NewSingleHostReverseProxy(s3target)))
	t.Cleanup(ssrv.Close)
	c.s3 = ssrv.URL

	c.kmsSrv = kmsserver.New()
	ksrv := httptest.NewServer(recording(c.regions, c.kmsSrv))
	t.Cleanup(ksrv.Close)
	c.kms = ksrv.URL

	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":                 "YCAJEexampleServiceAccountKey",
		"AWS_SECRET_ACCESS_KEY":             "YCexampleSecret",
		"AWS_SESSION_TOKEN":                 "",
		"AWS_PROFILE":                       "",
		"AWS_REGION":                        "ru-central1",
		"AWS_DEFAULT_REGION":                "",
		"AWS_CONFIG_FILE":                   none,
		"AWS_SHARED_CREDENTIALS_FILE":       none,
		"AWS_EC2_METADATA_DISABLED":         "true",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL":                  "",
		"AWS_ENDPOINT_URL_DYNAMODB":         c.dynamo,
		"AWS_ENDPOINT_URL_S3":               c.s3,
		"AWS_ENDPOINT_URL_KMS":              c.kms,
		app.EnvS3PathStyle:                  "true",
		app.EnvProfile:                      app.ProfileRUCloud,
		app.EnvPersonalData:                 "",
		app.EnvSealer:                       "",
		app.EnvTable:                        "",
		app.EnvBucket:                       "",
		app.EnvKMSKey:                       "",
	} {
		t.Setenv(k, v)
	}
	return c
}

// deps builds the dependencies exactly as production does (app.FromEnvWithClock reading the
// process environment), with the given STYKOVKA_* values on top: the table and the bucket of
// one subtest, which parallel subtests cannot put into the shared process environment.
func (c *compatibleCloud) deps(t *testing.T, clk clock.Clock, vars map[string]string) *app.Deps {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	d, err := app.FromEnvWithClock(context.Background(), getenv, slog.New(slog.NewTextHandler(io.Discard, nil)), clk)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var seq atomic.Int64

// TestConformanceThroughACompatibleCloudConfiguration runs the store, blobs and sealer
// conformance suites on adapters built by FromEnv from the environment a Russian-region
// deployment sets: AWS_ENDPOINT_URL_<SERVICE> (the database's with a path), static
// credentials, AWS_REGION=ru-central1.
func TestConformanceThroughACompatibleCloudConfiguration(t *testing.T) {
	c := newCompatibleCloud(t)
	keyID := c.kmsSrv.CreateKey()
	admin := dynalite.Client(t, dynalite.Shared(t)) // provisioning, as the deployment does it

	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, clk *clock.Fake) store.Store {
			table := fmt.Sprintf("ru%d", seq.Add(1))
			if err := dynamostore.CreateTable(context.Background(), admin, table); err != nil {
				t.Fatal(err)
			}
			d := c.deps(t, clk, map[string]string{app.EnvTable: table, app.EnvBucket: "unused", app.EnvKMSKey: keyID})
			if d.Deployment != (app.Deployment{Profile: app.ProfileRUCloud, PersonalData: true}) {
				t.Errorf("deployment %+v, want ru-cloud allowing personal data", d.Deployment)
			}
			return d.Store
		})
	})
	t.Run("Blobs", func(t *testing.T) {
		s3admin := s3server.Client(t, c.s3direct)
		blobstest.Run(t, func(t *testing.T) blobs.Blobs {
			bucket := fmt.Sprintf("ru-%d", seq.Add(1))
			s3server.CreateBucket(t, s3admin, bucket)
			return c.deps(t, clock.Real{}, map[string]string{app.EnvTable: "unused", app.EnvBucket: bucket, app.EnvKMSKey: keyID}).Blobs
		})
	})
	t.Run("SealerKMS", func(t *testing.T) {
		d := c.deps(t, clock.Real{}, map[string]string{app.EnvTable: "unused", app.EnvBucket: "unused", app.EnvKMSKey: keyID})
		sealertest.Run(t, d.Sealer)
		if c.kmsSrv.GenerateDataKeyCalls.Load() == 0 {
			t.Error("the KMS-compatible endpoint was never called")
		}
	})
	t.Run("SealerLocalKey", func(t *testing.T) {
		// A cloud whose key service does not speak the KMS API: the key comes as a file.
		keyFile := filepath.Join(t.TempDir(), "seal.key")
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{app.EnvTable: "unused", app.EnvBucket: "unused", app.EnvSealer: "local", app.EnvSealKeyFile: keyFile}
		a, b := c.deps(t, clock.Real{}, vars), c.deps(t, clock.Real{}, vars)
		sealertest.Run(t, a.Sealer)
		sealertest.SameKey(t, a.Sealer, b.Sealer) // every instance opens what another sealed
	})

	// Every request was signed for ru-central1 and reached the endpoints from the environment.
	want := map[string]bool{"ru-central1/dynamodb": true, "ru-central1/s3": true, "ru-central1/kms": true}
	got := c.regions.list()
	for _, g := range got {
		if !want[g] {
			t.Errorf("a request signed as %q, want only %v", g, want)
		}
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("no requests signed as %v (seen %v)", want, got)
	}
}

func TestFromEnvSealerSettings(t *testing.T) {
	c := newCompatibleCloud(t)
	run := func(vars map[string]string) error {
		getenv := func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return os.Getenv(k)
		}
		_, err := app.FromEnv(context.Background(), getenv, slog.New(slog.NewTextHandler(io.Discard, nil)))
		return err
	}
	base := map[string]string{app.EnvTable: "t", app.EnvBucket: "b"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	missingKey := filepath.Join(t.TempDir(), "absent.key")
	for name, tc := range map[string]struct {
		vars map[string]string
		want string // substring of the error; "" for success
	}{
		"kms needs its key":           {with(), app.EnvKMSKey},
		"local needs its file":        {with(app.EnvSealer, "local"), app.EnvSealKeyFile},
		"local never creates the key": {with(app.EnvSealer, "local", app.EnvSealKeyFile, missingKey), "does not exist"},
		"unknown sealer":              {with(app.EnvSealer, "yc-kms", app.EnvKMSKey, "k"), app.EnvSealer},
		"unknown profile":             {with(app.EnvKMSKey, "k", app.EnvProfile, "moon"), app.EnvProfile},
		"bad override":                {with(app.EnvKMSKey, "k", app.EnvPersonalData, "maybe"), app.EnvPersonalData},
		"kms is the default":          {with(app.EnvKMSKey, "k"), ""},
	} {
		err := run(tc.vars)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.want)
		}
	}
	if _, err := os.Stat(missingKey); err == nil {
		t.Error("FromEnv created a sealing key")
	}
	_ = c
}

func TestDeploymentProfiles(t *testing.T) {
	for _, tc := range []struct {
		profile, override string
		want              app.Deployment
		err               bool
	}{
		{"aws", "", app.Deployment{Profile: "aws", PersonalData: false}, false},
		{"ru-cloud", "", app.Deployment{Profile: "ru-cloud", PersonalData: true}, false},
		{"on-prem", "", app.Deployment{Profile: "on-prem", PersonalData: true}, false},
		{" AWS ", "true", app.Deployment{Profile: "aws", PersonalData: true}, false},
		{"on-prem", "false", app.Deployment{Profile: "on-prem", PersonalData: false}, false},
		{"local", "", app.Deployment{}, true},
		{"aws", "da", app.Deployment{}, true},
	} {
		got, err := app.NewDeployment(tc.profile, tc.override)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("NewDeployment(%q, %q) = %+v, %v; want %+v (error %v)", tc.profile, tc.override, got, err, tc.want, tc.err)
		}
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if d, err := app.DeploymentFromEnv(getenv, app.ProfileAWS); err != nil || d.Profile != "aws" || d.PersonalData {
		t.Errorf("default aws: %+v %v", d, err)
	}
	env[app.EnvProfile] = "ru-cloud"
	if d, err := app.DeploymentFromEnv(getenv, app.ProfileAWS); err != nil || d.Profile != "ru-cloud" || !d.PersonalData {
		t.Errorf("ru-cloud: %+v %v", d, err)
	}
	// The local binary's deployment is on-prem, allowed.
	d, err := app.Local(filepath.Join(t.TempDir(), "var"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Deployment != (app.Deployment{Profile: app.ProfileOnPrem, PersonalData: true}) || d.Adapters != "local" {
		t.Errorf("Local: %+v", d.Deployment)
	}
}
