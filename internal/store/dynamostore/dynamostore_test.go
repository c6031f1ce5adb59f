package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/store/storetest"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newTable creates a fresh table on the shared dynalite, so tests stay isolated.
func newTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("table%d", tableSeq.Add(1))
	if err := dynamostore.CreateTable(context.Background(), client, name); err != nil {
		t.Fatal(err)
	}
	return name
}

var t0 = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

func newStore(t testing.TB) (*dynamostore.Store, *clock.Fake, *dynamodb.Client, string) {
	t.Helper()
	client := dynalite.Client(t, dynalite.Shared(t))
	table := newTable(t, client)
	clk := clock.NewFake(t0)
	return dynamostore.New(client, table, clk), clk, client, table
}

// TestStoredLayout pins the attribute layout the deployment template and operators rely on:
// sparse index keys, the attribute map always present, no empty payload, ttl in Unix seconds.
func TestStoredLayout(t *testing.T) {
	s, _, client, table := newStore(t)
	ctx := context.Background()
	raw := func(sk string) map[string]types.AttributeValue {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: sk},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if _, err := s.Put(ctx, store.Item{
		PK: "P", SK: "full", GSI1PK: "G1", GSI1SK: "1", GSI2PK: "G2", GSI2SK: "2",
		Attrs: map[string]string{"k": "v"}, Data: []byte("d"), ExpiresAt: t0.Add(1500 * time.Millisecond),
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]types.AttributeValue{
		"PK":     &types.AttributeValueMemberS{Value: "P"},
		"SK":     &types.AttributeValueMemberS{Value: "full"},
		"GSI1PK": &types.AttributeValueMemberS{Value: "G1"},
		"GSI1SK": &types.AttributeValueMemberS{Value: "1"},
		"GSI2PK": &types.AttributeValueMemberS{Value: "G2"},
		"GSI2SK": &types.AttributeValueMemberS{Value: "2"},
		"a":      &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}},
		"d":      &types.AttributeValueMemberB{Value: []byte("d")},
		"ttl":    &types.AttributeValueMemberN{Value: fmt.Sprint(t0.Unix() + 1)},
		"v":      &types.AttributeValueMemberN{Value: "1"},
	}
	if got := raw("full"); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored item\n%#v\nwant\n%#v", got, want)
	}

	// Overwritten by a bare item, every optional attribute goes.
	if _, err := s.Put(ctx, store.Item{PK: "P", SK: "full", Data: []byte{}}); err != nil {
		t.Fatal(err)
	}
	want = map[string]types.AttributeValue{
		"PK": want["PK"], "SK": want["SK"],
		"a": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"v": &types.AttributeValueMemberN{Value: "2"},
	}
	if got := raw("full"); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored bare item\n%#v\nwant\n%#v", got, want)
	}
}

// TestUpdateErrorKinds: a failed conditional Update is told apart by a read after the failure.
func TestUpdateErrorKinds(t *testing.T) {
	s, clk, _, _ := newStore(t)
	ctx := context.Background()
	cond := store.AttrEquals("state", "a")
	if _, err := s.Update(ctx, "P", "S", store.Update{}, cond); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("conditional Update of absent item: %v, want ErrNotFound", err)
	}
	if _, err := s.Put(ctx, store.Item{PK: "P", SK: "S", Attrs: map[string]string{"state": "a"}, ExpiresAt: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "P", "S", store.Update{}, store.AttrEquals("state", "b")); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Update with false condition: %v, want ErrConditionFailed", err)
	}
	// Removing a name twice, or setting and removing it, is one removal.
	got, err := s.Update(ctx, "P", "S", store.Update{
		SetAttrs: map[string]string{"state": "x", "n": "1"}, RemoveAttrs: []string{"state", "state"},
	}, cond)
	if err != nil || !reflect.DeepEqual(got.Attrs, map[string]string{"n": "1"}) || got.Version != 2 {
		t.Fatalf("Update: %+v, %v", got, err)
	}
	clk.Advance(time.Second)
	if _, err := s.Update(ctx, "P", "S", store.Update{}, store.Exists()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("conditional Update of expired item: %v, want ErrNotFound", err)
	}
	// A zero Cond never holds, as in store.Check.
	if _, err := s.Put(ctx, store.Item{PK: "P", SK: "S"}, store.Cond{}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Put with zero Cond: %v, want ErrConditionFailed", err)
	}
}

// TestExactPageHasNoNext: the adapter reads one item ahead, so a partition that ends on a page
// boundary has no Next (the port allows an empty last page; this adapter does not need one).
func TestExactPageHasNoNext(t *testing.T) {
	s, _, _, _ := newStore(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.Put(ctx, store.Item{PK: "P", SK: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.Query(ctx, store.Query{PK: "P", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 || page.Next != "" {
		t.Fatalf("got %d items, Next %q; want 3 items and no Next", len(page.Items), page.Next)
	}
}

// TestCursorStaysInItsPartition: a cursor only continues the query it came from, so it cannot
// carry a tenant's query into another tenant's partition.
func TestCursorStaysInItsPartition(t *testing.T) {
	s, _, _, _ := newStore(t)
	ctx := context.Background()
	for _, pk := range []string{"T#a#x", "T#b#x"} {
		for i := range 3 {
			if _, err := s.Put(ctx, store.Item{PK: pk, SK: fmt.Sprint(i), GSI1PK: pk, GSI1SK: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ix := range []store.Index{store.Table, store.GSI1} {
		page, err := s.Query(ctx, store.Query{Index: ix, PK: "T#a#x", Limit: 1})
		if err != nil || page.Next == "" {
			t.Fatalf("first page: %+v, %v", page, err)
		}
		if _, err := s.Query(ctx, store.Query{Index: ix, PK: "T#b#x", Cursor: page.Next}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("index %q: cursor used on another partition: %v, want ErrInvalid", ix, err)
		}
		if _, err := s.Query(ctx, store.Query{Index: store.GSI2, PK: "T#a#x", Cursor: page.Next}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("index %q: cursor used on another index: %v, want ErrInvalid", ix, err)
		}
	}
}

func TestCreateTableIsIdempotent(t *testing.T) {
	client := dynalite.Client(t, dynalite.Shared(t))
	table := newTable(t, client)
	if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	td := out.Table
	if td.TableStatus != types.TableStatusActive || len(td.GlobalSecondaryIndexes) != 2 ||
		td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Fatalf("table: status %s, %d GSIs, billing %+v", td.TableStatus, len(td.GlobalSecondaryIndexes), td.BillingModeSummary)
	}
}

// TestRussianRegionEndpoint configures the client the way a DynamoDB-compatible service of a
// cloud with a Russian region is reached (static keys, its region name, its endpoint), through
// the SDK's ordinary config loading with nothing asked of AWS.
func TestRussianRegionEndpoint(t *testing.T) {
	endpoint := dynalite.Shared(t)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("ru-central1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("key-id", "secret", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	table := newTable(t, client)
	s := dynamostore.New(client, table, clock.NewFake(t0))
	ctx := context.Background()
	if _, err := s.Put(ctx, store.Item{PK: "P", SK: "S", Data: []byte("x")}, store.NotExists()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "P", "S")
	if err != nil || string(got.Data) != "x" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
}

// TestUpdateKeepsAttrLimit: the merged item may not exceed MaxAttrs, which DynamoDB cannot
// check by itself; updates of a full item that keep it within the limit still succeed, also
// concurrently.
func TestUpdateKeepsAttrLimit(t *testing.T) {
	s, _, _, _ := newStore(t)
	ctx := context.Background()
	full := map[string]string{}
	for i := range store.MaxAttrs {
		full[fmt.Sprintf("k%02d", i)] = "v"
	}
	if _, err := s.Put(ctx, store.Item{PK: "P", SK: "S", Attrs: full}); err != nil {
		t.Fatal(err)
	}
	set := func(kv ...string) store.Update {
		u := store.Update{SetAttrs: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			u.SetAttrs[kv[i]] = kv[i+1]
		}
		return u
	}
	if _, err := s.Update(ctx, "P", "S", set("new", "x")); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("33rd attribute: %v, want ErrInvalid", err)
	}
	got, err := s.Update(ctx, "P", "S", set("k00", "changed"))
	if err != nil || got.Attrs["k00"] != "changed" || len(got.Attrs) != store.MaxAttrs || got.Version != 2 {
		t.Fatalf("overwrite in a full item: %+v, %v", got, err)
	}
	u := set("new", "x")
	u.RemoveAttrs = []string{"k01"}
	got, err = s.Update(ctx, "P", "S", u)
	if err != nil || got.Attrs["new"] != "x" || len(got.Attrs) != store.MaxAttrs {
		t.Fatalf("swap in a full item: %+v, %v", got, err)
	}
	if _, err := s.Update(ctx, "P", "S", set("k02", "x"), store.AttrEquals("k02", "other")); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("full item, false condition: %v, want ErrConditionFailed", err)
	}

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Update(ctx, "P", "S", set(fmt.Sprintf("k%02d", 10+i), "w")); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent overwrite: %v", err)
	}
	got, err = s.Get(ctx, "P", "S")
	if err != nil || got.Version != 3+n || len(got.Attrs) != store.MaxAttrs {
		t.Fatalf("after concurrent updates: version %d, %d attrs, %v", got.Version, len(got.Attrs), err)
	}
}

func TestConformance(t *testing.T) {
	client := dynalite.Client(t, dynalite.Shared(t))
	storetest.Run(t, func(t *testing.T, clk *clock.Fake) store.Store {
		return dynamostore.New(client, newTable(t, client), clk)
	})
}

func BenchmarkDynamo(b *testing.B) {
	client := dynalite.Client(b, dynalite.Shared(b))
	storetest.Bench(b, func(b *testing.B) store.Store {
		return dynamostore.New(client, newTable(b, client), clock.Real{})
	})
}
