package translit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestToLatinICAO(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Щербаков", "SHCHERBAKOV"},
		{"Юлия", "IULIIA"},
		{"Ёлкин", "ELKIN"},
		{"Хабибуллина", "KHABIBULLINA"},
		{"Мельников", "MELNIKOV"},
		{"Андрейченко", "ANDREICHENKO"},
		{"Объедков", "OBIEEDKOV"},
		{"Подъячев", "PODIEIACHEV"},
		{"Цыганков", "TSYGANKOV"},
		{"Жукова", "ZHUKOVA"},
		{"Эдуард", "EDUARD"},
		{"Наталья", "NATALIA"},
		{"Ксения", "KSENIIA"},
		{"Майя", "MAIIA"},
		{"Юрий", "IURII"},
		{"Салтыков-Щедрин", "SALTYKOV-SHCHEDRIN"},
		{"Анна Мария", "ANNA MARIIA"},
		{"Ґалина Їжак", "GALINA IZHAK"}, // Ukrainian letters of the ICAO table
		{"Ўладзімір", "ULADZIMIR"},      // Belarusian Ў and І
		{"Smith", "SMITH"},              // Latin stays Latin
		{"", ""},
	} {
		got := ToLatin(tc.in)
		if got.Text != tc.want || !got.OK() {
			t.Errorf("ToLatin(%q) = %q (unknown %q), want %q", tc.in, got.Text, got.Unknown, tc.want)
		}
	}
}

func TestToCyrillicReverse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SHCHERBAKOV", "ЩЕРБАКОВ"},
		{"IULIIA", "ЮЛИЯ"},
		{"KHABIBULLINA", "ХАБИБУЛЛИНА"},
		{"ANDREICHENKO", "АНДРЕЙЧЕНКО"},
		{"ANDREI", "АНДРЕЙ"},
		{"IURII", "ЮРИЙ"},
		{"MAIIA", "МАЙЯ"},
		{"AIDAR", "АЙДАР"},
		{"ZAIATS", "ЗАЯЦ"},
		{"TSYGANKOV", "ЦЫГАНКОВ"},
		{"ZHUKOVA", "ЖУКОВА"},
		{"EDUARD", "ЭДУАРД"},     // E at the start of a word is Э
		{"ALEKSEEV", "АЛЕКСЕЕВ"}, // elsewhere Е
		{"MELNIKOV", "МЕЛНИКОВ"}, // ICAO dropped the Ь: documented loss
		{"ELKIN", "ЭЛКИН"},       // and Ё became E
		{"Shcherbakov", "Щербаков"},
		{"SALTYKOV-SHCHEDRIN", "САЛТЫКОВ-ЩЕДРИН"},
		{"JOHN", "ДЖОХН"},
		{"YURI", "ЮРИ"},
		{"MAY", "МАЙ"},
		{"Крупкин", "Крупкин"}, // Cyrillic stays Cyrillic
	} {
		got := ToCyrillic(tc.in)
		if got.Text != tc.want || !got.OK() {
			t.Errorf("ToCyrillic(%q) = %q (unknown %q), want %q", tc.in, got.Text, got.Unknown, tc.want)
		}
	}
}

// TestRoundTrip: names without Ь, Ъ, Ё, Э and with no ИЕ/ИЮ/ИЯ clashes come back unchanged.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"ЩЕРБАКОВ", "ЮЛИЯ", "ХАБИБУЛЛИНА", "АНДРЕЙЧЕНКО", "ЖУКОВА", "ЦЫГАНКОВ",
		"ЧЕРНЫШЕВ", "ЗАЯЦ", "МАЙЯ", "ЮРИЙ", "КСЕНИЯ", "ШАПОВАЛОВ"} {
		lat := ToLatin(name).Text
		if back := ToCyrillic(lat).Text; back != name {
			t.Errorf("%s → %s → %s", name, lat, back)
		}
	}
}

func TestUnknownKeptAndReported(t *testing.T) {
	got := ToLatin("Müller 2")
	if got.Text != "MüLLER 2" || string(got.Unknown) != "ü2" {
		t.Errorf("ToLatin = %q, unknown %q", got.Text, string(got.Unknown))
	}
	got = ToCyrillic("MÜLLER")
	if got.Text != "МÜЛЛЕР" || string(got.Unknown) != "Ü" {
		t.Errorf("ToCyrillic = %q, unknown %q", got.Text, string(got.Unknown))
	}
	got = ToCyrillic("A\xffB")
	if got.OK() || !utf8.ValidString(got.Text) {
		t.Errorf("invalid UTF-8: %q %q", got.Text, got.Unknown)
	}
}

func FuzzToLatin(f *testing.F) {
	for _, s := range []string{"Щербаков", "Юлия Ёлкина", "Подъячев-Ўладзімір", "Müller", "\xff", "ъьЪЬ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ToLatin(s)
		if !utf8.ValidString(got.Text) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range got.Text {
			if r >= 'a' && r <= 'z' || (r >= 'А' && r <= 'я') || r == 'Ё' || r == 'ё' {
				t.Fatalf("ToLatin(%q) left %q in %q", s, r, got.Text)
			}
		}
		// Latin capitals are a fixed point.
		if again := ToLatin(got.Text); got.OK() && again.Text != got.Text {
			t.Fatalf("not idempotent: %q → %q → %q", s, got.Text, again.Text)
		}
	})
}

func FuzzToCyrillic(f *testing.F) {
	for _, s := range []string{"SHCHERBAKOV", "iuliia", "MAIIA-AIDAR", "JOHN O'NEIL", "\xff\xfe", "Ü", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ToCyrillic(s)
		if !utf8.ValidString(got.Text) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if strings.IndexFunc(got.Text, func(r rune) bool { return r < 0x80 && (r|0x20 >= 'a' && r|0x20 <= 'z') }) >= 0 {
			t.Fatalf("ToCyrillic(%q) = %q keeps Latin letters", s, got.Text)
		}
	})
}
