package dynalite

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func TestStartAnswersAndStopsOnCleanup(t *testing.T) {
	var endpoint string
	t.Run("own", func(t *testing.T) {
		endpoint = Start(t)
		if _, err := Client(t, endpoint).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("ListTables: %v", err)
		}
	})
	// The subtest's cleanup has run: the process group is gone, so the port is closed.
	conn, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://"))
	if err == nil {
		conn.Close()
		t.Fatalf("dynalite at %s still accepts connections after cleanup", endpoint)
	}
}

func TestSharedIsStartedOnce(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	if a != b {
		t.Fatalf("Shared returned %s then %s", a, b)
	}
	if _, err := Client(t, a).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables: %v", err)
	}
}

func TestRepoRootHasInfra(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/infra/package.json"); err != nil {
		t.Fatalf("repo root %s: %v", root, err)
	}
}
