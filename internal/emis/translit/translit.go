// Package translit converts Russian names between Cyrillic and Latin letters.
//
// ToLatin follows ICAO Doc 9303 (Part 3, "Transliteration of Cyrillic characters"), the table
// Russian passports use since 2013 (FMS order No. 320 of 15.10.2012, item 97, refers to ICAO
// 9303; the GOST R 52535.1-2006 table used before differs in Ц TC and had no Ъ):
//
//	А A · Б B · В V · Г G · Д D · Е E · Ё E · Ж ZH · З Z · И I · Й I · К K · Л L · М M · Н N
//	О O · П P · Р R · С S · Т T · У U · Ф F · Х KH · Ц TS · Ч CH · Ш SH · Щ SHCH · Ъ IE · Ы Y
//	Ь (dropped) · Э E · Ю IU · Я IA; for Ukrainian and Belarusian names І I · Ї I · Є IE · Ґ G · Ў U
//
// The result is in capitals, as in the passport and the MRZ.
//
// ICAO loses information (Е, Ё and Э all give E; Ь vanishes), so no exact inverse exists.
// ToCyrillic is the hub's documented reverse mapping, applied left to right, longest match
// first:
//
//	SHCH Щ · ZH Ж · KH Х · TS Ц · CH Ч · SH Ш · IU Ю · IA Я · YU Ю · YA Я · YO Ё · YE Е
//	A А · B Б · C К · D Д · E Е (Э at the start of a word) · F Ф · G Г · H Х · I И
//	(Й after a vowel when a consonant, IA, IU or the end of the word follows) · J ДЖ · K К · L Л ·
//	M М · N Н · O О · P П · Q К · R Р · S С · T Т · U У · V В · W В · X КС · Y Ы (Й after a
//	vowel) · Z З
//
// so that SHCHERBAKOV gives ЩЕРБАКОВ and ANDREICHENKO gives АНДРЕЙЧЕНКО, while MELNIKOV gives
// МЕЛНИКОВ (the Ь is gone for good). A name obtained this way must be checked by a person; the
// EMIS domain says so in a warning.
//
// Characters neither table knows (digits, other alphabets) are kept as they are and reported,
// so that nothing is dropped silently; spaces, hyphens and apostrophes pass through.
package translit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Result is a transliterated string.
type Result struct {
	Text string
	// Unknown lists, once each and in order of appearance, the letters that the table does
	// not cover and that were kept unchanged.
	Unknown []rune
}

// OK reports whether every letter was covered by the table.
func (r Result) OK() bool { return len(r.Unknown) == 0 }

var icao = map[rune]string{
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "ZH", 'З': "Z",
	'И': "I", 'Й': "I", 'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R",
	'С': "S", 'Т': "T", 'У': "U", 'Ф': "F", 'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH",
	'Щ': "SHCH", 'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU", 'Я': "IA",
	'І': "I", 'Ї': "I", 'Є': "IE", 'Ґ': "G", 'Ў': "U",
}

// passThrough are the non-letters a name may contain.
func passThrough(r rune) bool {
	return r == ' ' || r == '-' || r == '\'' || r == '’' || r == '.' || r == ','
}

// ToLatin transliterates Cyrillic to Latin capitals by ICAO 9303. Latin letters already in
// the input are upper-cased and kept.
func ToLatin(s string) Result {
	var b strings.Builder
	var res Result
	for _, r := range s {
		if r == utf8.RuneError {
			res.unknown(r)
			continue
		}
		up := unicode.ToUpper(r)
		if lat, ok := icao[up]; ok {
			b.WriteString(lat)
			continue
		}
		switch {
		case up >= 'A' && up <= 'Z':
			b.WriteRune(up)
		case passThrough(r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
			res.unknown(r)
		}
	}
	res.Text = b.String()
	return res
}

func (r *Result) unknown(c rune) {
	for _, u := range r.Unknown {
		if u == c {
			return
		}
	}
	r.Unknown = append(r.Unknown, c)
}

// multi are the Latin sequences read as one Cyrillic letter, longest first.
var multi = []struct{ lat, cyr string }{
	{"SHCH", "Щ"},
	{"ZH", "Ж"}, {"KH", "Х"}, {"TS", "Ц"}, {"CH", "Ч"}, {"SH", "Ш"},
	{"IU", "Ю"}, {"IA", "Я"}, {"YU", "Ю"}, {"YA", "Я"}, {"YO", "Ё"}, {"YE", "Е"},
}

var single = map[byte]string{
	'A': "А", 'B': "Б", 'C': "К", 'D': "Д", 'E': "Е", 'F': "Ф", 'G': "Г", 'H': "Х", 'I': "И",
	'J': "ДЖ", 'K': "К", 'L': "Л", 'M': "М", 'N': "Н", 'O': "О", 'P': "П", 'Q': "К", 'R': "Р",
	'S': "С", 'T': "Т", 'U': "У", 'V': "В", 'W': "В", 'X': "КС", 'Y': "Ы", 'Z': "З",
}

func isVowel(c byte) bool { return strings.IndexByte("AEIOUY", c) >= 0 }

func isLatin(c byte) bool { return c >= 'A' && c <= 'Z' }

func vowelAt(up string, i int) bool { return i < len(up) && isVowel(up[i]) }

// ToCyrillic transliterates Latin to Cyrillic by the reverse mapping in the package comment.
// Letters keep their case (a sequence takes the case of its first letter); Cyrillic letters
// already in the input are kept.
func ToCyrillic(s string) Result {
	var b strings.Builder
	var res Result
	// up is s in ASCII capitals with the same byte offsets: ASCII case mapping keeps lengths.
	up := asciiUpper(s)
	wordStart := true
	for i := 0; i < len(s); {
		c := up[i]
		if !isLatin(c) {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size <= 1:
				res.unknown(utf8.RuneError)
			case unicode.Is(unicode.Cyrillic, r) || passThrough(r):
				b.WriteRune(r)
			case unicode.IsSpace(r):
				b.WriteByte(' ')
			default:
				b.WriteRune(r)
				res.unknown(r)
			}
			wordStart = !unicode.IsLetter(r)
			i += size
			continue
		}
		lower := s[i] != c
		cyr, n := "", 1
		for _, m := range multi {
			if strings.HasPrefix(up[i:], m.lat) {
				cyr, n = m.cyr, len(m.lat)
				break
			}
		}
		if cyr == "" {
			cyr = single[c]
			prevVowel := !wordStart && isVowel(up[i-1])
			switch {
			case c == 'E' && wordStart:
				cyr = "Э"
			case c == 'I' && prevVowel && (!vowelAt(up, i+1) || strings.HasPrefix(up[i+1:], "IA") || strings.HasPrefix(up[i+1:], "IU")):
				cyr = "Й"
			case c == 'Y' && prevVowel:
				cyr = "Й"
			}
		}
		if lower {
			cyr = strings.ToLower(cyr) // "Дж" would look odd for "j": a sequence follows its first letter
		}
		b.WriteString(cyr)
		wordStart = false
		i += n
	}
	res.Text = b.String()
	return res
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
