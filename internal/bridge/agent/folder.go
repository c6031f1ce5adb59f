package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// poll takes the reader's result files from the watched folder every PollInterval. A file is
// taken once it has not changed for Settle (the reader software may still be writing it);
// files go in the order they were written. Queued (or already known) files move to done/,
// broken ones to rejected/ beside a .reason.txt. A file is moved only after its read is in
// the queue, so a crash in between leaves it to be taken again — and then recognised by its
// TransactionID.
func (a *Agent) poll(ctx context.Context) {
	for {
		a.scan(ctx)
		if !sleep(ctx, a.cfg.PollInterval.Duration) {
			return
		}
	}
}

type candidate struct {
	name string
	mod  time.Time
}

func (a *Agent) scan(ctx context.Context) {
	entries, err := os.ReadDir(a.cfg.WatchDir)
	if err != nil {
		a.log.Error("watch folder unreadable", "err", err)
		return
	}
	var files []candidate
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.EqualFold(filepath.Ext(name), ".json") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if time.Since(info.ModTime()) < a.cfg.Settle.Duration {
			continue // still being written, perhaps
		}
		files = append(files, candidate{name, info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].name < files[j].name
	})
	for _, f := range files {
		if ctx.Err() != nil {
			return
		}
		a.take(f.name)
	}
}

func (a *Agent) take(name string) {
	path := filepath.Join(a.cfg.WatchDir, name)
	f, err := os.Open(path)
	if err != nil {
		a.log.Warn("result file unreadable", "err", pathless(err))
		return
	}
	res, err := a.Ingest(f, "folder", Guest{})
	f.Close()
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		a.st.event("file:"+name, "folder", "", "rejected", "", rej.Code+": "+rej.Message, nil)
		a.log.Warn("result file rejected", "code", rej.Code)
		reason := fmt.Sprintf("%s\n%s\n%s\n", time.Now().Format(time.RFC3339), rej.Code, rej.Message)
		if err := moveAside(path, filepath.Join(a.cfg.WatchDir, "rejected"), name, []byte(reason)); err != nil {
			a.log.Error("result file not moved", "err", pathless(err))
		}
	case err != nil:
		a.log.Error("result file not queued, will retry", "err", pathless(err))
	default:
		if err := moveAside(path, filepath.Join(a.cfg.WatchDir, "done"), name, nil); err != nil {
			a.log.Error("result file not moved", "tx", res.TransactionID, "err", pathless(err))
		}
	}
}

// moveAside moves path into dir (a name taken there gets a numeric suffix), writing reason
// beside it first when given.
func moveAside(path, dir, name string, reason []byte) error {
	target := filepath.Join(dir, name)
	ext := filepath.Ext(name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
			break
		}
		target = filepath.Join(dir, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(name, ext), i, ext))
	}
	if reason != nil {
		if err := os.WriteFile(target+".reason.txt", reason, 0o600); err != nil {
			return err
		}
	}
	if err := os.Rename(path, target); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// pathless drops the file name from a file error: the reader software may name result files
// after the guest, and logs carry no personal data.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}
