package emis

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var today = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// foreigner is a German guest with everything in order.
func foreigner() Documents {
	return Documents{
		Identity: Identity{TypeCode: "10", Number: "C01X00T47", IssuedOn: "2020-01-10", ExpiresOn: "2030-01-09",
			Nationality: "DEU", Latin: Name{Surname: "MUSTERMANN", Given: "ERIKA"}, Sex: "F", BirthDate: "1964-08-12"},
		Stay: []Stay{{Kind: Visa, Series: "33", Number: "1234567", ValidFrom: "2025-06-01", ValidTo: "2025-08-31",
			Entries: "multiple", Selected: true}},
		MigrationCard: &MigrationCard{Series: "4617", Number: "0012345", EntryDate: "2025-06-30"},
		Visit:         Visit{Purpose: "tourism", From: "2025-07-01", To: "2025-07-05"},
	}
}

func TestReview(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(d *Documents)
		want   []string // code@field, in any order; nothing else may appear
	}{
		{"all in order", func(d *Documents) {}, nil},
		{"passport expired", func(d *Documents) { d.Identity.ExpiresOn = "2025-06-30" },
			[]string{"DOC_EXPIRED@identity.expires_on"}},
		{"passport valid today (last day)", func(d *Documents) { d.Identity.ExpiresOn = "2025-07-01"; d.Visit.To = "" }, nil},
		{"passport expires during the stay", func(d *Documents) { d.Identity.ExpiresOn = "2025-07-03" },
			[]string{"DOC_EXPIRES_DURING_STAY@identity.expires_on"}},
		{"several visas, the selected one expired", func(d *Documents) {
			d.Stay = []Stay{{Kind: Visa, Number: "1", ValidTo: "2025-05-31", Selected: true}, {Kind: Visa, Number: "2", ValidTo: "2025-09-01"}}
		}, []string{"VISA_SELECTED_EXPIRED@stay[0].valid_to"}},
		{"several visas, the valid one selected", func(d *Documents) {
			d.Stay = []Stay{{Kind: Visa, Number: "1", ValidTo: "2025-05-31"}, {Kind: Visa, Number: "2", ValidTo: "2025-09-01", Selected: true}}
		}, nil},
		{"several visas, none selected", func(d *Documents) {
			d.Stay = []Stay{{Kind: Visa, Number: "1", ValidTo: "2025-05-31"}, {Kind: Visa, Number: "2", ValidTo: "2025-09-01"}}
		}, []string{"STAY_DOC_NOT_SELECTED@stay"}},
		{"several selected", func(d *Documents) {
			d.Stay = []Stay{{Kind: Visa, Number: "1", ValidTo: "2025-09-01", Selected: true}, {Kind: Visa, Number: "2", ValidTo: "2025-09-01", Selected: true}}
		}, []string{"STAY_DOC_SEVERAL_SELECTED@stay"}},
		{"the only visa expired", func(d *Documents) { d.Stay[0].ValidTo = "2025-06-30" },
			[]string{"STAY_DOC_EXPIRED@stay[0].valid_to"}},
		{"the only visa, not selected, expired", func(d *Documents) { d.Stay[0].Selected = false; d.Stay[0].ValidTo = "2025-06-30" },
			[]string{"STAY_DOC_EXPIRED@stay[0].valid_to"}},
		{"visa not yet valid", func(d *Documents) { d.Stay[0].ValidFrom = "2025-07-02" },
			[]string{"STAY_DOC_NOT_YET_VALID@stay[0].valid_from"}},
		{"stay beyond the visa", func(d *Documents) { d.Stay[0].ValidTo = "2025-07-03" },
			[]string{"STAY_BEYOND_VALIDITY@stay[0].valid_to"}},
		{"no migration card", func(d *Documents) { d.MigrationCard = nil },
			[]string{"MIGRATION_CARD_REQUIRED@migration_card"}},
		{"empty migration card", func(d *Documents) { d.MigrationCard = &MigrationCard{Series: "4617"} },
			[]string{"MIGRATION_CARD_REQUIRED@migration_card"}},
		{"Belarus: exempt", func(d *Documents) { d.Identity.Nationality = "BLR"; d.MigrationCard = nil; d.Stay = nil }, nil},
		{"Armenia: exempt", func(d *Documents) { d.Identity.Nationality = "ARM"; d.MigrationCard = nil; d.Stay = nil }, nil},
		{"Kyrgyzstan: exempt", func(d *Documents) { d.Identity.Nationality = "KGZ"; d.MigrationCard = nil; d.Stay = nil }, nil},
		{"Kazakhstan: exempt", func(d *Documents) { d.Identity.Nationality = "KAZ"; d.MigrationCard = nil; d.Stay = nil }, nil},
		{"Russian citizen", func(d *Documents) { d.Identity.Nationality = "RUS"; d.MigrationCard = nil; d.Stay = nil }, nil},
		{"РВП holder: exempt", func(d *Documents) {
			d.MigrationCard = nil
			d.Stay = []Stay{{Kind: RVP, Number: "77", ValidTo: "2027-01-01"}}
		}, nil},
		{"ВНЖ holder among visas: exempt", func(d *Documents) {
			d.MigrationCard = nil
			d.Stay = append(d.Stay, Stay{Kind: VNZh, Number: "82", ValidTo: "2029-01-01"})
		}, nil},
		{"Uzbekistan: card needed", func(d *Documents) { d.Identity.Nationality = "UZB"; d.MigrationCard = nil; d.Stay = nil },
			[]string{"MIGRATION_CARD_REQUIRED@migration_card"}},
		{"field limits", func(d *Documents) {
			d.Identity.Latin.Surname = strings.Repeat("W", 36)
			d.Identity.Series = "12345"
			d.Identity.Number = "1234567890"
			d.Stay[0].Number = "1234567890"
			d.MigrationCard.Number = "12345678"
		}, []string{"FIELD_TOO_LONG@name.surname", "FIELD_TOO_LONG@identity.latin.surname", "FIELD_TOO_LONG@identity.series",
			"FIELD_TOO_LONG@identity.number", "FIELD_TOO_LONG@stay[0].number", "FIELD_TOO_LONG@migration_card.number"}},
		{"limits count letters, not bytes", func(d *Documents) { d.Identity.Cyrillic.Surname = strings.Repeat("Щ", 35) }, nil},
		{"missing fields", func(d *Documents) {
			d.Identity.Latin.Surname, d.Identity.Number, d.Identity.BirthDate, d.Identity.Nationality = "", "", "", ""
		}, []string{"FIELD_MISSING@identity.surname", "FIELD_MISSING@identity.number", "FIELD_MISSING@identity.birth_date",
			"FIELD_MISSING@identity.nationality"}},
		{"unknown type code", func(d *Documents) { d.Identity.TypeCode = "77" }, []string{"DOC_TYPE_UNKNOWN@identity.type_code"}},
		{"dates inconsistent", func(d *Documents) { d.Visit.From, d.Visit.To = "2025-07-05", "2025-07-01" },
			[]string{"DATES_INCONSISTENT@visit.to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := foreigner()
			tc.change(&d)
			before := mustJSONString(d)
			_, ws := Review(d, Latin, today)
			if mustJSONString(d) != before {
				t.Fatal("Review changed the documents")
			}
			got := map[string]bool{}
			for _, w := range ws {
				got[w.Code+"@"+w.Field] = true
				if w.Message == "" {
					t.Errorf("%s without a message", w.Code)
				}
			}
			for _, c := range tc.want {
				if !got[c] {
					t.Errorf("missing %s; got %v", c, ws)
				}
				delete(got, c)
			}
			for c := range got {
				t.Errorf("unexpected %s", c)
			}
		})
	}
}

func TestReviewNamesPerScript(t *testing.T) {
	d := foreigner()
	d.Identity.Cyrillic = Name{Surname: "Щербаков", Given: "Юлий", Patronymic: "Андреевич"}
	d.Identity.Latin = Name{}
	name, ws := Review(d, Latin, today)
	if name != (Name{Surname: "SHCHERBAKOV", Given: "IULII", Patronymic: "ANDREEVICH"}) {
		t.Errorf("Latin from Cyrillic: %+v", name)
	}
	if len(ws) != 1 || ws[0].Code != WarnNameTransliterated {
		t.Errorf("warnings %+v", ws)
	}
	name, ws = Review(d, Cyrillic, today)
	if name.Surname != "Щербаков" || len(ws) != 0 {
		t.Errorf("Cyrillic as typed: %+v %+v", name, ws)
	}
	// Both scripts typed: each side is used as it is.
	d.Identity.Latin = Name{Surname: "SHCHERBAKOV", Given: "YULIY"}
	if name, ws := Review(d, Latin, today); name.Given != "YULIY" || name.Patronymic != "ANDREEVICH" || len(ws) != 1 {
		t.Errorf("mixed: %+v %+v", name, ws)
	}
	// Letters no table knows are kept and reported.
	d.Identity.Cyrillic, d.Identity.Latin = Name{}, Name{Surname: "MÜLLER"}
	if name, ws := Review(d, Cyrillic, today); name.Surname != "МÜЛЛЕР" || !containsCode(ws, WarnNameUntranslatable) {
		t.Errorf("unknown letters: %+v %+v", name, ws)
	}
}

func containsCode(ws []Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

// TestWarningsCarryNoValues: messages name fields and dates of validity, never names or
// numbers.
func TestWarningsCarryNoValues(t *testing.T) {
	d := foreigner()
	d.Identity.ExpiresOn = "2025-01-01"
	d.Identity.Number = "C01X00T47XYZ"
	d.Identity.Latin.Surname = strings.Repeat("MUSTERMANN", 4)
	d.MigrationCard = nil
	_, ws := Review(d, Cyrillic, today)
	for _, w := range ws {
		for _, v := range []string{"C01X00T47", "MUSTERMANN", "МУСТЕРМАНН", "1964"} {
			if strings.Contains(w.Message, v) {
				t.Errorf("%s message holds %q: %s", w.Code, v, w.Message)
			}
		}
	}
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
