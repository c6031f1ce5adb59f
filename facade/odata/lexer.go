package odata

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Limits on outside input that the parsers enforce, so that a hostile URL cannot make the
// hub spend unbounded time or memory.
const (
	maxExprLen   = 8 << 10 // bytes of a $filter, $orderby, $select, $expand or key
	maxExprDepth = 64      // nesting of parentheses and unary operators
	maxExprNodes = 512     // nodes of one $filter
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString // '…' literal; text is the unquoted value
	tTyped  // guid'…', datetime'…': text is the prefix, val the quoted part
	tNumber
	tOpen
	tClose
	tComma
	tSlash
	tMinus
	tEquals
	tColon
	tStar
)

type token struct {
	kind tokKind
	text string
	val  string
	pos  int // 1-based rune position, for messages
}

type lexer struct {
	src  string
	i    int
	toks []token
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isDigit(r rune) bool  { return unicode.IsDigit(r) }

// lex splits an expression into tokens; err is a Russian description with a position.
func lex(src string) ([]token, *syntaxError) {
	if len(src) > maxExprLen {
		return nil, &syntaxError{pos: 1, msg: "выражение слишком длинное"}
	}
	if !utf8.ValidString(src) {
		return nil, &syntaxError{pos: 1, msg: "выражение не в кодировке UTF-8"}
	}
	var toks []token
	i := 0
	pos := func(at int) int { return utf8.RuneCountInString(src[:at]) + 1 }
	for i < len(src) {
		r, w := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			i += w
		case r == '(':
			toks = append(toks, token{kind: tOpen, text: "(", pos: pos(i)})
			i++
		case r == ')':
			toks = append(toks, token{kind: tClose, text: ")", pos: pos(i)})
			i++
		case r == ',':
			toks = append(toks, token{kind: tComma, text: ",", pos: pos(i)})
			i++
		case r == '/':
			toks = append(toks, token{kind: tSlash, text: "/", pos: pos(i)})
			i++
		case r == '-':
			toks = append(toks, token{kind: tMinus, text: "-", pos: pos(i)})
			i++
		case r == '=':
			toks = append(toks, token{kind: tEquals, text: "=", pos: pos(i)})
			i++
		case r == ':':
			toks = append(toks, token{kind: tColon, text: ":", pos: pos(i)})
			i++
		case r == '*':
			toks = append(toks, token{kind: tStar, text: "*", pos: pos(i)})
			i++
		case r == '\'':
			s, n, ok := readQuoted(src[i:])
			if !ok {
				return nil, &syntaxError{pos: pos(i), msg: "не закрыта кавычка строки"}
			}
			toks = append(toks, token{kind: tString, text: s, pos: pos(i)})
			i += n
		case r >= '0' && r <= '9' || r == '.':
			j := scanNumber(src, i)
			toks = append(toks, token{kind: tNumber, text: src[i:j], pos: pos(i)})
			i = j
		case r == '_' || isLetter(r):
			j := i
			for j < len(src) {
				r2, w2 := utf8.DecodeRuneInString(src[j:])
				if r2 != '_' && !isLetter(r2) && !isDigit(r2) && r2 != '.' {
					break
				}
				j += w2
			}
			word := src[i:j]
			if j < len(src) && src[j] == '\'' {
				s, n, ok := readQuoted(src[j:])
				if !ok {
					return nil, &syntaxError{pos: pos(j), msg: "не закрыта кавычка литерала " + word}
				}
				toks = append(toks, token{kind: tTyped, text: word, val: s, pos: pos(i)})
				i = j + n
				continue
			}
			toks = append(toks, token{kind: tIdent, text: word, pos: pos(i)})
			i = j
		default:
			return nil, &syntaxError{pos: pos(i), msg: "недопустимый символ «" + string(r) + "»"}
		}
	}
	toks = append(toks, token{kind: tEOF, pos: utf8.RuneCountInString(src) + 1})
	return toks, nil
}

// readQuoted reads '…' with ” as an escaped quote; n is the bytes consumed.
func readQuoted(s string) (val string, n int, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, true
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}

func scanNumber(s string, i int) int {
	j := i
	digits := func() {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	digits()
	if j < len(s) && s[j] == '.' {
		j++
		digits()
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			j = k
			digits()
		}
	}
	if j < len(s) && strings.ContainsRune("lLmMdDfF", rune(s[j])) {
		j++
	}
	return j
}

// parseNumber reads a numeric literal (with an optional L, M, D or F suffix). It refuses
// absurd exponents, which would make decimal arithmetic allocate without bound.
func parseNumber(s string) (decimal.Decimal, bool) {
	if s == "" || len(s) > 64 {
		return decimal.Decimal{}, false
	}
	if strings.ContainsRune("lLmMdDfF", rune(s[len(s)-1])) {
		s = s[:len(s)-1]
	}
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, false
	}
	if e := d.Exponent(); e > 400 || e < -400 {
		return decimal.Decimal{}, false
	}
	return d, true
}

type syntaxError struct {
	pos int
	msg string
}
