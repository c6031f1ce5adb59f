package store

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	it := &Item{Attrs: map[string]string{"state": "new", "empty": ""}, Version: 3}
	cases := []struct {
		name  string
		cur   *Item
		conds []Cond
		want  bool
	}{
		{"no conditions, absent", nil, nil, true},
		{"no conditions, present", it, nil, true},
		{"Exists, present", it, []Cond{Exists()}, true},
		{"Exists, absent", nil, []Cond{Exists()}, false},
		{"NotExists, absent", nil, []Cond{NotExists()}, true},
		{"NotExists, present", it, []Cond{NotExists()}, false},
		{"AttrEquals", it, []Cond{AttrEquals("state", "new")}, true},
		{"AttrEquals other value", it, []Cond{AttrEquals("state", "old")}, false},
		{"AttrEquals empty value", it, []Cond{AttrEquals("empty", "")}, true},
		{"AttrEquals missing attr", it, []Cond{AttrEquals("missing", "")}, false},
		{"AttrEquals absent", nil, []Cond{AttrEquals("state", "new")}, false},
		{"VersionIs", it, []Cond{VersionIs(3)}, true},
		{"VersionIs other", it, []Cond{VersionIs(2)}, false},
		{"VersionIs absent", nil, []Cond{VersionIs(0)}, false},
		{"all hold", it, []Cond{Exists(), AttrEquals("state", "new"), VersionIs(3)}, true},
		{"last fails", it, []Cond{Exists(), AttrEquals("state", "new"), VersionIs(4)}, false},
		{"zero Cond", it, []Cond{{}}, false},
	}
	for _, tc := range cases {
		if got := Check(tc.cur, tc.conds); got != tc.want {
			t.Errorf("%s: Check = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCondAccessors(t *testing.T) {
	if !Exists().IsExists() || Exists().IsNotExists() || !NotExists().IsNotExists() {
		t.Fatal("Exists/NotExists accessors")
	}
	if n, v, ok := AttrEquals("a", "b").AttrEq(); !ok || n != "a" || v != "b" {
		t.Fatal("AttrEq")
	}
	if _, _, ok := Exists().AttrEq(); ok {
		t.Fatal("AttrEq on Exists")
	}
	if v, ok := VersionIs(7).VersionEq(); !ok || v != 7 {
		t.Fatal("VersionEq")
	}
	if _, ok := NotExists().VersionEq(); ok {
		t.Fatal("VersionEq on NotExists")
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 500_000_000, time.UTC)
	cases := []struct {
		exp  time.Time
		want bool
	}{
		{time.Time{}, false},
		{now.Add(time.Second), false},
		{now.Add(400 * time.Millisecond), true}, // same second
		{now.Add(-500 * time.Millisecond), true},
		{now.Add(-time.Hour), true},
	}
	for _, tc := range cases {
		if got := (Item{ExpiresAt: tc.exp}).Expired(now); got != tc.want {
			t.Errorf("ExpiresAt %v: Expired = %v, want %v", tc.exp, got, tc.want)
		}
	}
}

func TestApply(t *testing.T) {
	exp := time.Unix(1_800_000_000, 0)
	cur := Item{
		PK: "P", SK: "S", GSI1PK: "G1", GSI1SK: "1", GSI2PK: "G2", GSI2SK: "2",
		Attrs: map[string]string{"a": "1", "b": "2"}, Data: []byte("old"), ExpiresAt: exp, Version: 5,
	}
	orig := cur
	orig.Attrs = maps.Clone(cur.Attrs)
	orig.Data = bytes.Clone(cur.Data)

	data := []byte("new")
	var never time.Time
	next := Apply(cur, Update{
		SetAttrs:    map[string]string{"b": "20", "c": "3", "d": "4"},
		RemoveAttrs: []string{"a", "d"},
		Data:        &data,
		ExpiresAt:   &never,
		GSI1:        &IndexKey{},
		GSI2:        &IndexKey{PK: "G3", SK: "3"},
	})
	if !maps.Equal(next.Attrs, map[string]string{"b": "20", "c": "3"}) {
		t.Errorf("Attrs = %v", next.Attrs)
	}
	if string(next.Data) != "new" || !next.ExpiresAt.IsZero() || next.Version != 5 {
		t.Errorf("Data %q ExpiresAt %v Version %d", next.Data, next.ExpiresAt, next.Version)
	}
	if next.GSI1PK != "" || next.GSI1SK != "" || next.GSI2PK != "G3" || next.GSI2SK != "3" {
		t.Errorf("index keys %+v", next)
	}
	// The update's Data is copied, and cur is left as it was.
	data[0] = 'X'
	if string(next.Data) != "new" {
		t.Errorf("Data aliases the update: %q", next.Data)
	}
	if !maps.Equal(cur.Attrs, orig.Attrs) || !bytes.Equal(cur.Data, orig.Data) {
		t.Errorf("Apply changed cur: %+v", cur)
	}

	same := Apply(cur, Update{})
	if !maps.Equal(same.Attrs, cur.Attrs) || string(same.Data) != "old" || !same.ExpiresAt.Equal(exp) ||
		same.GSI1PK != "G1" || same.GSI2SK != "2" {
		t.Errorf("empty Update changed the item: %+v", same)
	}
}

func TestValidateItem(t *testing.T) {
	ok := []Item{
		{PK: "P", SK: "S"},
		{PK: "Гость", SK: "Документ", GSI1PK: "a", GSI1SK: "b", Data: make([]byte, MaxDataLen)},
		{PK: strings.Repeat("k", MaxKeyLen), SK: "\x01"},
	}
	for _, it := range ok {
		if err := ValidateItem(it); err != nil {
			t.Errorf("ValidateItem(%.40q): %v", it.PK, err)
		}
	}
	attrs := map[string]string{}
	for i := range MaxAttrs + 1 {
		attrs[strings.Repeat("a", i+1)] = ""
	}
	bad := map[string]Item{
		"empty PK":            {SK: "S"},
		"empty SK":            {PK: "P"},
		"NUL":                 {PK: "P\x00", SK: "S"},
		"not UTF-8":           {PK: "P", SK: "\xc3"},
		"long key":            {PK: strings.Repeat("k", MaxKeyLen+1), SK: "S"},
		"index SK without PK": {PK: "P", SK: "S", GSI2SK: "x"},
		"index PK without SK": {PK: "P", SK: "S", GSI1PK: "x"},
		"data":                {PK: "P", SK: "S", Data: make([]byte, MaxDataLen+1)},
		"attrs":               {PK: "P", SK: "S", Attrs: attrs},
		"attr value":          {PK: "P", SK: "S", Attrs: map[string]string{"a": "\xff"}},
	}
	for name, it := range bad {
		if err := ValidateItem(it); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ValidateItem = %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidateUpdate(t *testing.T) {
	big := make([]byte, MaxDataLen+1)
	bad := map[string]Update{
		"data":        {Data: &big},
		"GSI1":        {GSI1: &IndexKey{SK: "x"}},
		"GSI2":        {GSI2: &IndexKey{PK: "x"}},
		"remove name": {RemoveAttrs: []string{""}},
		"set name":    {SetAttrs: map[string]string{"a\x00": "v"}},
	}
	for name, u := range bad {
		if err := ValidateUpdate(u); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ValidateUpdate = %v, want ErrInvalid", name, err)
		}
	}
	if err := ValidateUpdate(Update{GSI1: &IndexKey{}, SetAttrs: map[string]string{"a": ""}}); err != nil {
		t.Errorf("valid update: %v", err)
	}
}

func TestValidateQuery(t *testing.T) {
	limits := map[int]int{0: DefaultLimit, 1: 1, MaxQueryLimit: MaxQueryLimit, MaxQueryLimit + 1: MaxQueryLimit}
	for in, want := range limits {
		got, err := ValidateQuery(Query{PK: "P", Limit: in})
		if err != nil || got != want {
			t.Errorf("limit %d: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, q := range []Query{
		{PK: "P", Index: GSI1, Prefix: "a"},
		{PK: "P", Index: GSI2, From: "a", To: "a"},
		{PK: "P", To: "a"},
	} {
		if _, err := ValidateQuery(q); err != nil {
			t.Errorf("%+v: %v", q, err)
		}
	}
	bad := map[string]Query{
		"empty PK":        {},
		"index":           {PK: "P", Index: "gsi1"},
		"prefix and from": {PK: "P", Prefix: "a", From: "a"},
		"prefix and to":   {PK: "P", Prefix: "a", To: "b"},
		"from after to":   {PK: "P", From: "b", To: "a"},
		"negative limit":  {PK: "P", Limit: -1},
		"NUL in bound":    {PK: "P", To: "\x00"},
	}
	for name, q := range bad {
		if _, err := ValidateQuery(q); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ValidateQuery = %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidTenant(t *testing.T) {
	for _, id := range []string{"acme", "a", "0", "hotel-12", strings.Repeat("a", 63)} {
		if !ValidTenant(id) {
			t.Errorf("ValidTenant(%q) = false", id)
		}
	}
	for _, id := range []string{"", "-a", "Acme", "a_b", "a#b", "a b", strings.Repeat("a", 64), "отель"} {
		if ValidTenant(id) {
			t.Errorf("ValidTenant(%q) = true", id)
		}
	}
}
