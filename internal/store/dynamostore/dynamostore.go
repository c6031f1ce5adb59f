// Package dynamostore is the DynamoDB adapter of the store port.
//
// One table holds everything. Its attributes:
//
//	PK, SK            S  the table key
//	GSI1PK, GSI1SK    S  index GSI1, absent when the item is not in it (sparse)
//	GSI2PK, GSI2SK    S  index GSI2, likewise
//	a                 M  string attributes (always present, possibly empty)
//	d                 B  payload, absent when empty
//	ttl               N  expiry in Unix seconds, absent when the item never expires; the
//	                     attribute the table's TTL specification names
//	v                 N  version
//
// Only single-item requests are used (no transactions), so the adapter also runs on
// DynamoDB-compatible services and on dynalite. DynamoDB deletes expired items only
// eventually, so expiry is enforced here: conditions treat an expired item as absent, and reads
// drop it.
//
// Get and table queries are strongly consistent. Index queries are eventually consistent in
// DynamoDB (a GSI cannot be read consistently): a write may show up in GSI1/GSI2 a moment late.
//
// A failed conditional Update costs one more read, to tell an absent item from a false
// condition from an attribute map that would outgrow store.MaxAttrs. The port's limits are
// chosen so that an item with every field at its limit still fits DynamoDB's 400 KB.
package dynamostore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
)

// Attribute names of the table layout.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrAttrs  = "a"
	attrData   = "d"
	attrTTL    = "ttl"
	attrVer    = "v"
)

// Store implements store.Store on one DynamoDB table. It is safe for concurrent use.
type Store struct {
	db    *dynamodb.Client
	table string
	clk   clock.Clock
}

var _ store.Store = (*Store)(nil)

// New returns a Store on table (see CreateTable for its schema). Expiry is judged by clk.
func New(client *dynamodb.Client, table string, clk clock.Clock) *Store {
	return &Store{db: client, table: table, clk: clk}
}

// Close does nothing: the client belongs to the caller.
func (s *Store) Close() error { return nil }

// CreateTable creates the table with the layout the adapter expects (on-demand billing, key
// PK/SK, indexes GSI1 and GSI2 projecting all attributes) and waits until it is ACTIVE. A table
// that already exists is fine. Turning on TTL deletion of the ttl attribute is left to the
// deployment template: expiry holds without it, only storage is reclaimed later.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	str := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(hash, rng string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
		}
	}
	gsi := func(name, hash, rng string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName:  aws.String(name),
			KeySchema:  key(hash, rng),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			str(attrPK), str(attrSK), str(attrGSI1PK), str(attrGSI1SK), str(attrGSI2PK), str(attrGSI2SK),
		},
		KeySchema: key(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(string(store.GSI1), attrGSI1PK, attrGSI1SK),
			gsi(string(store.GSI2), attrGSI2PK, attrGSI2SK),
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamostore: create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		// The SDK waits 20 s before its second look; a new table is often ACTIVE at once
		// (within milliseconds on dynalite), so look again soon and back off from there.
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("dynamostore: wait for table %s: %w", table, err)
	}
	return nil
}

// Get returns the item, or store.ErrNotFound when it is absent or expired.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if err := validKey(pk, sk); err != nil {
		return store.Item{}, err
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            keyOf(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.Item{}, mapErr("get", err)
	}
	if out.Item == nil {
		return store.Item{}, store.ErrNotFound
	}
	it, err := decode(out.Item)
	if err != nil {
		return store.Item{}, err
	}
	if it.Expired(s.clk.Now()) {
		return store.Item{}, store.ErrNotFound
	}
	return it, nil
}

// Put writes the whole item if conds hold. It is an UpdateItem rather than a PutItem so that
// the version can be derived from the stored one in the same request.
func (s *Store) Put(ctx context.Context, it store.Item, conds ...store.Cond) (store.Item, error) {
	if err := store.ValidateItem(it); err != nil {
		return store.Item{}, err
	}
	e := newExpr(s.clk.Now())
	var set, remove []string
	setOrRemove := func(attr string, v types.AttributeValue, present bool) {
		if present {
			set = append(set, e.name(attr)+" = "+e.value(v))
		} else {
			remove = append(remove, e.name(attr))
		}
	}
	set = append(set, e.name(attrAttrs)+" = "+e.value(attrsValue(it.Attrs)))
	set = append(set, e.name(attrVer)+" = if_not_exists("+e.name(attrVer)+", "+e.value(num(0))+") + "+e.value(num(1)))
	setOrRemove(attrGSI1PK, str(it.GSI1PK), it.GSI1PK != "")
	setOrRemove(attrGSI1SK, str(it.GSI1SK), it.GSI1PK != "")
	setOrRemove(attrGSI2PK, str(it.GSI2PK), it.GSI2PK != "")
	setOrRemove(attrGSI2SK, str(it.GSI2SK), it.GSI2PK != "")
	setOrRemove(attrData, &types.AttributeValueMemberB{Value: it.Data}, len(it.Data) > 0)
	setOrRemove(attrTTL, num(it.ExpiresAt.Unix()), !it.ExpiresAt.IsZero())

	cond := e.conds(conds)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(it.PK, it.SK),
		UpdateExpression:          aws.String(updateExpr(set, remove)),
		ConditionExpression:       cond,
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return store.Item{}, mapErr("put", err)
	}
	return decode(out.Attributes)
}

// Update changes an existing, unexpired item if conds hold.
func (s *Store) Update(ctx context.Context, pk, sk string, u store.Update, conds ...store.Cond) (store.Item, error) {
	if err := validKey(pk, sk); err != nil {
		return store.Item{}, err
	}
	if err := store.ValidateUpdate(u); err != nil {
		return store.Item{}, err
	}
	// The merged item must stay within MaxAttrs, which no condition can compute exactly. If
	// the stored map has room for every attribute the update sets, it fits whatever the map
	// holds: that cautious check goes into the first request. Should it fail, the item is read
	// and judged in Go, and a write that does fit is retried against the version read.
	room := -1
	if grow := len(setKeys(u)); grow > 0 {
		room = store.MaxAttrs - grow
	}
	// The item must exist (and not be expired) in addition to the caller's conditions.
	want := append([]store.Cond{store.Exists()}, conds...)
	const attempts = 20 // as store.Mutate
	for i := 0; ; i++ {
		out, err := s.db.UpdateItem(ctx, s.updateInput(pk, sk, u, want, room))
		if err == nil {
			return decode(out.Attributes)
		}
		if err = mapErr("update", err); !errors.Is(err, store.ErrConditionFailed) {
			return store.Item{}, err
		}
		// Tell "absent" from "condition false" from "too many attributes" by the item itself.
		// ReturnValuesOnConditionCheckFailure would save this read, but dynalite ignores it.
		cur, err := s.Get(ctx, pk, sk)
		if err != nil {
			return store.Item{}, err // ErrNotFound when absent or expired
		}
		if !store.Check(&cur, conds) {
			return store.Item{}, store.ErrConditionFailed
		}
		if err := store.ValidateItem(store.Apply(cur, u)); err != nil {
			return store.Item{}, err
		}
		if i == attempts-1 {
			return store.Item{}, fmt.Errorf("%w: too much contention on %s/%s", store.ErrConditionFailed, pk, sk)
		}
		// The conditions hold on cur and the result fits: the room check was too cautious, or
		// the item changed since the failed write. Either way, update exactly this version.
		want, room = []store.Cond{store.VersionIs(cur.Version)}, -1
	}
}

// updateInput builds the request of Update. room >= 0 also requires the stored attribute
// map to hold at most room attributes.
func (s *Store) updateInput(pk, sk string, u store.Update, conds []store.Cond, room int) *dynamodb.UpdateItemInput {
	e := newExpr(s.clk.Now())
	var set, remove []string
	attrs := func() string { return e.name(attrAttrs) } // only when used: unused names are rejected
	for _, k := range removeKeys(u) {
		remove = append(remove, attrs()+"."+e.name(k))
	}
	for _, k := range setKeys(u) {
		set = append(set, attrs()+"."+e.name(k)+" = "+e.value(str(u.SetAttrs[k])))
	}
	setOrRemove := func(attr string, v types.AttributeValue, present bool) {
		if present {
			set = append(set, e.name(attr)+" = "+e.value(v))
		} else {
			remove = append(remove, e.name(attr))
		}
	}
	if u.Data != nil {
		setOrRemove(attrData, &types.AttributeValueMemberB{Value: *u.Data}, len(*u.Data) > 0)
	}
	if u.ExpiresAt != nil {
		setOrRemove(attrTTL, num(u.ExpiresAt.Unix()), !u.ExpiresAt.IsZero())
	}
	if u.GSI1 != nil {
		setOrRemove(attrGSI1PK, str(u.GSI1.PK), u.GSI1.PK != "")
		setOrRemove(attrGSI1SK, str(u.GSI1.SK), u.GSI1.PK != "")
	}
	if u.GSI2 != nil {
		setOrRemove(attrGSI2PK, str(u.GSI2.PK), u.GSI2.PK != "")
		setOrRemove(attrGSI2SK, str(u.GSI2.SK), u.GSI2.PK != "")
	}
	set = append(set, e.name(attrVer)+" = "+e.name(attrVer)+" + "+e.value(num(1)))

	cond := e.conds(conds)
	if room >= 0 {
		*cond += " AND size(" + attrs() + ") <= " + e.value(num(int64(room)))
	}
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(pk, sk),
		UpdateExpression:          aws.String(updateExpr(set, remove)),
		ConditionExpression:       cond,
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// removeKeys returns the attributes u removes, once each: DynamoDB rejects a path given twice.
func removeKeys(u store.Update) []string {
	var keys []string
	seen := make(map[string]bool, len(u.RemoveAttrs))
	for _, k := range u.RemoveAttrs {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// setKeys returns the attributes u sets, sorted. A name also removed is left out: set-then-
// remove ends with it removed, and DynamoDB rejects overlapping paths in one expression.
func setKeys(u store.Update) []string {
	keys := make([]string, 0, len(u.SetAttrs))
	for k := range u.SetAttrs {
		if !slices.Contains(u.RemoveAttrs, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Delete removes the item if conds hold; an unconditional delete of an absent item succeeds.
func (s *Store) Delete(ctx context.Context, pk, sk string, conds ...store.Cond) error {
	if err := validKey(pk, sk); err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: keyOf(pk, sk)}
	if len(conds) > 0 {
		e := newExpr(s.clk.Now())
		in.ConditionExpression = e.conds(conds)
		in.ExpressionAttributeNames = e.names
		in.ExpressionAttributeValues = e.values
	}
	if _, err := s.db.DeleteItem(ctx, in); err != nil {
		return mapErr("delete", err)
	}
	return nil
}

// Query returns one page of a partition of the table or of an index. Expired items are
// dropped after DynamoDB applied the limit, so a page may be short while Next is set.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	limit, err := store.ValidateQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	pkAttr, skAttr := indexKeyAttrs(q.Index)
	e := newExpr(time.Time{})
	kc := e.name(pkAttr) + " = " + e.value(str(q.PK))
	sk := func() string { return e.name(skAttr) } // only when used: unused names are rejected
	switch {
	case q.Prefix != "":
		kc += " AND begins_with(" + sk() + ", " + e.value(str(q.Prefix)) + ")"
	case q.From != "" && q.To != "":
		kc += " AND " + sk() + " BETWEEN " + e.value(str(q.From)) + " AND " + e.value(str(q.To))
	case q.From != "":
		kc += " AND " + sk() + " >= " + e.value(str(q.From))
	case q.To != "":
		kc += " AND " + sk() + " <= " + e.value(str(q.To))
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String(kc),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
		ScanIndexForward:          aws.Bool(!q.Desc),
		// One item more than the page tells whether another page exists, so that Next is
		// empty on the last page instead of leading to an empty one.
		Limit: aws.Int32(int32(limit + 1)),
	}
	if q.Index == store.Table {
		in.ConsistentRead = aws.Bool(true) // not allowed on a GSI
	} else {
		in.IndexName = aws.String(string(q.Index))
	}
	if q.Cursor != "" {
		start, err := decodeCursor(q.Cursor, q.Index, q.PK)
		if err != nil {
			return store.Page{}, err
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return store.Page{}, mapErr("query", err)
	}

	raw, next := out.Items, out.LastEvaluatedKey
	if len(raw) > limit {
		raw = raw[:limit]
		next = cursorKey(raw[limit-1], q.Index)
	}
	now := s.clk.Now()
	page := store.Page{Items: make([]store.Item, 0, len(raw))}
	for _, av := range raw {
		it, err := decode(av)
		if err != nil {
			return store.Page{}, err
		}
		if !it.Expired(now) {
			page.Items = append(page.Items, it)
		}
	}
	if len(next) > 0 {
		if page.Next, err = encodeCursor(next); err != nil {
			return store.Page{}, err
		}
	}
	return page, nil
}

// expr collects the placeholders of one request: DynamoDB rejects reserved words used as
// names (ttl is one) and placeholders the expressions do not use.
type expr struct {
	now    int64
	names  map[string]string
	values map[string]types.AttributeValue
	byName map[string]string
}

func newExpr(now time.Time) *expr {
	return &expr{
		now:    now.Unix(),
		names:  map[string]string{},
		values: map[string]types.AttributeValue{},
		byName: map[string]string{},
	}
}

func (e *expr) name(n string) string {
	if p, ok := e.byName[n]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(e.names))
	e.names[p], e.byName[n] = n, p
	return p
}

func (e *expr) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = v
	return p
}

// conds translates store conditions (nil for none); an expired item counts as absent in
// every one of them.
func (e *expr) conds(conds []store.Cond) *string {
	if len(conds) == 0 {
		return nil
	}
	pk := e.name(attrPK)
	ttl := func() string { return e.name(attrTTL) }
	var now string
	nowValue := func() string {
		if now == "" {
			now = e.value(num(e.now))
		}
		return now
	}
	live := func() string {
		return "attribute_exists(" + pk + ") AND (attribute_not_exists(" + ttl() + ") OR " + ttl() + " > " + nowValue() + ")"
	}
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		n, v, isAttr := c.AttrEq()
		ver, isVer := c.VersionEq()
		switch {
		case c.IsExists():
			parts = append(parts, live())
		case c.IsNotExists():
			parts = append(parts, "attribute_not_exists("+pk+") OR (attribute_exists("+ttl()+") AND "+ttl()+" <= "+nowValue()+")")
		case isAttr:
			parts = append(parts, live()+" AND "+e.name(attrAttrs)+"."+e.name(n)+" = "+e.value(str(v)))
		case isVer:
			parts = append(parts, live()+" AND "+e.name(attrVer)+" = "+e.value(num(ver)))
		default:
			// store.Check fails a condition it does not know; so does this.
			parts = append(parts, "attribute_exists("+pk+") AND attribute_not_exists("+pk+")")
		}
	}
	return aws.String("(" + strings.Join(parts, ") AND (") + ")")
}

func updateExpr(set, remove []string) string {
	s := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		s += " REMOVE " + strings.Join(remove, ", ")
	}
	return s
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func attrsValue(attrs map[string]string) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(attrs))
	for k, v := range attrs {
		m[k] = str(v)
	}
	return &types.AttributeValueMemberM{Value: m}
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(pk), attrSK: str(sk)}
}

func validKey(pk, sk string) error {
	// ValidateItem checks keys the same way for every adapter; reuse it on a bare key.
	return store.ValidateItem(store.Item{PK: pk, SK: sk})
}

func indexKeyAttrs(ix store.Index) (pk, sk string) {
	switch ix {
	case store.GSI1:
		return attrGSI1PK, attrGSI1SK
	case store.GSI2:
		return attrGSI2PK, attrGSI2SK
	}
	return attrPK, attrSK
}

// decode turns a stored item into a store.Item. An attribute of another type than the
// layout's means the table was written by something else.
func decode(av map[string]types.AttributeValue) (store.Item, error) {
	var bad error
	fail := func(name string) {
		if bad == nil {
			bad = fmt.Errorf("dynamostore: attribute %s has an unexpected type", name)
		}
	}
	text := func(name string) string {
		v, ok := av[name].(*types.AttributeValueMemberS)
		if !ok {
			if av[name] != nil {
				fail(name)
			}
			return ""
		}
		return v.Value
	}
	number := func(name string) int64 {
		v, ok := av[name].(*types.AttributeValueMemberN)
		if !ok {
			if av[name] != nil {
				fail(name)
			}
			return 0
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			fail(name)
		}
		return n
	}
	it := store.Item{
		PK: text(attrPK), SK: text(attrSK),
		GSI1PK: text(attrGSI1PK), GSI1SK: text(attrGSI1SK),
		GSI2PK: text(attrGSI2PK), GSI2SK: text(attrGSI2SK),
		Version: number(attrVer),
	}
	if _, ok := av[attrTTL]; ok {
		it.ExpiresAt = time.Unix(number(attrTTL), 0).UTC()
	}
	switch v := av[attrAttrs].(type) {
	case nil:
	case *types.AttributeValueMemberM:
		if len(v.Value) > 0 {
			it.Attrs = make(map[string]string, len(v.Value))
		}
		for k, mv := range v.Value {
			s, ok := mv.(*types.AttributeValueMemberS)
			if !ok {
				fail(attrAttrs + "." + k)
				continue
			}
			it.Attrs[k] = s.Value
		}
	default:
		fail(attrAttrs)
	}
	switch v := av[attrData].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		if len(v.Value) > 0 {
			it.Data = v.Value
		}
	default:
		fail(attrData)
	}
	if bad != nil {
		return store.Item{}, bad
	}
	return it, nil
}

// cursorKey is the key DynamoDB would give as LastEvaluatedKey after item av.
func cursorKey(av map[string]types.AttributeValue, ix store.Index) map[string]types.AttributeValue {
	key := map[string]types.AttributeValue{attrPK: av[attrPK], attrSK: av[attrSK]}
	if ix != store.Table {
		pk, sk := indexKeyAttrs(ix)
		key[pk], key[sk] = av[pk], av[sk]
	}
	return key
}

// Cursors are base64 of the JSON of the key's string values; every key attribute is a string.
func encodeCursor(key map[string]types.AttributeValue) (string, error) {
	m := make(map[string]string, len(key))
	for k, v := range key {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("dynamostore: key attribute %s is not a string", k)
		}
		m[k] = s.Value
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor accepts only a cursor of the same index and partition, so a cursor cannot
// move a query into another partition (or another tenant's).
func decodeCursor(c string, ix store.Index, pk string) (map[string]types.AttributeValue, error) {
	invalid := fmt.Errorf("%w: malformed cursor", store.ErrInvalid)
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, invalid
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, invalid
	}
	want := []string{attrPK, attrSK}
	if ix != store.Table {
		ipk, isk := indexKeyAttrs(ix)
		want = append(want, ipk, isk)
	}
	if len(m) != len(want) {
		return nil, invalid
	}
	key := make(map[string]types.AttributeValue, len(m))
	for _, k := range want {
		v, ok := m[k]
		if !ok || v == "" {
			return nil, invalid
		}
		key[k] = str(v)
	}
	if ipk, _ := indexKeyAttrs(ix); m[ipk] != pk {
		return nil, fmt.Errorf("%w: cursor of another partition", store.ErrInvalid)
	}
	return key, nil
}

// mapErr turns DynamoDB errors into the port's.
func mapErr(op string, err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return store.ErrConditionFailed
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%w: dynamodb %s: %s", store.ErrInvalid, op, api.ErrorMessage())
	}
	return fmt.Errorf("dynamodb %s: %w", op, err)
}
