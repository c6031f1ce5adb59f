package emis

import (
	"context"

	"github.com/stykovka/stykovka/internal/legal"
)

// FromLegal adapts the legal-entities service to LegalEntities: an entity is enabled for
// EMIS when its EMIS switch is on and it is not marked for deletion.
func FromLegal(l *legal.Service) LegalEntities { return legalAdapter{l} }

type legalAdapter struct{ l *legal.Service }

func entityOf(e legal.Entity) LegalEntity {
	script := Cyrillic
	if e.NamesScript == legal.Latin {
		script = Latin
	}
	return LegalEntity{Ref: e.Ref, Code: e.Code, Description: e.Description,
		Enabled: e.EmisEnabled && !e.DeletionMark, Script: script}
}

func (a legalAdapter) EmisEntities(ctx context.Context, tenant string) ([]LegalEntity, error) {
	var out []LegalEntity
	q := legal.ListQuery{By: legal.ByDescription, Limit: 1000}
	for {
		p, err := a.l.List(ctx, tenant, q)
		if err != nil {
			return nil, err
		}
		for _, e := range p.Entities {
			out = append(out, entityOf(e))
		}
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

func (a legalAdapter) EmisEntity(ctx context.Context, tenant, ref string) (LegalEntity, error) {
	e, err := a.l.Get(ctx, tenant, ref)
	if err != nil {
		return LegalEntity{}, err
	}
	return entityOf(e), nil
}

func (a legalAdapter) EmisAccount(ctx context.Context, tenant, ref string) (Account, error) {
	c, err := a.l.Credentials(ctx, tenant, ref)
	if err != nil {
		return Account{}, err
	}
	return Account{Login: c.IntegrationLogin, Password: c.IntegrationPassword}, nil
}
