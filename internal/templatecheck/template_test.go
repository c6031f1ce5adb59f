package templatecheck

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
)

const functionType = "AWS::Serverless::Function"

// bucketName is how the template names the bucket. Functions name it rather than reference the
// bucket resource, which depends on sep-mail through its S3 notification.
const bucketName = "stykovka-${Stage}-${AWS::AccountId}-${AWS::Region}"

var codeURI = regexp.MustCompile(`^build/([a-z0-9-]+)\.zip$`)

// functions maps each job (the folder functions/<job>) to the logical id of its
// AWS::Serverless::Function. The mapping: CodeUri is build/<job>.zip, what
// scripts/build-lambdas.sh writes, and the logical id is the job in PascalCase followed by
// "Function" (sep-mail: SepMailFunction).
func (tp *tmpl) functions(t *testing.T) map[string]string {
	t.Helper()
	jobs := map[string]string{}
	for _, name := range tp.ofType(functionType) {
		uri := str(tp.Resources[name].Properties["CodeUri"])
		m := codeURI.FindStringSubmatch(uri)
		if m == nil {
			t.Errorf("%s: CodeUri %q, want build/<job>.zip", name, uri)
			continue
		}
		job := m[1]
		if want := pascal(job) + "Function"; name != want {
			t.Errorf("function of job %s is %s, want %s", job, name, want)
		}
		jobs[job] = name
	}
	return jobs
}

func pascal(job string) string {
	var b strings.Builder
	for _, part := range strings.Split(job, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func TestEveryFunctionHasFolderAndSampleEvent(t *testing.T) {
	tp := load(t)
	jobs := tp.functions(t)
	for _, want := range []string{"facade", "emis-callback", "bridge-ingest", "kontur-redeem",
		"novotelecom-exchange", "sep-poller", "sep-mail"} {
		if _, ok := jobs[want]; !ok {
			t.Errorf("no function for job %s", want)
		}
	}
	for job := range jobs {
		for _, f := range []string{filepath.Join("functions", job, "main.go"), filepath.Join("events", job+".json")} {
			if _, err := os.Stat(filepath.Join(tp.root, f)); err != nil {
				t.Errorf("job %s: %v", job, err)
			}
		}
	}
	mains, _ := filepath.Glob(filepath.Join(tp.root, "functions", "*", "main.go"))
	for _, m := range mains {
		if job := filepath.Base(filepath.Dir(m)); jobs[job] == "" {
			t.Errorf("functions/%s has no function in template.yaml", job)
		}
	}
	samples, _ := filepath.Glob(filepath.Join(tp.root, "events", "*.json"))
	for _, s := range samples {
		if job := strings.TrimSuffix(filepath.Base(s), ".json"); jobs[job] == "" {
			t.Errorf("events/%s.json belongs to no function in template.yaml", job)
		}
	}
}

func TestGlobals(t *testing.T) {
	tp := load(t)
	g := mapOf(tp.Globals["Function"])
	if rt := str(g["Runtime"]); rt != "provided.al2023" {
		t.Errorf("Runtime %q, want provided.al2023", rt)
	}
	if arch := strs(g["Architectures"]); !slices.Equal(arch, []string{"arm64"}) {
		t.Errorf("Architectures %v, want [arm64]", arch)
	}
	if h := str(g["Handler"]); h != "bootstrap" {
		t.Errorf("Handler %q, want bootstrap", h)
	}
	for _, name := range tp.ofType(functionType) {
		for _, k := range []string{"Runtime", "Architectures", "Handler"} {
			if v, ok := tp.Resources[name].Properties[k]; ok {
				t.Errorf("%s overrides %s (%v): every zip is built the same way", name, k, v)
			}
		}
	}
	env := mapOf(path(g, "Environment", "Variables"))
	if !refersTo(env[app.EnvTable], "Table") {
		t.Errorf("%s = %v, want the table", app.EnvTable, env[app.EnvTable])
	}
	if s := subText(env[app.EnvBucket]); s != bucketName {
		t.Errorf("%s = %v, want !Sub %s", app.EnvBucket, env[app.EnvBucket], bucketName)
	}
	if !refersTo(env[app.EnvKMSKey], "DataKey") {
		t.Errorf("%s = %v, want the key", app.EnvKMSKey, env[app.EnvKMSKey])
	}
	if _, ok := mapOf(path(tp.Resources["FacadeFunction"].Properties, "Environment", "Variables"))["STYKOVKA_PUBLIC_URL"]; !ok {
		t.Error("the facade gets no STYKOVKA_PUBLIC_URL")
	}
}

// TestTableMatchesStoreAdapter compares the table with the one dynamostore.CreateTable asks
// for, captured by a fake DynamoDB endpoint, so the two cannot drift apart.
func TestTableMatchesStoreAdapter(t *testing.T) {
	want := capturedCreateTable(t)
	table := load(t).Resources["Table"].Properties
	for _, k := range []string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode"} {
		got, _ := json.Marshal(table[k])
		var gotV, wantV any
		json.Unmarshal(got, &gotV)
		json.Unmarshal(want[k], &wantV)
		if k == "AttributeDefinitions" {
			sortByName(gotV, "AttributeName")
			sortByName(wantV, "AttributeName")
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s:\ntemplate %v\nadapter  %v", k, gotV, wantV)
		}
	}
	// The adapter keeps expiry in the attribute "ttl" (see the dynamostore package doc).
	if ttl := mapOf(table["TimeToLiveSpecification"]); str(ttl["AttributeName"]) != "ttl" || ttl["Enabled"] != true {
		t.Errorf("TimeToLiveSpecification %v, want ttl enabled", ttl)
	}
	if path(table, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
		t.Error("point-in-time recovery is off")
	}
	sse := mapOf(table["SSESpecification"])
	if sse["SSEEnabled"] != true || str(sse["SSEType"]) != "KMS" || !refersTo(sse["KMSMasterKeyId"], "DataKey") {
		t.Errorf("SSESpecification %v, want KMS with the hub's key", sse)
	}
}

func capturedCreateTable(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var created []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch target := r.Header.Get("X-Amz-Target"); target {
		case "DynamoDB_20120810.CreateTable":
			created = body
			io.WriteString(w, `{"TableDescription":{"TableStatus":"ACTIVE"}}`)
		case "DynamoDB_20120810.DescribeTable":
			io.WriteString(w, `{"Table":{"TableStatus":"ACTIVE"}}`)
		default:
			http.Error(w, "unexpected "+target, http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if err := dynamostore.CreateTable(context.Background(), client, "stykovka"); err != nil {
		t.Fatal(err)
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(created, &req); err != nil {
		t.Fatalf("CreateTable request: %v: %s", err, created)
	}
	return req
}

func sortByName(v any, key string) {
	l, _ := v.([]any)
	slices.SortFunc(l, func(a, b any) int { return strings.Compare(str(mapOf(a)[key]), str(mapOf(b)[key])) })
}

func TestBucketIsPrivateAndEncrypted(t *testing.T) {
	b := load(t).Resources["DataBucket"].Properties
	if s := subText(b["BucketName"]); s != bucketName {
		t.Errorf("BucketName %v, want !Sub %s", b["BucketName"], bucketName)
	}
	pab := mapOf(b["PublicAccessBlockConfiguration"])
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("PublicAccessBlockConfiguration.%s is %v, want true", k, pab[k])
		}
	}
	rules := listOf(path(b, "OwnershipControls", "Rules"))
	if len(rules) != 1 || str(mapOf(rules[0])["ObjectOwnership"]) != "BucketOwnerEnforced" {
		t.Errorf("OwnershipControls %v, want BucketOwnerEnforced", rules)
	}
	if s := str(path(b, "VersioningConfiguration", "Status")); s != "Enabled" {
		t.Errorf("versioning %q, want Enabled", s)
	}
	enc := listOf(path(b, "BucketEncryption", "ServerSideEncryptionConfiguration"))
	var def map[string]any
	if len(enc) == 1 {
		def = mapOf(path(enc[0], "ServerSideEncryptionByDefault"))
	}
	if str(def["SSEAlgorithm"]) != "aws:kms" || !refersTo(def["KMSMasterKeyID"], "DataKey") {
		t.Errorf("encryption %v, want aws:kms with the hub's key", enc)
	}
}

func TestSchedules(t *testing.T) {
	tp := load(t)
	jobs := tp.functions(t)
	scheduled := map[string]string{} // job → expression
	for job, fn := range jobs {
		for evName, ev := range mapOf(tp.Resources[fn].Properties["Events"]) {
			if str(mapOf(ev)["Type"]) != "ScheduleV2" {
				continue
			}
			p := mapOf(mapOf(ev)["Properties"])
			if job == "hub-jobs" {
				// One function, one schedule per housekeeping job: keyed by the job it names.
				var in struct{ Job string }
				json.Unmarshal([]byte(str(p["Input"])), &in)
				scheduled["hub-jobs/"+in.Job] = str(p["ScheduleExpression"])
			} else {
				scheduled[job] = str(p["ScheduleExpression"])
			}
			if p["ScheduleExpression"] == nil {
				t.Errorf("%s.%s: no ScheduleExpression", fn, evName)
			}
			if !refersTo(path(p, "DeadLetterConfig", "Arn"), pascal(job)+"DeadLetterQueue") {
				t.Errorf("%s.%s: undeliverable ticks go to %v, want the job's dead-letter queue", fn, evName, p["DeadLetterConfig"])
			}
			checkScheduleInput(t, tp, job, str(p["Input"]))
		}
	}
	if got := scheduled["sep-poller"]; got != "rate(1 minute)" {
		t.Errorf("sep-poller runs on %q, want rate(1 minute): results are due 60 s after queueing", got)
	}
	if _, ok := scheduled["novotelecom-exchange"]; !ok {
		t.Error("novotelecom-exchange has no schedule")
	}
	if got := scheduled["kontur-redeem"]; got != "rate(1 minute)" {
		t.Errorf("kontur-redeem runs on %q, want rate(1 minute): write-offs left in progress are settled within a minute", got)
	}
	if got := scheduled["hub-jobs/emis-deliver"]; got != "rate(1 minute)" {
		t.Errorf("emis-deliver runs on %q, want rate(1 minute): PMS deliveries are retried from 30 s on", got)
	}
	if got := scheduled["hub-jobs/retention-sweep"]; got != "rate(1 hour)" {
		t.Errorf("retention-sweep runs on %q, want rate(1 hour): expired personal-data files go within the hour", got)
	}
}

// checkScheduleInput compares a schedule's Input with events/<job>.json, the sample the
// function's test replays through its handler: with Scheduler's placeholders filled in by the
// sample's values they must be the same JSON. So the payload Scheduler sends is one the
// function accepts, keyed on the scheduled time and never on the invocation id.
func checkScheduleInput(t *testing.T, tp *tmpl, job, input string) {
	t.Helper()
	const when, arn = "<aws.scheduler.scheduled-time>", "<aws.scheduler.schedule-arn>"
	if !strings.Contains(input, `"`+when+`"`) {
		t.Errorf("%s: schedule Input %s carries no scheduled time", job, input)
	}
	if strings.Contains(input, "<aws.scheduler.execution-id>") {
		t.Errorf("%s: schedule Input %s carries the execution id: work is keyed on the slot", job, input)
	}
	raw, err := os.ReadFile(filepath.Join(tp.root, "events", job+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample map[string]any
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatalf("events/%s.json: %v", job, err)
	}
	filled := strings.NewReplacer(when, str(sample["scheduledTime"]), arn, str(sample["schedule"])).Replace(input)
	var got map[string]any
	if err := json.Unmarshal([]byte(filled), &got); err != nil {
		t.Fatalf("%s: schedule Input is not JSON: %v: %s", job, err, input)
	}
	if job == "hub-jobs" {
		// hub-jobs runs the job its schedule names; the sample stands for every such schedule
		// (its test checks each named job exists in the hub).
		sample["job"] = got["job"]
	}
	if !reflect.DeepEqual(got, sample) {
		t.Errorf("%s: schedule Input gives %v, want the sample event %v", job, got, sample)
	}
}

// TestPoliciesNameOnlyWhatEachJobNeeds checks every statement that grants DynamoDB, S3, KMS or
// SQS actions: no wildcard actions, no "*" resources, only the hub's own table, key, queues and
// bucket, and S3 objects only under the job's own prefixes.
func TestPoliciesNameOnlyWhatEachJobNeeds(t *testing.T) {
	tp := load(t)
	// Object key prefixes (IAM patterns) each job may touch; t/<tenant>/<system>/… is the
	// blobs layout.
	wantS3 := map[string][]string{
		"facade":               {"t/*"},
		"emis-callback":        {"t/*/emis/*"},
		"bridge-ingest":        {"t/*/emis/*"},
		"kontur-redeem":        nil,
		"novotelecom-exchange": {"t/*/novotelecom/*"},
		"sep-poller":           {"t/*/sep/*"},
		"sep-mail":             {"mail/*", "t/*/sep/*"},
		// retention-sweep deletes expired personal-data files (internal/retention.Systems).
		"hub-jobs": personalDataPrefixes(),
	}
	wantSend := map[string][]string{} // sqs:SendMessage beyond the own dead-letter queue
	queues := tp.ofType("AWS::SQS::Queue")
	bucketARN := "arn:${AWS::Partition}:s3:::" + bucketName

	for job, fn := range tp.functions(t) {
		var gotS3, gotSend []string
		var table, key bool
		for _, st := range tp.statements(t, fn) {
			if str(st["Effect"]) != "Allow" {
				continue
			}
			actions := strs(st["Action"])
			resources := listOf(st["Resource"])
			for _, a := range actions {
				svc, op, _ := strings.Cut(a, ":")
				if !slices.Contains([]string{"dynamodb", "s3", "kms", "sqs"}, svc) {
					continue
				}
				if strings.Contains(op, "*") {
					t.Errorf("%s: wildcard action %s", fn, a)
				}
				for _, r := range resources {
					// "*" and any other literal: resources must be the template's own.
					if lit := str(r); lit != "" {
						t.Errorf("%s: %s on literal resource %q, want a reference to the hub's own", fn, a, lit)
						continue
					}
					switch svc {
					case "dynamodb":
						if table = refersTo(r, "Table"); !table {
							t.Errorf("%s: %s on %v, want the table or its indexes", fn, a, r)
						}
					case "kms":
						if key = refersTo(r, "DataKey"); !key {
							t.Errorf("%s: %s on %v, want the hub's key", fn, a, r)
						}
					case "sqs":
						name := ""
						for _, q := range queues {
							if refersTo(r, q) {
								name = q
							}
						}
						if a != "sqs:SendMessage" || name == "" {
							t.Errorf("%s: %s on %v, want only sqs:SendMessage to the hub's queues", fn, a, r)
						} else if name != pascal(job)+"DeadLetterQueue" {
							gotSend = append(gotSend, name)
						}
					case "s3":
						arn := subText(r)
						switch {
						case op == "ListBucket" && arn == bucketARN:
							for _, p := range strs(path(st, "Condition", "StringLike", "s3:prefix")) {
								if !slices.Contains(wantS3[job], p) {
									t.Errorf("%s: lists prefix %q, want only %v", fn, p, wantS3[job])
								}
							}
							if path(st, "Condition", "StringLike", "s3:prefix") == nil {
								t.Errorf("%s: lists the whole bucket", fn)
							}
						case op != "ListBucket" && strings.HasPrefix(arn, bucketARN+"/"):
							gotS3 = append(gotS3, strings.TrimPrefix(arn, bucketARN+"/"))
						default:
							t.Errorf("%s: %s on %v, want the bucket's objects (or ListBucket on the bucket)", fn, a, r)
						}
					}
				}
			}
		}
		if !table || !key {
			t.Errorf("%s: table access %v, key use %v; every job needs both", fn, table, key)
		}
		slices.Sort(gotS3)
		if gotS3 = slices.Compact(gotS3); !slices.Equal(gotS3, wantS3[job]) {
			t.Errorf("%s: S3 objects %v, want %v", fn, gotS3, wantS3[job])
		}
		if !slices.Equal(gotSend, wantSend[job]) {
			t.Errorf("%s: sends to queues %v, want %v", fn, gotSend, wantSend[job])
		}
	}
}

// statements returns the IAM statements of a function's Policies: inline documents and the
// AWS::IAM::ManagedPolicy resources it references. SAM policy templates and AWS managed
// policies are refused: they grant more than a job needs.
func (tp *tmpl) statements(t *testing.T, fn string) []map[string]any {
	t.Helper()
	var out []map[string]any
	add := func(doc any) {
		for _, st := range listOf(mapOf(doc)["Statement"]) {
			out = append(out, mapOf(st))
		}
	}
	for _, p := range listOf(tp.Resources[fn].Properties["Policies"]) {
		m := mapOf(p)
		switch {
		case m["Statement"] != nil:
			add(m)
		case str(m["Ref"]) != "" && tp.Resources[str(m["Ref"])].Type == "AWS::IAM::ManagedPolicy":
			add(tp.Resources[str(m["Ref"])].Properties["PolicyDocument"])
		default:
			t.Errorf("%s: policy %v is neither a statement list nor one of the template's managed policies", fn, p)
		}
	}
	return out
}

// TestHTTPAPI checks the routes, the payload format the functions decode (2.0: the
// events.APIGatewayV2HTTPRequest of the samples, httpadapter.NewV2 in the facade), the
// invoke permissions, and that each HTTP sample event is on one of its function's routes.
func TestHTTPAPI(t *testing.T) {
	tp := load(t)
	jobs := tp.functions(t)
	wantRoutes := map[string]string{
		"ANY /ws":               "facade",
		"ANY /ws/{proxy+}":      "facade",
		"ANY /odata/{proxy+}":   "facade",
		"GET /healthz":          "facade",
		"GET /console":          "facade",
		"ANY /console/{proxy+}": "facade",
		"POST /hooks/emis":      "emis-callback",
		"POST /hooks/pms":       "emis-callback",
		"POST /bridge/reads":    "bridge-ingest",
	}
	integrationJob := map[string]string{}
	for _, name := range tp.ofType("AWS::ApiGatewayV2::Integration") {
		p := tp.Resources[name].Properties
		for job, fn := range jobs {
			if refersTo(p["IntegrationUri"], fn) {
				integrationJob[name] = job
			}
		}
		if str(p["IntegrationType"]) != "AWS_PROXY" || str(p["PayloadFormatVersion"]) != "2.0" || !refersTo(p["ApiId"], "HttpApi") {
			t.Errorf("%s: %v %v on %v, want an AWS_PROXY integration of HttpApi with payload 2.0",
				name, p["IntegrationType"], p["PayloadFormatVersion"], p["ApiId"])
		}
	}
	gotRoutes := map[string]string{}
	for _, name := range tp.ofType("AWS::ApiGatewayV2::Route") {
		p := tp.Resources[name].Properties
		target := subText(p["Target"])
		integration := strings.TrimSuffix(strings.TrimPrefix(target, "integrations/${"), "}")
		if !refersTo(p["ApiId"], "HttpApi") || integrationJob[integration] == "" {
			t.Errorf("%s: target %v, want integrations/${<an integration of HttpApi>}", name, p["Target"])
		}
		gotRoutes[str(p["RouteKey"])] = integrationJob[integration]
	}
	if !reflect.DeepEqual(gotRoutes, wantRoutes) {
		t.Errorf("routes %v, want %v", gotRoutes, wantRoutes)
	}

	for _, job := range integrationJob {
		permitted := false
		for _, name := range tp.ofType("AWS::Lambda::Permission") {
			p := tp.Resources[name].Properties
			if refersTo(p["FunctionName"], jobs[job]) && str(p["Principal"]) == "apigateway.amazonaws.com" &&
				refersTo(p["SourceArn"], "HttpApi") {
				permitted = true
			}
		}
		if !permitted {
			t.Errorf("API Gateway may not invoke %s", jobs[job])
		}
		var sample struct{ Version, RouteKey string }
		raw, err := os.ReadFile(filepath.Join(tp.root, "events", job+".json"))
		if err == nil {
			err = json.Unmarshal(raw, &sample)
		}
		if err != nil {
			t.Fatalf("events/%s.json: %v", job, err)
		}
		if sample.Version != "2.0" || gotRoutes[sample.RouteKey] != job {
			t.Errorf("events/%s.json: version %q route %q, want 2.0 on one of the job's routes", job, sample.Version, sample.RouteKey)
		}
	}
	stage := tp.Resources["HttpApiStage"].Properties
	if str(stage["StageName"]) != "$default" || stage["AutoDeploy"] != true {
		t.Errorf("stage %v, want $default with AutoDeploy", stage)
	}
}

// TestBasicChallenge checks that the gateway puts the Basic challenge on every 401 of the
// facade, with the value facade/auth sends when the hub runs locally.
func TestBasicChallenge(t *testing.T) {
	want := localChallenge(t)
	tp := load(t)
	for _, name := range tp.ofType("AWS::ApiGatewayV2::Integration") {
		p := tp.Resources[name].Properties
		var got []string
		for _, rp := range listOf(path(p, "ResponseParameters", "401", "ResponseParameters")) {
			if strings.EqualFold(str(mapOf(rp)["Destination"]), "overwrite:header.WWW-Authenticate") {
				got = append(got, str(mapOf(rp)["Source"]))
			}
		}
		facade := refersTo(p["IntegrationUri"], "FacadeFunction")
		switch {
		case facade && !slices.Equal(got, []string{want}):
			t.Errorf("%s: 401 gets WWW-Authenticate %q, want %q", name, got, want)
		case !facade && got != nil:
			t.Errorf("%s: a webhook integration announces Basic auth (%q); webhooks are signed", name, got)
		}
	}
}

// localChallenge returns the WWW-Authenticate value facade/auth sends for a request without
// credentials.
func localChallenge(t *testing.T) string {
	t.Helper()
	denied := func(w http.ResponseWriter, _ *http.Request, e *apperr.Error) {
		w.WriteHeader(http.StatusUnauthorized)
	}
	h := auth.Basic(nil, denied)(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ws/x", nil))
	v := rec.Header().Get("WWW-Authenticate")
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(v, "Basic ") {
		t.Fatalf("facade/auth answered %d with WWW-Authenticate %q", rec.Code, v)
	}
	return v
}

// TestAsyncFailuresAreKept checks that nothing asynchronous fails silently: the scheduled and
// S3-driven jobs have dead-letter queues, and every queue is encrypted with the hub's key.
func TestAsyncFailuresAreKept(t *testing.T) {
	tp := load(t)
	for _, fn := range []string{"NovotelecomExchangeFunction", "SepPollerFunction", "SepMailFunction", "KonturRedeemFunction", "HubJobsFunction"} {
		dlq := mapOf(tp.Resources[fn].Properties["DeadLetterQueue"])
		if str(dlq["Type"]) != "SQS" || !refersTo(dlq["TargetArn"], strings.TrimSuffix(fn, "Function")+"DeadLetterQueue") {
			t.Errorf("%s: DeadLetterQueue %v, want its own SQS queue", fn, dlq)
		}
	}
	for _, q := range tp.ofType("AWS::SQS::Queue") {
		if !refersTo(tp.Resources[q].Properties["KmsMasterKeyId"], "DataKey") {
			t.Errorf("%s is not encrypted with the hub's key", q)
		}
	}
}

func TestSepMailRunsOnLetters(t *testing.T) {
	tp := load(t)
	ev := mapOf(path(tp.Resources["SepMailFunction"].Properties, "Events", "Letter"))
	p := mapOf(ev["Properties"])
	rules := listOf(path(p, "Filter", "S3Key", "Rules"))
	if str(ev["Type"]) != "S3" || !refersTo(p["Bucket"], "DataBucket") || !strings.HasPrefix(str(p["Events"]), "s3:ObjectCreated:") ||
		len(rules) != 1 || str(mapOf(rules[0])["Name"]) != "prefix" || str(mapOf(rules[0])["Value"]) != "mail/" {
		t.Errorf("sep-mail event %v, want ObjectCreated under mail/ of DataBucket", ev)
	}
}
