package sepmail

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

// simLetters returns letters the simulator wrote, one of each of its three MIME shapes
// (UTF-8 base64; cp1251 quoted-printable with an HTML alternative; KOI8-R in multipart/mixed).
func simLetters(t testing.TB) []sepsim.Letter {
	s := sepsim.New(sepsim.Options{Clock: clock.NewFake(time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC))})
	if _, err := s.LoadDemo(); err != nil {
		t.Fatal(err)
	}
	v := sepsim.DemoVehicles()[2]
	if _, err := s.CreateOwnershipChange(v.EPTS, sepsim.DemoDealerINN, time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return s.Outbox()
}

func TestParseSimulatorLetters(t *testing.T) {
	letters := simLetters(t)
	if len(letters) != 3 {
		t.Fatalf("letters: %d", len(letters))
	}
	for i, l := range letters {
		p, err := Parse(l.Raw)
		if err != nil {
			t.Fatalf("letter %d: %v", i, err)
		}
		v := sepsim.DemoVehicles()[i]
		if p.EPTS != v.EPTS || p.VIN != v.VIN || !regexp.MustCompile(`^\d{6}$`).MatchString(p.Code) ||
			!strings.HasPrefix(p.ApplicationNumber, "OC-2025-") || !strings.Contains(p.Subject, "смену собственника") {
			t.Fatalf("letter %d: %+v", i, p)
		}
	}
}

func mailOf(headers, body string) []byte {
	return []byte(strings.ReplaceAll(headers, "\n", "\r\n") + "\r\n" + body)
}

func TestParseLetterShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		raw                     []byte
		epts, vin, code, number string
	}{
		"koi8-r subject only": {
			raw:  mailOf("Subject: =?KOI8-R?B?58/Uz9fPIOXw9PMgMTY0MzAxMDAwMDAwMTAx?=\n", ""),
			epts: "164301000000101",
		},
		"cp1251 html only, base64 with spaces": {
			raw: mailOf("Subject: x\nContent-Type: text/html; charset=windows-1251\nContent-Transfer-Encoding: base64\n",
				"PHA+yu7kIO/u5PLi5fDm5OXt6P86IDQ4MjkxNTwvcD48cD7dz9LRIDE2NDMwMTAw MDAwMDEwMjwvcD4=\r\n"),
			epts: "164301000000102", code: "482915",
		},
		"utf-8 quoted-printable, lower-case vin": {
			raw: mailOf("Subject: =?utf-8?q?=D0=97=D0=B0=D1=8F=D0=B2=D0=BB=D0=B5=D0=BD=D0=B8=D0=B5_=E2=84=96_L-2025-000007?=\n"+
				"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
				"=D0=AD=D0=9F=D0=A2=D0=A1 =E2=84=96 164301000000103, vin: ys2g4x20005399403\r\n=D0=9A=D0=BE=D0=B4 =D0=BF=D0=BE=D0=B4=\r\n=D1=82=D0=B2=D0=B5=D1=80=D0=B6=D0=B4=D0=B5=D0=BD=D0=B8=D1=8F: A1B2C3\r\n"),
			epts: "164301000000103", vin: "YS2G4X20005399403", code: "A1B2C3", number: "L-2025-000007",
		},
		"prose after the code label is not a code": {
			raw:  mailOf("Subject: x\nContent-Type: text/plain; charset=utf-8\n", "Код подтверждения будет направлен позднее.\nНомер 164301000000104\n"),
			epts: "164301000000104",
		},
		"attachment text is ignored": {
			raw: mailOf("Subject: x\nContent-Type: multipart/mixed; boundary=b\n",
				"--b\r\nContent-Type: text/plain\r\n\r\nЭПТС 164301000000105\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nКод подтверждения: 999999\r\n--b--\r\n"),
			epts: "164301000000105",
		},
	} {
		p, err := Parse(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.EPTS != tc.epts || p.VIN != tc.vin || p.Code != tc.code || p.ApplicationNumber != tc.number {
			t.Errorf("%s: %+v", name, p)
		}
	}
}

func TestParseLetterRejects(t *testing.T) {
	deep := "Subject: x\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := range 10 {
		deep += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	many := "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", 100) + "--b--\r\n"
	for name, raw := range map[string]string{
		"no EPTS":          "Subject: Привет\r\n\r\nНичего.\r\n",
		"not a mail":       "\x00\x01 garbage",
		"too deep":         deep,
		"too many parts":   many,
		"unknown charset":  "Subject: x\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n\xff\xfe 164301000000101",
		"bad base64":       "Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
		"no boundary":      "Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n164301000000101",
		"unknown encoding": "Subject: x\r\nContent-Transfer-Encoding: x-uue\r\n\r\n164301000000101",
	} {
		_, err := Parse([]byte(raw))
		var me *Error
		if !errors.As(err, &me) || me.Reason == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

var (
	fuzzVIN  = regexp.MustCompile(`^[A-HJ-NPR-Z0-9]{17}$`)
	fuzzEPTS = regexp.MustCompile(`^\d{15}$`)
	fuzzCode = regexp.MustCompile(`^[0-9A-Za-z]{4,12}$`)
)

// FuzzParse: no input makes the parser panic or return fields of the wrong shape.
func FuzzParse(f *testing.F) {
	for _, l := range simLetters(f) {
		f.Add(l.Raw)
	}
	f.Add(mailOf("Subject: =?KOI8-R?B?58/Uz9fPIOXw9PMgMTY0MzAxMDAwMDAwMTAx?=\n", ""))
	f.Add(mailOf("Content-Type: multipart/alternative; boundary=\"x\"\n", "--x\r\nContent-Type: text/html; charset=koi8-r\r\n\r\n<p>ЭПТС 164301000000101</p>\r\n--x--"))
	f.Add([]byte("Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=D0=AD=\r\n164301000000101 VIN XTA21099000000001"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error of an unknown kind: %v", err)
			}
			return
		}
		if !fuzzEPTS.MatchString(p.EPTS) || (p.VIN != "" && !fuzzVIN.MatchString(p.VIN)) || (p.Code != "" && !fuzzCode.MatchString(p.Code)) {
			t.Fatalf("bad fields: %+v", p)
		}
	})
}
