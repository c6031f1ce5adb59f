// Package metrics counts what the hub does — requests, calls to the outside systems, jobs,
// domain events — per integration and outcome, and hands the figures out two ways: the
// Prometheus text format for the local binary's /metrics, and CloudWatch embedded-metric-format
// (EMF) log lines that a Lambda function writes once per invocation (FlushEMF).
//
// It has no dependency: a registry of counters and histograms keyed by label values. Labels
// never carry personal data nor tenant ids; values are bounded in length and each family in
// the number of its series (past MaxSeries, new label sets count as "other").
package metrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxSeries bounds the label sets of one family; later ones are counted under "other".
const MaxSeries = 500

// maxLabelLen bounds a label value (bytes).
const maxLabelLen = 64

// maxSamples bounds the observations a histogram series keeps for the next EMF flush (EMF
// takes at most 100 values per metric).
const maxSamples = 100

// Other is the label value that stands for a value too long, not UTF-8, or past MaxSeries.
const Other = "other"

// DefaultBuckets are latency buckets in seconds, from 5 ms to 60 s.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type kind int

const (
	counterKind kind = iota
	histogramKind
)

// Registry holds metric families. It is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64
	series     map[string]*series
}

type series struct {
	values []string
	// counter: value; histogram: counts per bucket (cumulative on output), sum, count.
	value  float64
	counts []uint64
	sum    float64
	count  uint64
	// since the last EMF flush
	dValue   float64
	dSamples []float64
	dCount   uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

// Default is the process's registry: the instrumented code records into it, /metrics and the
// Lambda flushers read it.
var Default = NewRegistry()

func (r *Registry) family(name, help string, k kind, buckets []float64, labels []string) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.families[name]; ok {
		if f.kind != k || strings.Join(f.labels, ",") != strings.Join(labels, ",") {
			panic("metrics: " + name + " registered twice with different kinds or labels")
		}
		return f
	}
	f := &family{name: name, help: help, kind: k, labels: append([]string(nil), labels...),
		buckets: buckets, series: map[string]*series{}}
	r.families[name] = f
	return f
}

// CounterVec is a counter family.
type CounterVec struct {
	r *Registry
	f *family
}

// Counter registers (or returns the registered) counter family name with the label names.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r: r, f: r.family(name, help, counterKind, nil, labels)}
}

// Add adds v (>= 0) to the series of the label values (one per label name).
func (c *CounterVec) Add(v float64, values ...string) {
	if v < 0 || math.IsNaN(v) {
		return
	}
	c.r.mu.Lock()
	s := c.r.seriesLocked(c.f, values)
	s.value += v
	s.dValue += v
	c.r.mu.Unlock()
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// HistogramVec is a histogram family of durations or sizes.
type HistogramVec struct {
	r *Registry
	f *family
}

// Histogram registers (or returns) a histogram family with the buckets' upper bounds
// (ascending; nil means DefaultBuckets).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if buckets == nil {
		buckets = DefaultBuckets
	}
	return &HistogramVec{r: r, f: r.family(name, help, histogramKind, buckets, labels)}
}

// Observe records one value.
func (h *HistogramVec) Observe(v float64, values ...string) {
	if math.IsNaN(v) {
		return
	}
	h.r.mu.Lock()
	s := h.r.seriesLocked(h.f, values)
	i := sort.SearchFloat64s(h.f.buckets, v) // the first bucket whose bound is >= v; len: +Inf
	s.counts[i]++
	s.sum += v
	s.count++
	s.dCount++
	if len(s.dSamples) < maxSamples {
		s.dSamples = append(s.dSamples, v)
	}
	h.r.mu.Unlock()
}

// ObserveSince records the seconds since start.
func (h *HistogramVec) ObserveSince(start time.Time, values ...string) {
	h.Observe(time.Since(start).Seconds(), values...)
}

// seriesLocked finds or creates the series of the values, bounded as the package says.
func (r *Registry) seriesLocked(f *family, values []string) *series {
	vals := make([]string, len(f.labels))
	for i := range vals {
		if i < len(values) {
			vals[i] = cleanValue(values[i])
		}
	}
	key := strings.Join(vals, "\xff")
	if s, ok := f.series[key]; ok {
		return s
	}
	if len(f.series) >= MaxSeries {
		for i := range vals {
			vals[i] = Other
		}
		key = strings.Join(vals, "\xff")
		if s, ok := f.series[key]; ok {
			return s
		}
	}
	s := &series{values: vals}
	if f.kind == histogramKind {
		s.counts = make([]uint64, len(f.buckets)+1) // the last one is +Inf
	}
	f.series[key] = s
	return s
}

// cleanValue bounds a label value: not UTF-8, too long or with control characters → Other.
func cleanValue(v string) string {
	if len(v) > maxLabelLen || !utf8.ValidString(v) {
		return Other
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return Other
		}
	}
	return v
}

// sorted returns the families by name and each family's series by label values.
func (r *Registry) sortedLocked() []*family {
	fs := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
	return fs
}

func (f *family) sortedSeries() []*series {
	out := make([]*series, 0, len(f.series))
	for _, s := range f.series {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.Join(out[i].values, "\xff") < strings.Join(out[j].values, "\xff")
	})
	return out
}

// ContentType is the Prometheus text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WritePrometheus writes every family in the Prometheus text exposition format (0.0.4).
func (r *Registry) WritePrometheus(w io.Writer) error {
	bw := bufio.NewWriter(w)
	r.mu.Lock()
	for _, f := range r.sortedLocked() {
		typ := "counter"
		if f.kind == histogramKind {
			typ = "histogram"
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, typ)
		for _, s := range f.sortedSeries() {
			if f.kind == counterKind {
				fmt.Fprintf(bw, "%s%s %s\n", f.name, labelString(f.labels, s.values, "", ""), formatFloat(s.value))
				continue
			}
			var cum uint64
			for i, b := range f.buckets {
				cum += s.counts[i]
				fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelString(f.labels, s.values, "le", formatFloat(b)), cum)
			}
			cum += s.counts[len(f.buckets)]
			fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelString(f.labels, s.values, "le", "+Inf"), cum)
			fmt.Fprintf(bw, "%s_sum%s %s\n", f.name, labelString(f.labels, s.values, "", ""), formatFloat(s.sum))
			fmt.Fprintf(bw, "%s_count%s %d\n", f.name, labelString(f.labels, s.values, "", ""), s.count)
		}
	}
	r.mu.Unlock()
	return bw.Flush()
}

func labelString(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if extraName != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName + `="` + extraValue + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Namespace is the CloudWatch namespace of the EMF lines.
const Namespace = "Stykovka"

// FlushEMF writes, as CloudWatch embedded-metric-format JSON lines (one per series that
// changed), what was recorded since the previous flush, and starts the next period. dims are
// added to every line as dimensions (e.g. {"function": "sep-poller"}). Counters are written
// as their increase (unit Count); histograms as the period's observations in milliseconds
// (at most 100 values; the count of all of them goes into <name>_count).
func (r *Registry) FlushEMF(w io.Writer, dims map[string]string, now time.Time) error {
	dimNames := make([]string, 0, len(dims))
	for k := range dims {
		dimNames = append(dimNames, k)
	}
	sort.Strings(dimNames)
	var lines [][]byte
	r.mu.Lock()
	for _, f := range r.sortedLocked() {
		for _, s := range f.sortedSeries() {
			line, ok := emfLine(f, s, dims, dimNames, now)
			if ok {
				lines = append(lines, line)
			}
			s.dValue, s.dCount, s.dSamples = 0, 0, s.dSamples[:0]
		}
	}
	r.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.Write(l)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

func emfLine(f *family, s *series, dims map[string]string, dimNames []string, now time.Time) ([]byte, bool) {
	doc := map[string]any{}
	names := append([]string(nil), dimNames...)
	for k, v := range dims {
		doc[k] = v
	}
	for i, l := range f.labels {
		doc[l] = s.values[i]
		names = append(names, l)
	}
	var ms []emfMetric
	switch f.kind {
	case counterKind:
		if s.dValue == 0 {
			return nil, false
		}
		doc[f.name] = s.dValue
		ms = []emfMetric{{Name: f.name, Unit: "Count"}}
	case histogramKind:
		if s.dCount == 0 {
			return nil, false
		}
		vals := make([]float64, len(s.dSamples))
		for i, v := range s.dSamples {
			vals[i] = math.Round(v*1e6) / 1e3 // seconds → milliseconds, to the microsecond
		}
		name := strings.TrimSuffix(f.name, "_seconds") + "_ms"
		doc[name] = vals
		doc[f.name+"_count"] = s.dCount
		ms = []emfMetric{{Name: name, Unit: "Milliseconds"}, {Name: f.name + "_count", Unit: "Count"}}
	}
	if len(names) > 30 { // CloudWatch's limit of dimensions per set
		names = names[:30]
	}
	doc["_aws"] = emfMeta{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{{
		Namespace: Namespace, Dimensions: [][]string{names}, Metrics: ms}}}
	b, err := json.Marshal(doc)
	return b, err == nil
}
