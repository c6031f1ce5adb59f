package odata

import (
	"context"
	"fmt"
	"strings"
)

// EdmType is an OData primitive type.
type EdmType string

// The primitive types 1C uses.
const (
	EdmGuid     EdmType = "Edm.Guid"
	EdmString   EdmType = "Edm.String"
	EdmBoolean  EdmType = "Edm.Boolean"
	EdmByte     EdmType = "Edm.Byte"
	EdmInt16    EdmType = "Edm.Int16"
	EdmInt32    EdmType = "Edm.Int32"
	EdmInt64    EdmType = "Edm.Int64"
	EdmDecimal  EdmType = "Edm.Decimal"
	EdmDouble   EdmType = "Edm.Double"
	EdmSingle   EdmType = "Edm.Single"
	EdmDateTime EdmType = "Edm.DateTime"
)

// Property is one property of an entity type or of a tabular part's row.
type Property struct {
	Name string
	Type EdmType
	// MaxLength limits strings on write (0: no limit) and is published in $metadata.
	MaxLength int
	// ReadOnly properties are kept by the hub (DataVersion, Posted, computed flags); a value
	// sent in a write is ignored, since 1C clients send back whole objects they read.
	ReadOnly bool
	// WriteOnly properties (secrets) are accepted in writes as dynamic properties of the open
	// type, and never appear in $metadata or in any read.
	WriteOnly bool
	// Target makes this property a reference: Name must be X_Key (Edm.Guid) and Target the
	// referenced entity set; the navigation property X follows it (ONEC 16).
	Target string
}

// Ref declares a reference property X_Key to the set target.
func Ref(name, target string) Property {
	return Property{Name: name + "_Key", Type: EdmGuid, Target: target}
}

// navName is the navigation property of a reference property.
func (p *Property) navName() string { return strings.TrimSuffix(p.Name, "_Key") }

// TabularPart is a document's or catalog's table. Its rows carry the owner's Ref_Key and
// LineNumber, which the hub adds; it is also published as the set <Owner>_<Name>.
type TabularPart struct {
	Name       string
	Properties []Property
}

// Kind is the kind of 1C metadata object a set stands for; it decides the standard
// properties and the name prefix.
type Kind int

// Kinds of sets.
const (
	Catalog              Kind = iota + 1 // Catalog_X: Ref_Key, DataVersion, DeletionMark, Code, Description, Predefined, PredefinedDataName
	Document                             // Document_X: Ref_Key, DataVersion, DeletionMark, Number, Date, Posted
	InformationRegister                  // InformationRegister_X: key from EntitySet.Key
	AccumulationRegister                 // AccumulationRegister_X: key from EntitySet.Key
	Constant                             // Constant_X: key from EntitySet.Key
)

var kindPrefix = map[Kind]string{
	Catalog:              "Catalog_",
	Document:             "Document_",
	InformationRegister:  "InformationRegister_",
	AccumulationRegister: "AccumulationRegister_",
	Constant:             "Constant_",
}

// Index is an access path a Source keeps besides its key order, so that filters on Property
// run on the store's index instead of a scan.
type Index struct {
	Name     string // given back to Source.List
	Property string // the property the index is ordered by
	Eq       bool   // answers Property eq v
	Prefix   bool   // answers startswith(Property, s) and like(Property, 's%…')
	Range    bool   // answers gt, ge, lt, le on Property
	// Complete: every entity is in the index (it is not sparse), so a walk of the whole index
	// can serve $orderby Property.
	Complete bool
}

// MatchOp says which part of an index a List call reads.
type MatchOp int

// Index matches.
const (
	MatchAll    MatchOp = iota // the whole index
	MatchEq                    // Property == Value
	MatchPrefix                // Property starts with Prefix
	MatchRange                 // From <= Property <= To; a nil bound is open
)

// Match selects part of an index. The handler re-checks the whole $filter on every entity a
// List returns, so a source may return a superset (e.g. inclusive bounds for gt/lt).
type Match struct {
	Op       MatchOp
	Value    any
	Prefix   string
	From, To any
}

// ListRequest asks a Source for one page.
type ListRequest struct {
	// Index is "" for the set's key order (Ref_Key ascending for catalogs and documents),
	// else the Name of one of the set's Indexes, ordered by its property.
	Index string
	Match Match
	Desc  bool
	// Limit is the most entities to return; the source must not return more.
	Limit int
	// Cursor is a Next from the previous page of the same request, or "".
	Cursor string
}

// ListPage is one page; Next is "" on the last one. A page may be short while Next is set.
type ListPage struct {
	Entities []Entity
	Next     string
}

// Entity is one entity: property name → value. Values are string, bool, int64 (or int,
// int32), float64, decimal.Decimal, time.Time (wall clock), GUID, or nil; a tabular part is
// []Entity. A property left out is written as its type's zero value.
type Entity map[string]any

// KeyValue is one key property's value.
type KeyValue struct {
	Name  string
	Value any
}

// Key addresses one entity.
type Key []KeyValue

// Value returns the value of the key property name, or nil.
func (k Key) Value(name string) any {
	for _, kv := range k {
		if kv.Name == name {
			return kv.Value
		}
	}
	return nil
}

// Ref returns the Ref_Key of a catalog or document key.
func (k Key) Ref() GUID {
	g, _ := k.Value("Ref_Key").(GUID)
	return g
}

// Source is what a domain gives for a set: reads by key and pages by key order or index.
// Every call is confined to tenant; implementations use store.ForTenant.
type Source interface {
	// Get returns the entity, or an apperr of kind NotFound.
	Get(ctx context.Context, tenant string, key Key) (Entity, error)
	// List returns one page of at most req.Limit entities in the order of req.Index.
	List(ctx context.Context, tenant string, req ListRequest) (ListPage, error)
}

// Writer is implemented by sources of sets the hub owns. ifMatch is "" (no condition), "*",
// or a DataVersion; see ExpectedVersion. A stale version is reported by wrapping
// ErrPreconditionFailed.
type Writer interface {
	// Create stores a new entity from the properties given (Ref_Key if the client chose it)
	// and returns it as stored.
	Create(ctx context.Context, tenant string, e Entity) (Entity, error)
	// Update changes only the properties present in patch and returns the entity as stored.
	Update(ctx context.Context, tenant string, key Key, patch Entity, ifMatch string) (Entity, error)
	// Delete removes the entity.
	Delete(ctx context.Context, tenant string, key Key, ifMatch string) error
}

// Poster is implemented by document sources that post and unpost.
type Poster interface {
	Post(ctx context.Context, tenant string, key Key, ifMatch string) (Entity, error)
	Unpost(ctx context.Context, tenant string, key Key, ifMatch string) (Entity, error)
}

// EntitySet registers one set. Domain adapters build it; NewHandler publishes it.
type EntitySet struct {
	Name string // Catalog_X, Document_X, InformationRegister_X, …
	// Type is the entity type's name; empty means Name, as 1C names them.
	Type string
	Kind Kind
	// Key lists the key properties of registers and constants; catalogs and documents are
	// keyed by Ref_Key.
	Key []string
	// Properties are the set's own properties, after the standard ones of its Kind.
	Properties   []Property
	TabularParts []TabularPart
	Indexes      []Index
	Source       Source
	// VirtualTables are the register's virtual tables, published in $metadata as functions
	// bound to the set and called as Set/SliceLast(…) (ONEC 15; see "Virtual tables" in the
	// package documentation). SliceLast and SliceFirst belong to information registers and need
	// a Source that implements SliceSource; Balance, Turnovers and BalanceAndTurnovers belong
	// to accumulation registers and need BalanceSource, TurnoversSource and
	// BalanceAndTurnoversSource.
	VirtualTables []VirtualTable
	// Dimensions are the register's dimensions (property names, of the set or of a row of one
	// of its tabular parts). Balance and turnovers are grouped by them and their Condition may
	// use only them (as in 1C); for every virtual table they are what scan-limit messages tell
	// the client to filter on.
	Dimensions []string
	// Resources are an accumulation register's resources (numeric properties), whose balances
	// and turnovers the virtual tables give as <Resource>Balance, <Resource>Turnover, ….
	Resources []string
}

// standardProps are the properties 1C gives every catalog or document (ONEC 16).
func standardProps(k Kind) []Property {
	switch k {
	case Catalog:
		return []Property{
			{Name: "Ref_Key", Type: EdmGuid},
			{Name: "DataVersion", Type: EdmString, ReadOnly: true},
			{Name: "DeletionMark", Type: EdmBoolean},
			{Name: "Code", Type: EdmString},
			{Name: "Description", Type: EdmString},
			{Name: "Predefined", Type: EdmBoolean, ReadOnly: true},
			{Name: "PredefinedDataName", Type: EdmString, ReadOnly: true},
		}
	case Document:
		return []Property{
			{Name: "Ref_Key", Type: EdmGuid},
			{Name: "DataVersion", Type: EdmString, ReadOnly: true},
			{Name: "DeletionMark", Type: EdmBoolean},
			{Name: "Number", Type: EdmString},
			{Name: "Date", Type: EdmDateTime},
			{Name: "Posted", Type: EdmBoolean, ReadOnly: true},
		}
	}
	return nil
}

// etype is a compiled entity type (of a set or of a tabular part's rows).
type etype struct {
	name   string
	props  []*Property // published and readable, in order
	all    map[string]*Property
	keys   []*Property
	tabs   []*tabular
	byTab  map[string]*tabular
	byNav  map[string]*Property
	hidden []*Property // write-only
}

type tabular struct {
	name    string
	rowType *etype // complex type Set_Name_RowType: LineNumber + row properties
	set     *entitySet
}

// entitySet is a compiled, published set.
type entitySet struct {
	name    string
	typ     *etype
	kind    Kind
	src     Source
	writer  Writer
	poster  Poster
	indexes []Index
	// parent and tab are set for the set of a tabular part's rows, which reads through the
	// owner's source.
	parent *entitySet
	tab    *tabular
	// vt is set for registers with virtual tables.
	vt *virtuals
}

func (s *entitySet) index(name string) (Index, bool) {
	for _, ix := range s.indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return Index{}, false
}

var validEdm = map[EdmType]bool{
	EdmGuid: true, EdmString: true, EdmBoolean: true, EdmByte: true, EdmInt16: true, EdmInt32: true,
	EdmInt64: true, EdmDecimal: true, EdmDouble: true, EdmSingle: true, EdmDateTime: true,
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		if !(r == '_' || isLetter(r) || (i > 0 && isDigit(r))) {
			return false
		}
	}
	return true
}

func newEtype(name string, props []Property, keys []string) (*etype, error) {
	t := &etype{name: name, all: map[string]*Property{}, byTab: map[string]*tabular{}, byNav: map[string]*Property{}}
	for i := range props {
		p := &props[i]
		if !validName(p.Name) {
			return nil, fmt.Errorf("odata: %s: bad property name %q", name, p.Name)
		}
		if !validEdm[p.Type] {
			return nil, fmt.Errorf("odata: %s.%s: unknown type %q", name, p.Name, p.Type)
		}
		if t.all[p.Name] != nil {
			return nil, fmt.Errorf("odata: %s: duplicate property %q", name, p.Name)
		}
		if p.Target != "" && (p.Type != EdmGuid || !strings.HasSuffix(p.Name, "_Key") || p.Name == "_Key") {
			return nil, fmt.Errorf("odata: %s.%s: a reference must be an Edm.Guid named X_Key", name, p.Name)
		}
		t.all[p.Name] = p
		if p.WriteOnly {
			t.hidden = append(t.hidden, p)
			continue
		}
		t.props = append(t.props, p)
		if p.Target != "" {
			t.byNav[p.navName()] = p
		}
	}
	for _, k := range keys {
		p := t.all[k]
		if p == nil || p.WriteOnly {
			return nil, fmt.Errorf("odata: %s: key property %q is not a property", name, k)
		}
		t.keys = append(t.keys, p)
	}
	return t, nil
}

// compile checks the registrations and builds the published sets, tabular-part sets included.
func compile(sets []*EntitySet) (map[string]*entitySet, []*entitySet, error) {
	byName := map[string]*entitySet{}
	var order []*entitySet
	add := func(s *entitySet) error {
		if byName[s.name] != nil {
			return fmt.Errorf("odata: duplicate entity set %q", s.name)
		}
		byName[s.name] = s
		order = append(order, s)
		return nil
	}
	for _, es := range sets {
		if es == nil || es.Source == nil {
			return nil, nil, fmt.Errorf("odata: entity set without a source")
		}
		if !validName(es.Name) || !strings.HasPrefix(es.Name, kindPrefix[es.Kind]) || kindPrefix[es.Kind] == "" {
			return nil, nil, fmt.Errorf("odata: set name %q does not fit its kind", es.Name)
		}
		typeName := es.Type
		if typeName == "" {
			typeName = es.Name
		}
		props := append(standardProps(es.Kind), es.Properties...)
		keys := es.Key
		if es.Kind == Catalog || es.Kind == Document {
			keys = []string{"Ref_Key"}
		}
		if len(keys) == 0 {
			return nil, nil, fmt.Errorf("odata: %s: no key", es.Name)
		}
		t, err := newEtype(typeName, props, keys)
		if err != nil {
			return nil, nil, err
		}
		s := &entitySet{name: es.Name, typ: t, kind: es.Kind, src: es.Source, indexes: es.Indexes}
		s.writer, _ = es.Source.(Writer)
		if es.Kind == Document {
			s.poster, _ = es.Source.(Poster)
		}
		for _, ix := range es.Indexes {
			p := t.all[ix.Property]
			if ix.Name == "" || p == nil || p.WriteOnly {
				return nil, nil, fmt.Errorf("odata: %s: index %q on unknown property %q", es.Name, ix.Name, ix.Property)
			}
		}
		if err := add(s); err != nil {
			return nil, nil, err
		}
		for _, tp := range es.TabularParts {
			if len(t.keys) != 1 || t.keys[0].Name != "Ref_Key" {
				return nil, nil, fmt.Errorf("odata: %s: tabular parts need a Ref_Key", es.Name)
			}
			if t.all[tp.Name] != nil || t.byTab[tp.Name] != nil || !validName(tp.Name) {
				return nil, nil, fmt.Errorf("odata: %s: bad tabular part %q", es.Name, tp.Name)
			}
			// Rows carry the owner's Ref_Key and their LineNumber (ONEC 16), both kept by the hub.
			rowProps := func() []Property {
				return append([]Property{{Name: "Ref_Key", Type: EdmGuid, ReadOnly: true},
					{Name: "LineNumber", Type: EdmInt64, ReadOnly: true}}, tp.Properties...)
			}
			rt, err := newEtype(typeName+"_"+tp.Name+"_RowType", rowProps(), nil)
			if err != nil {
				return nil, nil, err
			}
			st, err := newEtype(typeName+"_"+tp.Name, rowProps(), []string{"Ref_Key", "LineNumber"})
			if err != nil {
				return nil, nil, err
			}
			tb := &tabular{name: tp.Name, rowType: rt}
			t.tabs = append(t.tabs, tb)
			t.byTab[tp.Name] = tb
			rows := &entitySet{name: es.Name + "_" + tp.Name, typ: st, kind: es.Kind, src: es.Source, parent: s, tab: tb}
			tb.set = rows
			if err := add(rows); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, es := range sets {
		if err := compileVirtuals(es, byName[es.Name]); err != nil {
			return nil, nil, err
		}
	}
	if err := checkVirtualTypeNames(order); err != nil {
		return nil, nil, err
	}
	for _, s := range order {
		for _, t := range []*etype{s.typ} {
			for _, p := range t.props {
				if p.Target != "" && byName[p.Target] == nil {
					return nil, nil, fmt.Errorf("odata: %s.%s refers to unpublished set %q", s.name, p.Name, p.Target)
				}
			}
			for _, tb := range t.tabs {
				for _, p := range tb.rowType.props {
					if p.Target != "" && byName[p.Target] == nil {
						return nil, nil, fmt.Errorf("odata: %s.%s.%s refers to unpublished set %q", s.name, tb.name, p.Name, p.Target)
					}
				}
			}
		}
	}
	return byName, order, nil
}

// Validate checks registrations the way NewHandler does, for wiring code that wants an error
// rather than NewHandler's panic.
func Validate(sets ...*EntitySet) error {
	_, _, err := compile(sets)
	return err
}
