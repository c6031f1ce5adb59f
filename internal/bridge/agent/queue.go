package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Queue is the durable queue of reads: one file per read in <dir>/queue, named by a sequence
// number, holding the upload body; delivered.log lists the TransactionIDs the hub has taken.
//
// Why files and not an embedded database: a front desk queues a handful of reads at a time;
// one file per read is written once (temporary name, fsync, rename, fsync of the folder) and
// removed once, so "acknowledged" means exactly "this file exists", survives kill -9 at any
// instruction, needs no compaction, no locking between processes and no memory map (the
// bridge stays small), and a hotel's IT person can see and copy what is waiting.
type Queue struct {
	dir, queueDir, rejectDir, logPath string

	mu        sync.Mutex
	seqs      []uint64          // pending, ascending
	pending   map[string]uint64 // TransactionID → seq
	txOf      map[uint64]string
	delivered map[string]bool
	order     []string // delivered, oldest first (for compaction)
	next      uint64
	wake      chan struct{}
}

// Entry is a queued read.
type Entry struct {
	Seq  uint64
	TxID string
	Body []byte // the upload body (unsigned)
}

// keepDelivered bounds delivered.log: enough for weeks of a front desk's reads, beyond any
// retry of the reader software.
const keepDelivered = 20000

// OpenQueue opens (creating) the queue in dir and recovers from a crash: temporary files of
// unfinished writes are removed (they were never acknowledged), reads whose TransactionID the
// log lists are removed (the hub took them), and a torn last log line is ignored.
func OpenQueue(dir string) (*Queue, error) {
	q := &Queue{dir: dir, queueDir: filepath.Join(dir, "queue"), rejectDir: filepath.Join(dir, "rejected"),
		logPath: filepath.Join(dir, "delivered.log"), pending: map[string]uint64{}, txOf: map[uint64]string{},
		delivered: map[string]bool{}, next: 1, wake: make(chan struct{}, 1)}
	for _, d := range []string{dir, q.queueDir, q.rejectDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Temporary files of interrupted log compactions.
	if stale, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(stale) > 0 {
		for _, p := range stale {
			_ = os.Remove(p)
		}
	}
	if err := q.loadLog(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(q.queueDir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(q.queueDir, name)
		if strings.HasPrefix(name, ".tmp-") {
			if err := os.Remove(path); err != nil {
				return nil, err
			}
			continue
		}
		seq, ok := seqOf(name)
		if !ok {
			continue
		}
		tx, err := txOfFile(path)
		if err != nil {
			// A queued file is written whole before it gets its name: this is not ours.
			return nil, fmt.Errorf("очередь: файл %s повреждён: %w", name, err)
		}
		if q.delivered[tx] || q.pending[tx] != 0 {
			if err := os.Remove(path); err != nil {
				return nil, err
			}
			continue
		}
		q.pending[tx], q.txOf[seq] = seq, tx
		q.seqs = append(q.seqs, seq)
		if seq >= q.next {
			q.next = seq + 1
		}
	}
	sort.Slice(q.seqs, func(i, j int) bool { return q.seqs[i] < q.seqs[j] })
	if err := syncDir(q.queueDir); err != nil {
		return nil, err
	}
	return q, nil
}

func seqOf(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok || len(base) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	return n, err == nil && n > 0
}

func fileName(seq uint64) string { return fmt.Sprintf("%020d.json", seq) }

func txOfFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var u struct {
		TransactionID string `json:"transactionId"`
	}
	if err := json.Unmarshal(b, &u); err != nil || u.TransactionID == "" {
		return "", errors.New("нет transactionId")
	}
	return u.TransactionID, nil
}

func (q *Queue) loadLog() error {
	b, err := os.ReadFile(q.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	complete := b
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		complete = b[:i+1] // a torn last line: its append was never fsynced, so never relied on
	}
	sc := bufio.NewScanner(bytes.NewReader(complete))
	sc.Buffer(make([]byte, 0, 4096), 4096)
	for sc.Scan() {
		if tx := strings.TrimSpace(sc.Text()); tx != "" && !q.delivered[tx] {
			q.delivered[tx] = true
			q.order = append(q.order, tx)
		}
	}
	if len(complete) != len(b) || len(q.order) > keepDelivered {
		return q.compact()
	}
	return nil
}

// compact rewrites delivered.log with its last keepDelivered ids (temporary file, fsync,
// rename, fsync of the folder).
func (q *Queue) compact() error {
	if len(q.order) > keepDelivered {
		for _, tx := range q.order[:len(q.order)-keepDelivered] {
			delete(q.delivered, tx)
		}
		q.order = append([]string(nil), q.order[len(q.order)-keepDelivered:]...)
	}
	var b bytes.Buffer
	for _, tx := range q.order {
		b.WriteString(tx)
		b.WriteByte('\n')
	}
	return writeFileSync(q.logPath, b.Bytes())
}

// Add queues a read durably. It returns dup when the TransactionID is already queued or was
// delivered (the read is then acknowledged without a second copy).
func (q *Queue) Add(txID string, body []byte) (seq uint64, dup bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s := q.pending[txID]; s != 0 {
		return s, true, nil
	}
	if q.delivered[txID] {
		return 0, true, nil
	}
	seq = q.next
	if err := writeFileSync(filepath.Join(q.queueDir, fileName(seq)), body); err != nil {
		return 0, false, err
	}
	q.next++
	q.pending[txID], q.txOf[seq] = seq, txID
	q.seqs = append(q.seqs, seq)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return seq, false, nil
}

// Head returns the oldest queued read.
func (q *Queue) Head() (Entry, bool, error) {
	q.mu.Lock()
	if len(q.seqs) == 0 {
		q.mu.Unlock()
		return Entry{}, false, nil
	}
	seq := q.seqs[0]
	tx := q.txOf[seq]
	q.mu.Unlock()
	body, err := os.ReadFile(filepath.Join(q.queueDir, fileName(seq)))
	if err != nil {
		return Entry{}, false, err
	}
	return Entry{Seq: seq, TxID: tx, Body: body}, true, nil
}

// Wake is signalled when a read is added.
func (q *Queue) Wake() <-chan struct{} { return q.wake }

// Len is the number of queued reads.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.seqs)
}

// Delivered marks the head delivered: its id is appended to delivered.log and fsynced, then
// its file is removed.
func (q *Queue) Delivered(e Entry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	f, err := os.OpenFile(q.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(e.TxID + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	q.delivered[e.TxID] = true
	q.order = append(q.order, e.TxID)
	q.drop(e)
	if err := os.Remove(filepath.Join(q.queueDir, fileName(e.Seq))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(q.order) > keepDelivered+keepDelivered/10 {
		if err := q.compact(); err != nil {
			return err
		}
	}
	return syncDir(q.queueDir)
}

// Rejected moves the head to rejected/ with a reason file: the hub refused it for good. Its
// TransactionID is not remembered, so a corrected read with the same id can be queued again.
func (q *Queue) Rejected(e Entry, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	base := fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102T150405"), safeName(e.TxID))
	if err := writeFileSync(filepath.Join(q.rejectDir, base+".reason.txt"), []byte(reason+"\n")); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(q.queueDir, fileName(e.Seq)), filepath.Join(q.rejectDir, base+".json")); err != nil {
		return err
	}
	q.drop(e)
	if err := syncDir(q.rejectDir); err != nil {
		return err
	}
	return syncDir(q.queueDir)
}

func (q *Queue) drop(e Entry) {
	delete(q.pending, e.TxID)
	delete(q.txOf, e.Seq)
	if len(q.seqs) > 0 && q.seqs[0] == e.Seq {
		q.seqs = q.seqs[1:]
	}
}

// safeName keeps a transaction id usable as a file name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	return b.String()
}

// writeFileSync writes path atomically and durably: a temporary file in the same folder,
// fsync, rename, fsync of the folder.
func writeFileSync(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes a folder's entries (created, renamed, removed files) durable. Windows has no
// folder fsync; NTFS journals the rename itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
