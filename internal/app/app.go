// Package app builds the hub's dependencies: on the embedded adapters for the local binary,
// and on the AWS adapters (from environment variables, without network calls) for Lambda.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/blobs/s3blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/sealer/kmssealer"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
)

// Deps are the ports every job is built from.
type Deps struct {
	Store  store.Store
	Blobs  blobs.Blobs
	Sealer sealer.Sealer
	Clock  clock.Clock
	Log    *slog.Logger
	// Profile names where this runs ("local", "aws"); shown at start.
	Profile string
}

// Close releases the store.
func (d *Deps) Close() error { return d.Store.Close() }

// Local builds the embedded dependencies under dataDir: the bbolt file, the blob folder and
// the sealing key file (created on first run, mode 0600).
func Local(dataDir string, log *slog.Logger) (*Deps, error) {
	return LocalWithClock(dataDir, log, clock.Real{})
}

// LocalWithClock is Local on a given clock: a demo runs on a faster one (clock.Scaled) so that
// SEP's 60-second waits pass quickly, and the store's expiry follows the same time.
func LocalWithClock(dataDir string, log *slog.Logger, clk clock.Clock) (*Deps, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	st, err := boltstore.Open(filepath.Join(dataDir, "stykovka.db"), clk)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	bl, err := folderblobs.New(filepath.Join(dataDir, "blobs"))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("blobs: %w", err)
	}
	se, err := localsealer.Open(filepath.Join(dataDir, "keys", "seal.key"))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &Deps{Store: st, Blobs: bl, Sealer: se, Clock: clk, Log: log, Profile: "local"}, nil
}

// Environment variables read by FromEnv. Endpoints of the AWS services follow the SDK's own
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, so DynamoDB-, S3- and
// KMS-compatible services of another cloud work without code changes.
const (
	EnvTable  = "STYKOVKA_TABLE"
	EnvBucket = "STYKOVKA_BUCKET"
	EnvKMSKey = "STYKOVKA_KMS_KEY_ID"
	// EnvS3PathStyle = "true" selects path-style S3 addressing (compatible services, tests).
	EnvS3PathStyle = "STYKOVKA_S3_PATH_STYLE"
)

// FromEnv builds the AWS dependencies from the environment. It makes no network calls, so a
// Lambda's init stays fast and works without credentials until the first request.
func FromEnv(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Deps, error) {
	var missing []string
	table, bucket, keyID := getenv(EnvTable), getenv(EnvBucket), getenv(EnvKMSKey)
	for name, v := range map[string]string{EnvTable: table, EnvBucket: bucket, EnvKMSKey: keyID} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %v", missing)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	pathStyle := getenv(EnvS3PathStyle) == "true"
	return awsDeps(cfg, table, bucket, keyID, pathStyle, log), nil
}

func awsDeps(cfg aws.Config, table, bucket, keyID string, pathStyle bool, log *slog.Logger) *Deps {
	clk := clock.Real{}
	return &Deps{
		Store: dynamostore.New(dynamodb.NewFromConfig(cfg), table, clk),
		Blobs: s3blobs.New(s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Compatible services (and the tests' S3 server) need path-style addressing.
			o.UsePathStyle = pathStyle
		}), bucket),
		Sealer:  kmssealer.New(kms.NewFromConfig(cfg), keyID),
		Clock:   clk,
		Log:     log,
		Profile: "aws",
	}
}
