// Package dynalite starts dynalite, a DynamoDB-compatible server from npm, for tests.
//
// The binary is the one `npm ci --prefix infra` installs at infra/node_modules/.bin/dynalite
// (make test does it). Tables are created and deleted without delay (--createTableMs 0), and
// tests isolate themselves by table name, so one process per test binary is enough: use
// Shared in tests and call StopShared from TestMain.
//
// Pitfall: dynalite 4 crashes when many clients abandon requests in flight (contexts
// cancelled within milliseconds under load); every later call then gets "connection refused".
// Tests that inject cancellations should not pass them on to store calls against dynalite.
package dynalite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// startTimeout bounds how long a start may take, retries included.
const startTimeout = 15 * time.Second

// Start starts a dynalite of its own for t, stopped when t ends, and returns its endpoint
// (http://127.0.0.1:port).
func Start(t testing.TB) (endpoint string) {
	t.Helper()
	s, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s.endpoint
}

var shared struct {
	mu  sync.Mutex
	srv *server
	err error
}

// Shared returns the endpoint of the dynalite shared by the test binary, starting it on first
// use. The package's TestMain must call StopShared after m.Run, or the process outlives the
// tests.
func Shared(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = start()
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv.endpoint
}

// StopShared stops the shared dynalite if one was started; it is safe to call at any time.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
	}
	shared.srv, shared.err = nil, nil
}

// Client returns a DynamoDB client for endpoint with dummy static credentials and region
// us-east-1. The config is built by hand, so nothing is read from the environment and nothing
// asks AWS (no IMDS, no shared config files).
func Client(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	return newClient(endpoint)
}

func newClient(endpoint string) *dynamodb.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

type server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has been reaped
	once     sync.Once
}

// stop kills the whole process group: the .bin entry is a node script and node may fork.
func (s *server) stop() {
	s.once.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	})
}

func start() (*server, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "infra", "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("dynalite not installed: run `npm ci --prefix infra` (make test does it): %v", err)
	}
	deadline := time.Now().Add(startTimeout)
	// The free port is found by closing a listener, so another process may take it before
	// dynalite binds it; a few attempts cover that race.
	var errs []error
	for attempt := 0; attempt < 3 && time.Now().Before(deadline); attempt++ {
		s, err := startOnce(bin, deadline)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("dynalite did not start: %w", errors.Join(errs...))
}

func startOnce(bin string, deadline time.Time) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{endpoint: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(addr, deadline); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (stderr: %q)", err, stderr.String())
	}
	return s, nil
}

// waitReady waits for the port to accept connections and then for one successful request,
// since node listens a moment before dynalite's store is usable.
func (s *server) waitReady(addr string, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	client := newClient(s.endpoint)
	var last error
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("dynalite on %s exited early", addr)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			_, err = client.ListTables(ctx, &dynamodb.ListTablesInput{})
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynalite on %s not ready after %v: %v", addr, startTimeout, last)
		case <-s.exited:
			return fmt.Errorf("dynalite on %s exited early", addr)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// repoRoot walks up from the working directory (a package directory under go test) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynalite: go.mod not found above the working directory")
		}
		dir = parent
	}
}
