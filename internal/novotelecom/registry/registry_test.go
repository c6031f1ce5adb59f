package registry

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/stykovka/stykovka/internal/money"
)

func d(s string) money.Decimal { return money.MustParse(s) }

// toCP1251 encodes UTF-8 test text as CP1251.
func toCP1251(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(t testing.TB, data []byte, file string, opts Options) (Header, []Record, error) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data), file, opts)
	if err != nil {
		return Header{}, nil, err
	}
	var recs []Record
	for {
		err := rd.Next()
		if err == io.EOF {
			return rd.Header(), recs, nil
		}
		if err != nil {
			return rd.Header(), recs, err
		}
		recs = append(recs, rd.Record())
	}
}

// TestDocExamples reads every example of the package documentation, in the charset its
// header declares, so the documented format and the code cannot drift apart.
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var examples [][]string
	for _, line := range strings.Split(string(src), "\n") {
		body, ok := strings.CutPrefix(line, "//\t")
		switch {
		case ok && strings.HasPrefix(body, Signature+";") && !strings.HasPrefix(body, Signature+";KIND;"):
			examples = append(examples, []string{body})
		case ok && len(examples) > 0 && examples[len(examples)-1] != nil:
			examples[len(examples)-1] = append(examples[len(examples)-1], body)
		default:
			if len(examples) > 0 && examples[len(examples)-1] != nil {
				examples = append(examples, nil)
			}
		}
	}
	seen := map[Kind]bool{}
	for _, ex := range examples {
		if ex == nil {
			continue
		}
		text := strings.Join(ex, "\r\n") + "\r\n"
		data := []byte(text)
		if strings.Contains(ex[0], ";CP1251;") {
			data = toCP1251(t, text)
		}
		h, recs, err := readAll(t, data, "", Options{})
		if err != nil {
			t.Errorf("example %q: %v", ex[0], err)
			continue
		}
		seen[h.Kind] = true
		if int64(len(recs)) != h.Count {
			t.Errorf("example %q: %d records", ex[0], len(recs))
		}
		if len(recs) > 0 && strings.ContainsRune(text, 'г') && !strings.Contains(recs[0].Address+recs[0].Message, "г") &&
			!strings.Contains(recs[0].Message, "неизв") {
			t.Errorf("example %q: text not decoded: %+v", ex[0], recs[0])
		}
	}
	for _, k := range []Kind{Payments, Debts, Meters, Answer, Reject, Confirm} {
		if !seen[k] {
			t.Errorf("no documented example of %s read", k)
		}
	}
}

var day = Date(2018, 6, 21)

// sample has records of every kind that exercise each column.
func sample(k Kind) []Record {
	switch k {
	case Services:
		return []Record{{Service: "101", Name: "Холодное водоснабжение"}, {Service: "gaz.2", Name: "Газ «кухня»"}}
	case Debts:
		return []Record{
			{Account: "8032001", Address: "г. Новосибирск, ул. Ленина, 1-1", Service: "101", Amount: d("1200.00")},
			{Account: "8032002", Address: "", Service: "", Amount: d("-15.5")},
		}
	case Meters:
		return []Record{{Account: "8032001", Address: "ул. Ленина, 1-1", Meter: "118843/A", Service: "201", Amount: d("345.12")}}
	case Payments:
		return []Record{
			{Account: "8032001", Period: Period{2018, 5}, Amount: d("1000"), Time: time.Date(2018, 6, 21, 10, 15, 0, 0, time.UTC), ID: "NT-1"},
			{Account: "8032002", Service: "101", Period: Period{2018, 5}, Amount: d("55.00"), Time: time.Date(2018, 6, 21, 23, 59, 59, 0, time.UTC), ID: "NT-2"},
		}
	case Readings:
		return []Record{{Account: "8032001", Meter: "118843", Service: "201", Amount: d("350.5"), Time: Date(2018, 6, 20)}}
	case Answer, Reject:
		return []Record{{RefLine: 0, Message: "кол-во в заголовке: 3, строк: 2"}, {RefLine: 12, Message: "неизв.лиц.счёт: 8032067"}}
	case Confirm:
		return []Record{{RefLine: 1, Account: "8032001", Amount: d("1000.00")}, {RefLine: 2, Account: "8032002", Amount: d("55.00")}}
	}
	return nil
}

func header(k Kind) Header {
	h := Header{Kind: k, Number: 7, Date: day}
	switch k {
	case Debts, Meters:
		h.Period = Period{2018, 5}
	case Answer, Confirm, Reject:
		h.Ref = "Payments_20180620_001.txt"
		h.Sum = money.New(0, 2)
	}
	return h
}

func TestRoundTripEveryKind(t *testing.T) {
	for _, k := range Kinds {
		for _, cs := range []Charset{CP1251, UTF8} {
			t.Run(string(k)+"/"+string(cs), func(t *testing.T) {
				h := header(k)
				h.Charset = cs
				want := sample(k)
				var buf bytes.Buffer
				got, err := Build(&buf, h, slices.Values(want))
				if err != nil {
					t.Fatal(err)
				}
				if got.Count != int64(len(want)) {
					t.Fatalf("count %d", got.Count)
				}
				hr, recs, err := readAll(t, buf.Bytes(), got.FileName(), Options{Kind: k})
				if err != nil {
					t.Fatalf("%v\n%s", err, buf.Bytes())
				}
				if hr.Kind != k || hr.Number != 7 || !hr.Date.Equal(day) || hr.Charset != cs || !hr.Sum.Equal(got.Sum) || hr.Ref != h.Ref {
					t.Fatalf("header %+v, built %+v", hr, got)
				}
				for i := range want {
					w, r := want[i], recs[i]
					if r.Line != int64(i+1) || r.Account != w.Account || r.Address != w.Address || r.Service != w.Service ||
						r.Name != w.Name || r.Meter != w.Meter || r.Period != w.Period || !r.Amount.Equal(w.Amount) ||
						!r.Time.Equal(w.Time) || r.ID != w.ID || r.RefLine != w.RefLine || r.Message != w.Message {
						t.Errorf("record %d: got %+v, want %+v", i+1, r, w)
					}
				}
			})
		}
	}
}

func TestSums(t *testing.T) {
	var buf bytes.Buffer
	h, err := Build(&buf, header(Payments), slices.Values(sample(Payments)))
	if err != nil {
		t.Fatal(err)
	}
	if h.Sum.String() != "1055.00" {
		t.Errorf("payments sum %s", h.Sum)
	}
	if !strings.HasPrefix(buf.String(), "#MS1;PAYMENTS;007;21.06.2018;;2;1055.00;CP1251;\r\n8032001;;052018;1000.00;21.06.2018 10:15:00;NT-1\r\n") {
		t.Errorf("payments file:\n%s", buf.String())
	}
	buf.Reset()
	h, err = Build(&buf, header(Meters), slices.Values(sample(Meters)))
	if err != nil {
		t.Fatal(err)
	}
	if h.Sum.String() != "345.120" {
		t.Errorf("meters sum %s", h.Sum)
	}
	buf.Reset()
	ch := header(Confirm)
	ch.Sum = money.New(0, 3)
	if h, err = Build(&buf, ch, slices.Values([]Record{{RefLine: 1, Account: "1", Amount: d("2.5")}})); err != nil || h.Sum.String() != "2.500" {
		t.Errorf("confirm of readings: %v %s", err, h.Sum)
	}
}

func TestWriterChecksTotals(t *testing.T) {
	h := header(Payments)
	h.Count, h.Sum = 1, d("1.00")
	w, err := NewWriter(io.Discard, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Record{Account: "1", Period: Period{2018, 5}, Amount: d("2.00"), Time: day, ID: "x"}); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := w.Close(); !errors.As(err, &e) || e.Diagnostic() != "строка: 0, сумма в заголовке: 1.00, по строкам: 2.00" {
		t.Fatalf("Close: %v", err)
	}
}

func TestWriterRefusesBadRecords(t *testing.T) {
	cases := []struct {
		kind Kind
		rec  Record
		want string
	}{
		{Payments, Record{Account: "", Period: Period{2018, 5}, Amount: d("1.00"), Time: day, ID: "x"}, "строка: 1, лиц.счёт: (пусто)"},
		{Payments, Record{Account: "80;1", Period: Period{2018, 5}, Amount: d("1.00"), Time: day, ID: "x"}, "строка: 1, недопустимый символ в поле 1"},
		{Payments, Record{Account: "1", Period: Period{2018, 5}, Amount: d("1.005"), Time: day, ID: "x"}, "строка: 1, сумма: 1.005 (больше 2 знаков после точки)"},
		{Payments, Record{Account: "1", Period: Period{2018, 5}, Amount: d("0"), Time: day, ID: "x"}, "строка: 1, сумма: 0.00"},
		{Payments, Record{Account: "1", Amount: d("1"), Time: day, ID: "x"}, "строка: 1, период: (пусто)"},
		{Payments, Record{Account: "1", Period: Period{2018, 5}, Amount: d("1"), ID: "x"}, "строка: 1, дата оплаты: (пусто)"},
		{Debts, Record{Account: "1", Address: "a;b", Amount: d("1")}, "строка: 1, адрес: недопустимый символ «;» или перевод строки"},
		{Debts, Record{Account: "1", Address: "日本", Amount: d("1")}, "строка: 1, адрес: символ '日' не представим в CP1251"},
		{Debts, Record{Account: "1", Address: strings.Repeat("д", 251), Amount: d("1")}, "строка: 1, адрес: длиннее 250 символов"},
		{Debts, Record{Account: "1", Amount: d("10000000000000")}, "строка: 1, сумма: 10000000000000.00"},
		{Services, Record{Service: "", Name: "x"}, "строка: 1, код услуги: (пусто)"},
		{Services, Record{Service: "1", Name: "a\tb"}, "строка: 1, наименование: недопустимый символ"},
		{Meters, Record{Account: "1", Meter: "", Amount: d("1")}, "строка: 1, счётчик: (пусто)"},
		{Meters, Record{Account: "1", Meter: "m", Amount: d("-1")}, "строка: 1, показание: -1.000"},
		{Reject, Record{RefLine: -1, Message: "x"}, "строка: 1, номер строки: -1"},
		{Reject, Record{RefLine: 1}, "строка: 1, текст: не заполнено"},
	}
	for _, c := range cases {
		_, err := Build(io.Discard, header(c.kind), slices.Values([]Record{c.rec}))
		var e *Error
		if !errors.As(err, &e) || e.Diagnostic() != c.want {
			t.Errorf("%s %+v: got %v, want %q", c.kind, c.rec, err, c.want)
		}
	}
}

func TestWriterRefusesBadHeaders(t *testing.T) {
	bad := []Header{
		{Kind: "NOPE", Number: 1, Date: day},
		{Kind: Payments, Number: 0, Date: day},
		{Kind: Payments, Number: 1000, Date: day},
		{Kind: Payments, Number: 1},
		{Kind: Debts, Number: 1, Date: day},
		{Kind: Services, Number: 1, Date: day, Period: Period{2018, 5}},
		{Kind: Answer, Number: 1, Date: day},
		{Kind: Payments, Number: 1, Date: day, Ref: "x.txt"},
		{Kind: Answer, Number: 1, Date: day, Ref: "../x.txt"},
		{Kind: Payments, Number: 1, Date: day, Charset: "KOI8-R"},
		{Kind: Services, Number: 1, Date: day, Sum: d("1.00")},
		{Kind: Confirm, Number: 1, Date: day, Ref: "x.txt", Sum: d("1.0")},
	}
	for _, h := range bad {
		if _, err := NewWriter(io.Discard, h); err == nil {
			t.Errorf("header %+v accepted", h)
		}
	}
}

// TestDiagnostics pins the messages 1C users read, for files Novotelecom might send.
func TestDiagnostics(t *testing.T) {
	const head = "#MS1;PAYMENTS;007;21.06.2018;;2;1055.00;CP1251;\r\n"
	const p1 = "8032001;;052018;1000.00;21.06.2018 10:15:00;NT-1\r\n"
	const p2 = "8032002;;052018;55.00;21.06.2018 11:40:12;NT-2\r\n"
	accounts := NewAccountSet("8032001", "8032002")
	cases := []struct {
		name, text, want string
	}{
		{"unknown account", head + "8032067;;052018;1000.00;21.06.2018 10:15:00;NT-1\r\n" + p2, "строка: 1, неизв.лиц.счёт: 8032067"},
		{"bad account", head + "80 32;;052018;1000.00;21.06.2018 10:15:00;NT-1\r\n" + p2, "строка: 1, лиц.счёт: 80 32"},
		{"count", "#MS1;PAYMENTS;007;21.06.2018;;3;1055.00;CP1251;\r\n" + p1 + p2, "строка: 0, кол-во в заголовке: 3, строк: 2"},
		{"sum", "#MS1;PAYMENTS;007;21.06.2018;;2;1055.01;CP1251;\r\n" + p1 + p2, "строка: 0, сумма в заголовке: 1055.01, по строкам: 1055.00"},
		{"truncated", head + p1 + p2[:20], "строка: 2, число полей: 4 вместо 6"},
		{"amount decimals", head + p1 + "8032002;;052018;55.0;21.06.2018 11:40:12;NT-2\r\n", "строка: 2, сумма: 55.0"},
		{"decimal comma", head + p1 + "8032002;;052018;55,00;21.06.2018 11:40:12;NT-2\r\n", "строка: 2, сумма: 55,00"},
		{"negative payment", head + p1 + "8032002;;052018;-55.00;21.06.2018 11:40:12;NT-2\r\n", "строка: 2, сумма: -55.00"},
		{"period", head + p1 + "8032002;;132018;55.00;21.06.2018 11:40:12;NT-2\r\n", "строка: 2, период: 132018"},
		{"date", head + p1 + "8032002;;052018;55.00;31.06.2018 11:40:12;NT-2\r\n", "строка: 2, дата оплаты: 31.06.2018 11:40:12"},
		{"fields", head + p1 + "8032002;;052018;55.00;21.06.2018 11:40:12;NT-2;x\r\n", "строка: 2, число полей: 7 вместо 6"},
		{"empty line", head + p1 + "\r\n" + p2, "строка: 2, пустая строка"},
		{"long line", head + p1 + strings.Repeat("1", MaxLine+1) + "\r\n", "строка: 2, длина строки больше 4096"},
		{"very long line", head + p1 + strings.Repeat("1", 100000) + "\r\n", "строка: 2, длина строки больше 4096"},
		{"empty", "", "строка: 0, заголовок: файл пуст"},
		{"no signature", "PAYMENTS;007\r\n", "строка: 0, заголовок: нет признака #MS1"},
		{"kind", "#MS1;DEBTS;007;21.06.2018;052018;0;0.00;;\r\n", "строка: 0, заголовок: тип реестра: DEBTS вместо PAYMENTS"},
		{"unknown kind", "#MS1;SALDO;007;21.06.2018;;0;0.00;;\r\n", "строка: 0, заголовок: тип реестра: SALDO"},
		{"header fields", "#MS1;PAYMENTS;007;21.06.2018;;2;1055.00\r\n", "строка: 0, заголовок: число полей: 7 вместо 9"},
		{"number", "#MS1;PAYMENTS;7;21.06.2018;;0;0.00;;\r\n", "строка: 0, заголовок: номер: 7"},
		{"header date", "#MS1;PAYMENTS;007;2018-06-21;;0;0.00;;\r\n", "строка: 0, заголовок: дата: 2018-06-21"},
		{"charset", "#MS1;PAYMENTS;007;21.06.2018;;0;0.00;KOI8-R;\r\n", "строка: 0, заголовок: кодировка: KOI8-R"},
		{"name", "#MS1;PAYMENTS;008;21.06.2018;;0;0.00;;\r\n", "строка: 0, заголовок: не соответствует имени файла"},
		{"ref", "#MS1;PAYMENTS;007;21.06.2018;;0;0.00;;x.txt\r\n", "строка: 0, заголовок: имя файла-основания не нужно: x.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(c.text), "Payments_20180621_007.txt", Options{Kind: Payments, Accounts: accounts})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if e.Diagnostic() != c.want || e.File != "Payments_20180621_007.txt" {
				t.Errorf("got %q in %q, want %q", e.Diagnostic(), e.File, c.want)
			}
			if e.Error() != "Payments_20180621_007.txt: "+c.want {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
	// The good file, LF line ends and no final newline.
	good := strings.ReplaceAll(head+p1+p2, "\r\n", "\n")
	h, recs, err := readAll(t, []byte(strings.TrimSuffix(good, "\n")), "Payments_20180621_007.txt", Options{Kind: Payments, Accounts: accounts})
	if err != nil || len(recs) != 2 || h.Sum.String() != "1055.00" {
		t.Fatalf("good file: %v %d %s", err, len(recs), h.Sum)
	}
}

func TestCharsets(t *testing.T) {
	const addr = "г. Новосибирск, ул. Ленина, 1-1"
	body := func(cs string) string {
		return "#MS1;DEBTS;001;31.05.2018;052018;1;1.00;" + cs + ";\r\n8032001;" + addr + ";;1.00\r\n"
	}
	cases := []struct {
		name string
		data []byte
		cs   Charset
		err  string
	}{
		{"declared cp1251", toCP1251(t, body("CP1251")), CP1251, ""},
		{"declared utf-8", []byte(body("UTF-8")), UTF8, ""},
		{"detected cp1251", toCP1251(t, body("")), CP1251, ""},
		{"detected utf-8", []byte(body("")), UTF8, ""},
		{"bom", append(append([]byte{}, bom...), body("")...), UTF8, ""},
		{"bom and cp1251", append(append([]byte{}, bom...), body("CP1251")...), "", "строка: 0, заголовок: кодировка CP1251, но файл начинается с BOM UTF-8"},
		{"declared utf-8, cp1251 bytes", toCP1251(t, body("UTF-8")), "", "строка: 1, адрес: неверная кодировка UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, recs, err := readAll(t, c.data, "", Options{})
			if c.err != "" {
				var e *Error
				if !errors.As(err, &e) || e.Diagnostic() != c.err {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Charset != c.cs || recs[0].Address != addr {
				t.Errorf("charset %q, address %q", h.Charset, recs[0].Address)
			}
		})
	}
	// CP1251 has no character at 0x98.
	bad := append(toCP1251(t, "#MS1;DEBTS;001;31.05.2018;052018;1;1.00;CP1251;\r\n8032001;ул"), 0x98)
	bad = append(bad, ";;1.00\r\n"...)
	if _, _, err := readAll(t, bad, "", Options{}); err == nil || !strings.Contains(err.Error(), "адрес: недопустимый символ") {
		t.Errorf("0x98 in CP1251: %v", err)
	}
}

// TestIOErrorIsNotStructural keeps a broken connection apart from a broken registry.
func TestIOErrorIsNotStructural(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("#MS1;PAYMENTS;007;21.06.2018;;2;1055.00;CP1251;\r\n8032001;"), errReader{boom})
	_, err := Validate(r, "x", Options{})
	var e *Error
	if !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestNamesAndPeriods(t *testing.T) {
	n, ok := ParseName(`C:\НТК\Входящие\Payments_20180621_007.txt`)
	if !ok || n.Kind != Payments || n.Number != 7 || !n.Date.Equal(day) {
		t.Fatalf("ParseName: %+v %v", n, ok)
	}
	for _, bad := range []string{"Payments_20180621_07.txt", "Payments_20180631_007.txt", "Saldo_20180621_007.txt", "Payments_20180621_000.txt", "Payments_20180621_007.csv"} {
		if _, ok := ParseName(bad); ok {
			t.Errorf("ParseName(%q) ok", bad)
		}
	}
	if FileName(Confirm, day, 12) != "Confirm_20180621_012.txt" {
		t.Error(FileName(Confirm, day, 12))
	}
	p, err := ParsePeriod("022024")
	if err != nil || p.Last() != Date(2024, 2, 29) || p.Next() != (Period{2024, 3}) || p.First() != Date(2024, 2, 1) {
		t.Fatalf("period %v %v", p, err)
	}
	if (Period{2018, 12}).Next() != (Period{2019, 1}) {
		t.Error("December's next")
	}
	for _, bad := range []string{"2018-05", "002018", "13201", "131899"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q)", bad)
		}
	}
	var q Period
	if err := q.UnmarshalText([]byte("052018")); err != nil || q != (Period{2018, 5}) {
		t.Error(q, err)
	}
	if b, _ := q.MarshalText(); string(b) != "052018" {
		t.Error(string(b))
	}
	msk := time.FixedZone("MSK", 3*3600)
	if got := Civil(time.Date(2018, 6, 21, 23, 30, 0, 0, msk)); got != time.Date(2018, 6, 21, 23, 30, 0, 0, time.UTC) {
		t.Error(got)
	}
}

// TestSumOverflowStaysExact: sums beyond int64 minor units switch to exact decimals.
func TestSumOverflowStaysExact(t *testing.T) {
	const v = "9999999999999.99"
	n := 1000
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Account: "1", Amount: d(v)}
	}
	var buf bytes.Buffer
	h := header(Debts)
	got, err := Build(&buf, h, slices.Values(recs))
	if err != nil {
		t.Fatal(err)
	}
	want := d(v).Mul(money.FromInt(int64(n)))
	if !got.Sum.Equal(want) {
		t.Fatalf("sum %s, want %s", got.Sum, want)
	}
	if _, err := Validate(&buf, "", Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestSplit(t *testing.T) {
	for _, s := range []string{"", ";", ";;", "a", "a;b", ";:;:", "12345678;", "1234567;8", "a;:b;;:;c;dddddddddddddddd;", "é;\xff;\x80\x3b"} {
		var want []string
		for _, f := range strings.Split(s, ";") {
			want = append(want, f)
		}
		var got []string
		for _, f := range split(nil, []byte(s)) {
			got = append(got, string(f))
		}
		if !slices.Equal(got, want) {
			t.Errorf("split(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestResume pages through a file from saved offsets, the way registry lines are listed.
func TestResume(t *testing.T) {
	var buf bytes.Buffer
	recs := sample(Payments)
	recs = append(recs, recs...)
	h, err := Build(&buf, header(Payments), slices.Values(recs))
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	rd, err := NewReader(bytes.NewReader(data), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	line, off := rd.Line(), rd.Offset()
	for line < h.Count {
		rr, err := Resume(bytes.NewReader(data[off:]), "", rd.Header(), line, off, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := rr.Next(); err != nil {
			t.Fatalf("line %d: %v", line+1, err)
		}
		rec := rr.Record()
		if rec.Line != line+1 || rec.ID != recs[line].ID {
			t.Fatalf("resumed at %d: %+v", line, rec)
		}
		line, off = rr.Line(), rr.Offset()
	}
	if off != int64(len(data)) {
		t.Fatalf("offset %d of %d", off, len(data))
	}
	rr, _ := Resume(bytes.NewReader(nil), "", h, h.Count, off, Options{})
	if err := rr.Next(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	if _, err := Resume(bytes.NewReader(nil), "", h, h.Count+1, 0, Options{}); err == nil {
		t.Fatal("resumed past the end")
	}
}

func TestAccountSet(t *testing.T) {
	s := NewAccountSet("1", "2")
	for i := range 5000 {
		s.Add(strconv.Itoa(i))
	}
	s.Add("2")
	if s.Len() != 5000 {
		t.Fatalf("len %d", s.Len())
	}
	for i := range 5000 {
		if !s.Has([]byte(strconv.Itoa(i))) {
			t.Fatalf("%d missing", i)
		}
	}
	if s.Has([]byte("5000")) || s.Has(nil) {
		t.Fatal("has what was never added")
	}
	n := 0
	s.Each(func(string) { n++ })
	if n != 5000 || testing.AllocsPerRun(100, func() { s.Has([]byte("4711")) }) != 0 {
		t.Fatal("each or allocations")
	}
}
