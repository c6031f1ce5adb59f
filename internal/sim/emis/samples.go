package emis

import (
	"time"

	"github.com/stykovka/stykovka/internal/emis/emisclient"
)

// sample is a document the "scanner" can read. The people are invented; dates are relative to
// the simulator's today, so the samples stay valid (or expired) as intended.
type sample struct {
	key, label string
	doc        func(today time.Time) emisclient.Document
}

func wd(t time.Time) string { return t.Format(emisclient.WireDate) }

var samples = []sample{
	{"deu-visas", "Паспорт Германии, две визы РФ (выбрана просроченная)", func(today time.Time) emisclient.Document {
		return emisclient.Document{
			Identity: emisclient.Identity{DocType: "10", Number: "C4J7R2K19", IssueDate: wd(today.AddDate(-4, 0, 0)),
				ExpiryDate: wd(today.AddDate(6, 0, 0)), Authority: "Stadt Köln", Citizenship: "DEU",
				LastNameLat: "WAGNER", FirstNameLat: "KLAUS PETER", Gender: "MALE",
				BirthDate: wd(time.Date(1971, 4, 23, 0, 0, 0, 0, time.UTC)), BirthPlace: "KOELN"},
			StayDocuments: []emisclient.StayDocument{
				{Type: "VISA", Series: "33", Number: "1234501", ValidFrom: wd(today.AddDate(-1, 0, 0)),
					ValidTo: wd(today.AddDate(0, 0, -10)), Entries: "DOUBLE", Selected: true},
				{Type: "VISA", Series: "33", Number: "7654302", ValidFrom: wd(today.AddDate(0, 0, -5)),
					ValidTo: wd(today.AddDate(0, 3, 0)), Entries: "MULTIPLE"},
			},
			MigrationCard: &emisclient.MigrationCard{Series: "4617", Number: "0012345", EntryDate: wd(today.AddDate(0, 0, -2))},
			VisitPurpose:  "TOURISM", StayFrom: wd(today), StayTo: wd(today.AddDate(0, 0, 5)),
		}
	}},
	{"kaz", "Паспорт Казахстана (миграционная карта не нужна)", func(today time.Time) emisclient.Document {
		return emisclient.Document{
			Identity: emisclient.Identity{DocType: "10", Number: "N12403398", IssueDate: wd(today.AddDate(-2, 0, 0)),
				ExpiryDate: wd(today.AddDate(8, 0, 0)), Authority: "МВД РК", Citizenship: "KAZ",
				LastName: "Абенова", FirstName: "Динара", MiddleName: "Сериковна",
				LastNameLat: "ABENOVA", FirstNameLat: "DINARA", Gender: "FEMALE",
				BirthDate: wd(time.Date(1989, 11, 2, 0, 0, 0, 0, time.UTC)), BirthPlace: "АЛМАТЫ"},
			VisitPurpose: "BUSINESS", StayFrom: wd(today), StayTo: wd(today.AddDate(0, 0, 3)),
		}
	}},
	{"rus", "Паспорт гражданина РФ", func(today time.Time) emisclient.Document {
		return emisclient.Document{
			Identity: emisclient.Identity{DocType: "21", Series: "4516", Number: "908172", IssueDate: wd(today.AddDate(-7, 0, 0)),
				Authority: "ГУ МВД России по г. Москве", Citizenship: "RUS",
				LastName: "Щербакова", FirstName: "Юлия", MiddleName: "Андреевна", Gender: "FEMALE",
				BirthDate: wd(time.Date(1993, 6, 17, 0, 0, 0, 0, time.UTC)), BirthPlace: "г. Тула"},
			VisitPurpose: "PRIVATE", StayFrom: wd(today), StayTo: wd(today.AddDate(0, 0, 2)),
		}
	}},
	{"chn-vnzh", "Паспорт Китая и вид на жительство", func(today time.Time) emisclient.Document {
		return emisclient.Document{
			Identity: emisclient.Identity{DocType: "10", Number: "EA7719320", IssueDate: wd(today.AddDate(-3, 0, 0)),
				ExpiryDate: wd(today.AddDate(7, 0, 0)), Citizenship: "CHN",
				LastNameLat: "ZHANG", FirstNameLat: "WEI", Gender: "MALE",
				BirthDate: wd(time.Date(1984, 1, 30, 0, 0, 0, 0, time.UTC)), BirthPlace: "HARBIN"},
			StayDocuments: []emisclient.StayDocument{{Type: "VNZH", Series: "82", Number: "0451977",
				ValidFrom: wd(today.AddDate(-1, 0, 0)), ValidTo: wd(today.AddDate(4, 0, 0)), Selected: true}},
			VisitPurpose: "WORK", StayFrom: wd(today), StayTo: wd(today.AddDate(0, 0, 7)),
		}
	}},
}

func sampleByKey(k string) (sample, bool) {
	for _, s := range samples {
		if s.key == k {
			return s, true
		}
	}
	return sample{}, false
}
