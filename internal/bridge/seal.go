package bridge

import (
	"context"
	"encoding/base64"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
)

// docValidator checks documents against the emis model's own validate tags.
var docValidator = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	return v
}()

func validateDocs(d emis.Documents) error { return docValidator.Struct(d) }

// Field kinds, each a sealer purpose of its own (with the legal entity and the person), as
// package emis seals its documents.
const (
	kindName     = "name"
	kindNumber   = "number"
	kindDate     = "date"
	kindPlace    = "place"
	kindAttr     = "attr"
	kindDisagree = "disagree"
	kindPortrait = "portrait"
)

func purpose(kind, legal, person string) string {
	return "bridge/" + kind + "/" + legal + "/" + person
}

type fieldRef struct {
	kind string
	p    *string
}

// docFields lists every string field of d with its kind.
func docFields(d *emis.Documents) []fieldRef {
	id := &d.Identity
	list := []fieldRef{
		{kindAttr, &id.TypeCode}, {kindNumber, &id.Series}, {kindNumber, &id.Number},
		{kindDate, &id.IssuedOn}, {kindDate, &id.ExpiresOn}, {kindPlace, &id.Issuer},
		{kindAttr, &id.Nationality}, {kindAttr, &id.Sex}, {kindDate, &id.BirthDate}, {kindPlace, &id.BirthPlace},
		{kindName, &id.Cyrillic.Surname}, {kindName, &id.Cyrillic.Given}, {kindName, &id.Cyrillic.Patronymic},
		{kindName, &id.Latin.Surname}, {kindName, &id.Latin.Given}, {kindName, &id.Latin.Patronymic},
		{kindAttr, &d.Visit.Purpose}, {kindDate, &d.Visit.From}, {kindDate, &d.Visit.To},
	}
	for i := range d.Stay {
		st := &d.Stay[i]
		list = append(list, fieldRef{kindAttr, (*string)(&st.Kind)}, fieldRef{kindNumber, &st.Series}, fieldRef{kindNumber, &st.Number},
			fieldRef{kindDate, &st.ValidFrom}, fieldRef{kindDate, &st.ValidTo}, fieldRef{kindAttr, &st.Entries})
	}
	if mc := d.MigrationCard; mc != nil {
		list = append(list, fieldRef{kindNumber, &mc.Series}, fieldRef{kindNumber, &mc.Number}, fieldRef{kindDate, &mc.EntryDate})
	}
	return list
}

func cloneDocs(d emis.Documents) emis.Documents {
	d.Stay = append([]emis.Stay(nil), d.Stay...)
	if d.MigrationCard != nil {
		mc := *d.MigrationCard
		d.MigrationCard = &mc
	}
	return d
}

// sealDocs returns a copy of d with every non-empty string sealed (base64 of the sealed bytes).
func (s *Service) sealDocs(ctx context.Context, tenant, legal, person string, d emis.Documents) (emis.Documents, error) {
	out := cloneDocs(d)
	for _, f := range docFields(&out) {
		v, err := s.sealString(ctx, tenant, purpose(f.kind, legal, person), *f.p)
		if err != nil {
			return emis.Documents{}, err
		}
		*f.p = v
	}
	return out, nil
}

func (s *Service) openDocs(ctx context.Context, tenant, legal, person string, d emis.Documents) (emis.Documents, error) {
	out := cloneDocs(d)
	for _, f := range docFields(&out) {
		v, err := s.openString(ctx, tenant, purpose(f.kind, legal, person), *f.p)
		if err != nil {
			return emis.Documents{}, err
		}
		*f.p = v
	}
	return out, nil
}

func (s *Service) sealString(ctx context.Context, tenant, purpose, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	b, err := s.seal.Seal(ctx, tenant, purpose, []byte(v))
	if err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

func (s *Service) openString(ctx context.Context, tenant, purpose, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	b, err := base64.RawStdEncoding.DecodeString(v)
	if err == nil {
		b, err = s.seal.Open(ctx, tenant, purpose, b)
	}
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "BRIDGE_UNSEAL", "Не удалось прочитать сохранённые документы гостя")
	}
	return string(b), nil
}
