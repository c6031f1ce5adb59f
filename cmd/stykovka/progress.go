package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress reports long work on stderr a few times a second: done bytes (of the total when
// known), lines, percent, rate and time left. On a terminal it redraws one line; elsewhere
// (a log, a pipe) it prints a line each time, less often.
type progress struct {
	w     io.Writer
	label string
	total int64 // bytes or lines (by unit); 0: unknown
	unit  string
	every time.Duration
	tty   bool
	start time.Time
	last  time.Time
	shown bool
	now   func() time.Time
}

// newProgress reports to w; every is the interval between reports (0: 250 ms on a terminal,
// 1 s elsewhere).
func newProgress(w io.Writer, label string, total int64, unit string, every time.Duration) *progress {
	tty := isTerminal(w)
	if every <= 0 {
		every = time.Second
		if tty {
			every = 250 * time.Millisecond
		}
	}
	p := &progress{w: w, label: label, total: total, unit: unit, every: every, tty: tty, now: time.Now}
	p.start = p.now()
	p.last = p.start
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// update reports done (in the progress's unit) and lines when the interval has passed.
func (p *progress) update(done, lines int64) {
	now := p.now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	p.print(done, lines, false)
}

// finish reports the final figures and ends the line.
func (p *progress) finish(done, lines int64) {
	p.print(done, lines, true)
}

func (p *progress) print(done, lines int64, final bool) {
	elapsed := p.now().Sub(p.start)
	var b strings.Builder
	b.WriteString(p.label + ": ")
	b.WriteString(p.amount(done))
	if p.total > 0 {
		pct := float64(done) * 100 / float64(p.total)
		fmt.Fprintf(&b, " из %s (%.0f%%)", p.amount(p.total), min(pct, 100))
	}
	if p.unit == "bytes" {
		fmt.Fprintf(&b, ", строк %s", group(lines))
	}
	if secs := elapsed.Seconds(); secs > 0 {
		rate := float64(done) / secs
		fmt.Fprintf(&b, ", %s/с", p.amount(int64(rate)))
		if p.total > 0 && rate > 0 && !final && done < p.total {
			left := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			fmt.Fprintf(&b, ", осталось ~%s", durationRU(left))
		}
	}
	if final {
		fmt.Fprintf(&b, ", за %s", durationRU(elapsed))
	}
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r\033[K%s\n", b.String())
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", b.String())
	default:
		fmt.Fprintln(p.w, b.String())
	}
	p.shown = true
}

func (p *progress) amount(n int64) string {
	if p.unit == "bytes" {
		return bytesRU(n)
	}
	return group(n) + " " + p.unit
}

// durationRU writes a duration as "1,5 с", "2 мин 5 с", "1 ч 3 мин".
func durationRU(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strings.Replace(fmt.Sprintf("%.1f с", d.Seconds()), ".", ",", 1)
	case d < time.Hour:
		return fmt.Sprintf("%d мин %d с", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%d ч %d мин", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// bytesRU writes a size as Russian users read it: 12,3 МБ.
func bytesRU(n int64) string {
	switch {
	case n >= 1<<30:
		return strings.Replace(fmt.Sprintf("%.1f ГБ", float64(n)/(1<<30)), ".", ",", 1)
	case n >= 1<<20:
		return strings.Replace(fmt.Sprintf("%.1f МБ", float64(n)/(1<<20)), ".", ",", 1)
	case n >= 1<<10:
		return strings.Replace(fmt.Sprintf("%.1f КБ", float64(n)/(1<<10)), ".", ",", 1)
	}
	return fmt.Sprintf("%d Б", n)
}

// group writes 1234567 as "1 234 567".
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
