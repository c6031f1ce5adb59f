// Package s3server runs an S3-compatible server (gofakes3 with its in-memory backend) on
// 127.0.0.1 for tests, and builds aws-sdk-go-v2 clients that talk to it. Tests use the real S3
// client over real HTTP, so what they prove holds for the wire protocol, not for a mock.
package s3server

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Start runs a fresh, empty S3 server on a free 127.0.0.1 port, stopped when the test ends,
// and returns its endpoint URL.
func Start(t testing.TB) (endpoint string) {
	t.Helper()
	faker := gofakes3.New(s3mem.New())
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Client returns an S3 client for endpoint. It is built from explicit options rather than the
// shared config loader so that nothing on the machine (environment, profiles, IMDS) leaks in.
// Path-style addressing is required: the server does not resolve bucket host names.
func Client(t testing.TB, endpoint string) *s3.Client {
	t.Helper()
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// CreateBucket creates bucket name, failing the test on error.
func CreateBucket(t testing.TB, client *s3.Client, name string) {
	t.Helper()
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %q: %v", name, err)
	}
}
