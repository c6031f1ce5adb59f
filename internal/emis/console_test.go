package emis

import "testing"

func TestConsoleMasks(t *testing.T) {
	for in, want := range map[string]string{"": "", "WAGNER": "W***", "Вагнер": "В***", " ёлкин": "ё***"} {
		if got := maskName(in); got != want {
			t.Errorf("maskName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct {
		id   Identity
		want string
	}{
		{Identity{TypeCode: "10", Number: "C4J7R2K19"}, "Паспорт иностранного гражданина №…19"},
		{Identity{TypeCode: "21", Series: "4510", Number: "123456"}, "Паспорт гражданина Российской Федерации №…56"},
		{Identity{Number: "7"}, "Документ №…7"},
		{Identity{TypeCode: "22"}, "Загранпаспорт гражданина Российской Федерации"},
	} {
		if got := maskDocument(tc.id); got != tc.want {
			t.Errorf("maskDocument(%+v) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
