// Package catalogs publishes domain catalogs as OData entity sets: it translates between
// odata's entities and each domain's types, so that the domains stay free of transport.
package catalogs

import (
	"context"
	"errors"
	"fmt"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/legal"
)

// LegalEntitiesSet is the set name of the tenant's legal entities.
const LegalEntitiesSet = "Catalog_LegalEntities"

// Index names of Catalog_LegalEntities.
const (
	indexCode        = "code"
	indexDescription = "description"
)

// LegalEntities registers the legal entities (read and write). The four EMIS credentials
// are write-only properties of the open type: accepted in POST and PATCH, absent from
// $metadata and from every read, which shows only EmisWebLoginSet etc.
func LegalEntities(svc *legal.Service) *odata.EntitySet {
	return &odata.EntitySet{
		Name: LegalEntitiesSet,
		Kind: odata.Catalog,
		Properties: []odata.Property{
			{Name: "INN", Type: odata.EdmString, MaxLength: 12},
			{Name: "KPP", Type: odata.EdmString, MaxLength: 9},
			{Name: "EmisEnabled", Type: odata.EdmBoolean},
			{Name: "NamesScript", Type: odata.EdmString, MaxLength: 8},
			{Name: "EmisWebLoginSet", Type: odata.EdmBoolean, ReadOnly: true},
			{Name: "EmisWebPasswordSet", Type: odata.EdmBoolean, ReadOnly: true},
			{Name: "EmisIntegrationLoginSet", Type: odata.EdmBoolean, ReadOnly: true},
			{Name: "EmisIntegrationPasswordSet", Type: odata.EdmBoolean, ReadOnly: true},
			{Name: "EmisWebLogin", Type: odata.EdmString, WriteOnly: true, MaxLength: legal.MaxCredential},
			{Name: "EmisWebPassword", Type: odata.EdmString, WriteOnly: true, MaxLength: legal.MaxCredential},
			{Name: "EmisIntegrationLogin", Type: odata.EdmString, WriteOnly: true, MaxLength: legal.MaxCredential},
			{Name: "EmisIntegrationPassword", Type: odata.EdmString, WriteOnly: true, MaxLength: legal.MaxCredential},
		},
		Indexes: []odata.Index{
			{Name: indexCode, Property: "Code", Eq: true, Prefix: true, Range: true},
			{Name: indexDescription, Property: "Description", Eq: true, Prefix: true, Range: true, Complete: true},
		},
		Source: legalSource{svc},
	}
}

type legalSource struct{ svc *legal.Service }

func legalEntity(e legal.Entity) odata.Entity {
	ref, _ := odata.ParseGUID(e.Ref)
	return odata.Entity{
		"Ref_Key":                    ref,
		"DataVersion":                odata.DataVersion(e.Version),
		"DeletionMark":               e.DeletionMark,
		"Code":                       e.Code,
		"Description":                e.Description,
		"INN":                        e.INN,
		"KPP":                        e.KPP,
		"EmisEnabled":                e.EmisEnabled,
		"NamesScript":                string(e.NamesScript),
		"EmisWebLoginSet":            e.EmisWebLoginSet,
		"EmisWebPasswordSet":         e.EmisWebPasswordSet,
		"EmisIntegrationLoginSet":    e.EmisIntegrationLoginSet,
		"EmisIntegrationPasswordSet": e.EmisIntegrationPasswordSet,
	}
}

func (s legalSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	e, err := s.svc.Get(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	return legalEntity(e), nil
}

// text is the index text of a match value (a GUID for the key order, else a string).
func text(v any) string {
	switch x := v.(type) {
	case odata.GUID:
		return x.String()
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (s legalSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	lq := legal.ListQuery{Desc: req.Desc, Limit: req.Limit, Cursor: req.Cursor}
	switch req.Index {
	case indexCode:
		lq.By = legal.ByCode
	case indexDescription:
		lq.By = legal.ByDescription
	}
	switch req.Match.Op {
	case odata.MatchEq:
		v := text(req.Match.Value)
		lq.Eq = &v
	case odata.MatchPrefix:
		lq.Prefix = req.Match.Prefix
	case odata.MatchRange:
		lq.From, lq.To = text(req.Match.From), text(req.Match.To)
	}
	p, err := s.svc.List(ctx, tenant, lq)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, len(p.Entities))}
	for i, e := range p.Entities {
		out.Entities[i] = legalEntity(e)
	}
	return out, nil
}

func changes(e odata.Entity) legal.Changes {
	var c legal.Changes
	str := func(name string) *string {
		v, ok := e[name]
		if !ok {
			return nil
		}
		s, _ := v.(string) // null clears
		return &s
	}
	flag := func(name string) *bool {
		v, ok := e[name]
		if !ok {
			return nil
		}
		b, _ := v.(bool)
		return &b
	}
	c.Code, c.Description, c.INN, c.KPP = str("Code"), str("Description"), str("INN"), str("KPP")
	c.NamesScript = str("NamesScript")
	c.DeletionMark, c.EmisEnabled = flag("DeletionMark"), flag("EmisEnabled")
	c.EmisWebLogin, c.EmisWebPassword = str("EmisWebLogin"), str("EmisWebPassword")
	c.EmisIntegrationLogin, c.EmisIntegrationPassword = str("EmisIntegrationLogin"), str("EmisIntegrationPassword")
	return c
}

func (s legalSource) Create(ctx context.Context, tenant string, e odata.Entity) (odata.Entity, error) {
	ref := ""
	if g, ok := e["Ref_Key"].(odata.GUID); ok && !g.IsZero() {
		ref = g.String()
	}
	stored, err := s.svc.Create(ctx, tenant, ref, changes(e))
	if err != nil {
		return nil, err
	}
	return legalEntity(stored), nil
}

// precondition maps the domain's version conflict to the 412 of If-Match.
func precondition(err error) error {
	if errors.Is(err, legal.ErrVersionMismatch) {
		return fmt.Errorf("%w: %w", odata.ErrPreconditionFailed, err)
	}
	return err
}

func (s legalSource) Update(ctx context.Context, tenant string, key odata.Key, patch odata.Entity, ifMatch string) (odata.Entity, error) {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return nil, err
	}
	stored, err := s.svc.Update(ctx, tenant, key.Ref().String(), changes(patch), expect)
	if err != nil {
		return nil, precondition(err)
	}
	return legalEntity(stored), nil
}

func (s legalSource) Delete(ctx context.Context, tenant string, key odata.Key, ifMatch string) error {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return err
	}
	return precondition(s.svc.Delete(ctx, tenant, key.Ref().String(), expect))
}

var _ odata.Writer = legalSource{}
