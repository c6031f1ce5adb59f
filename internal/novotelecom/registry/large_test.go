package registry

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

// A generated payments registry: fixed-width lines, so its size is known in advance and the
// header's count and sum can be computed without producing the file.
const (
	genTemplate = "8000000;;052018;1000.00;21.06.2018 10:15:00;NT-000000000000\r\n"
	genAccounts = 1000
)

func genUnits(i int64) int64 { return 100000 + (i*7919)%900000 } // 1000.00 .. 9999.99

// genPayments returns a reader producing a valid payments registry of at least size bytes,
// generated on the fly, with its number of lines, its exact size and the accounts it uses.
func genPayments(size int64) (r io.Reader, lines, total int64, accounts *AccountSet) {
	n := (size + int64(len(genTemplate)) - 1) / int64(len(genTemplate))
	var sum int64
	for i := range n {
		sum += genUnits(i)
	}
	hdr := fmt.Sprintf("#MS1;PAYMENTS;001;21.06.2018;052018;%d;%s;CP1251;\r\n", n, money.New(sum, 2))
	accounts = NewAccountSet()
	for i := range int64(genAccounts) {
		accounts.Add(fmt.Sprintf("80%05d", i))
	}
	g := &genReader{n: n, buf: append(make([]byte, 0, bufSize), hdr...)}
	return g, n, int64(len(hdr)) + n*int64(len(genTemplate)), accounts
}

type genReader struct {
	i, n int64
	buf  []byte
	off  int
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off == len(g.buf) {
		g.buf, g.off = g.buf[:0], 0
		for len(g.buf)+len(genTemplate) <= cap(g.buf) && g.i < g.n {
			start := len(g.buf)
			g.buf = append(g.buf, genTemplate...)
			line := g.buf[start:]
			putDigits(line[2:7], g.i%genAccounts)
			u := genUnits(g.i)
			putDigits(line[16:20], u/100)
			putDigits(line[21:23], u%100)
			putDigits(line[47:59], g.i)
			g.i++
		}
		if len(g.buf) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

func putDigits(b []byte, v int64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

func TestGeneratedRegistryIsValid(t *testing.T) {
	r, lines, size, accounts := genPayments(1 << 20)
	cr := &countingReader{r: r}
	h, err := Validate(cr, "Payments_20180621_001.txt", Options{Kind: Payments, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	if h.Count != lines || cr.n != size {
		t.Fatalf("count %d of %d, %d bytes of %d", h.Count, lines, cr.n, size)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const memChildEnv = "REGISTRY_MEMORY_CHILD"

// memLimit is the resident memory a 1 GB registry may take to validate.
const memLimit = 64 << 20

// TestStreamingMemory validates a 1 GiB payments registry, generated on the fly, in a child
// process, and checks the child's peak resident memory (VmHWM), which counts everything the
// process ever held: runtime, test binary, generator and reader.
func TestStreamingMemory(t *testing.T) {
	if os.Getenv(memChildEnv) != "" {
		memoryChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStreamingMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), memChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var lines, bytes, hwm, before int64
	var found bool
	for _, l := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(l, "MEMORY lines=%d bytes=%d vmhwm_before=%d vmhwm=%d", &lines, &bytes, &before, &hwm); err == nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("child printed no result:\n%s", out)
	}
	if bytes < 1<<30 {
		t.Fatalf("only %d bytes validated", bytes)
	}
	t.Logf("validated %d lines, %d MiB; peak resident memory %.1f MiB (%.1f MiB before reading)",
		lines, bytes>>20, float64(hwm)/(1<<20), float64(before)/(1<<20))
	if hwm >= memLimit {
		t.Fatalf("peak resident memory %d bytes, limit %d", hwm, memLimit)
	}
}

func memoryChild() {
	before := vmHWM()
	r, lines, size, accounts := genPayments(1 << 30)
	cr := &countingReader{r: r}
	h, err := Validate(cr, "Payments_20180621_001.txt", Options{Kind: Payments, Accounts: accounts})
	if err != nil || h.Count != lines || cr.n != size {
		fmt.Println("MEMORY failed:", err, h.Count, lines, cr.n, size)
		os.Exit(1)
	}
	fmt.Printf("MEMORY lines=%d bytes=%d vmhwm_before=%d vmhwm=%d\n", lines, cr.n, before, vmHWM())
}

// vmHWM reads the process's peak resident set size from /proc/self/status.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				panic(err)
			}
			return kb << 10
		}
	}
	panic("no VmHWM in /proc/self/status")
}

// BenchmarkParsePayments parses and validates a payments registry file (256 MiB, or
// REGISTRY_BENCH_MB) with the account check, and reports its speed next to `wc -l` on the
// same file in the same run (the goal is within 10× of it): wc-l_MB/s and x_wc-l compare wall
// time; cpu_x_wc-l compares CPU time, which holds up when other work shares the machine.
func BenchmarkParsePayments(b *testing.B) {
	mb := int64(256)
	if v, err := strconv.ParseInt(os.Getenv("REGISTRY_BENCH_MB"), 10, 64); err == nil && v > 0 {
		mb = v
	}
	r, lines, size, accounts := genPayments(mb << 20)
	path := filepath.Join(b.TempDir(), "Payments_20180621_001.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, r); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	// Both read the file from the page cache: the best of four wc -l runs.
	wcWall, wcCPU := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range 4 {
		cmd := exec.Command("wc", "-l", path)
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		wcWall = min(wcWall, time.Since(start))
		wcCPU = min(wcCPU, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		if n, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64); n != lines+1 {
			b.Fatalf("wc -l counted %d lines, want %d", n, lines+1)
		}
	}
	b.SetBytes(size)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		h, err := Validate(f, "Payments_20180621_001.txt", Options{Kind: Payments, Accounts: accounts})
		f.Close()
		if err != nil || h.Count != lines {
			b.Fatal(err, h.Count)
		}
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	cpuPerOp := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(size)/wcWall.Seconds()/1e6, "wc-l_MB/s")
	b.ReportMetric(float64(perOp)/float64(wcWall), "x_wc-l")
	b.ReportMetric(float64(size)/cpuPerOp.Seconds()/1e6, "cpu_MB/s")
	b.ReportMetric(float64(cpuPerOp)/float64(max(wcCPU, time.Millisecond)), "cpu_x_wc-l")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
