// Package app builds the hub's dependencies: on the embedded adapters for the local binary,
// and on the AWS adapters (from environment variables, without network calls) for Lambda.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

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
	// Adapters names the adapters ("local": bbolt, a folder, a key file; "aws": DynamoDB, S3
	// and KMS or their compatible services). Not to be confused with Deployment.Profile.
	Adapters string
	// Deployment is where the hub runs and whether it may keep personal data there (see
	// profile.go); the zero value (hand-built Deps) is an unknown profile.
	Deployment Deployment
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
	return &Deps{Store: st, Blobs: bl, Sealer: se, Clock: clk, Log: log, Adapters: "local",
		Deployment: Deployment{Profile: ProfileOnPrem, PersonalData: true}}, nil
}

// Environment variables read by FromEnv.
//
// Endpoints, region and credentials of the AWS services are the SDK's own settings, read by
// config.LoadDefaultConfig: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_KMS
// (or AWS_ENDPOINT_URL for all), AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and
// for S3-compatible services that refuse the SDK's default checksums
// AWS_REQUEST_CHECKSUM_CALCULATION=when_required and AWS_RESPONSE_CHECKSUM_VALIDATION=when_required.
// So DynamoDB-, S3- and KMS-compatible services of another cloud (a Russian region) work
// without code changes; the hub uses no SQS or Scheduler client (those are wired by the
// deployment template only).
const (
	EnvTable  = "STYKOVKA_TABLE"
	EnvBucket = "STYKOVKA_BUCKET"
	EnvKMSKey = "STYKOVKA_KMS_KEY_ID"
	// EnvS3PathStyle = "true" selects path-style S3 addressing (compatible services, tests).
	EnvS3PathStyle = "STYKOVKA_S3_PATH_STYLE"
	// EnvSealer chooses the sealer: "kms" (the default; KMS or a KMS-API-compatible service,
	// key EnvKMSKey) or "local" (AES-256-GCM under the key file EnvSealKeyFile), for clouds
	// whose key service does not speak the KMS API.
	EnvSealer      = "STYKOVKA_SEALER"
	EnvSealKeyFile = "STYKOVKA_SEAL_KEY_FILE"
)

// FromEnv builds the AWS dependencies from the environment. It makes no network calls, so a
// Lambda's init stays fast and works without credentials until the first request.
func FromEnv(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Deps, error) {
	return FromEnvWithClock(ctx, getenv, log, clock.Real{})
}

// FromEnvWithClock is FromEnv on a given clock, which decides the store's expiry: the local
// binary on a compatible cloud passes its (possibly scaled) clock, tests a fake one.
func FromEnvWithClock(ctx context.Context, getenv func(string) string, log *slog.Logger, clk clock.Clock) (*Deps, error) {
	dep, err := DeploymentFromEnv(getenv, ProfileAWS)
	if err != nil {
		return nil, err
	}
	sealerKind := getenv(EnvSealer)
	if sealerKind == "" {
		sealerKind = "kms"
	}
	need := map[string]string{EnvTable: getenv(EnvTable), EnvBucket: getenv(EnvBucket)}
	switch sealerKind {
	case "kms":
		need[EnvKMSKey] = getenv(EnvKMSKey)
	case "local":
		need[EnvSealKeyFile] = getenv(EnvSealKeyFile)
	default:
		return nil, fmt.Errorf("%s=%q: want kms or local", EnvSealer, sealerKind)
	}
	var missing []string
	for name, v := range need {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("missing environment variables: %v", missing)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	var se sealer.Sealer
	if sealerKind == "kms" {
		se = kmssealer.New(kms.NewFromConfig(cfg), need[EnvKMSKey])
	} else {
		// Never create the key here: every instance would make its own and could not open
		// what the others sealed. The key is provisioned once (a secret store) and kept.
		path := need[EnvSealKeyFile]
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: key file %s does not exist (32 random bytes, mode 0600)", EnvSealKeyFile, path)
		}
		if se, err = localsealer.Open(path); err != nil {
			return nil, fmt.Errorf("sealer: %w", err)
		}
	}
	pathStyle := getenv(EnvS3PathStyle) == "true"
	return &Deps{
		Store: dynamostore.New(dynamodb.NewFromConfig(cfg), need[EnvTable], clk),
		Blobs: s3blobs.New(s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Compatible services (and the tests' S3 server) need path-style addressing.
			o.UsePathStyle = pathStyle
		}), need[EnvBucket]),
		Sealer:     se,
		Clock:      clk,
		Log:        log,
		Adapters:   "aws",
		Deployment: dep,
	}, nil
}
