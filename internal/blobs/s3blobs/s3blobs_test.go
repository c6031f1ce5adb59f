package s3blobs_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/blobstest"
	"github.com/stykovka/stykovka/internal/blobs/s3blobs"
	"github.com/stykovka/stykovka/internal/testinfra/s3server"
)

func TestConformance(t *testing.T) {
	// One server, a fresh bucket per subtest.
	endpoint := s3server.Start(t)
	client := s3server.Client(t, endpoint)
	var n atomic.Int64
	blobstest.Run(t, func(t *testing.T) blobs.Blobs {
		bucket := fmt.Sprintf("blobs-%d", n.Add(1))
		s3server.CreateBucket(t, client, bucket)
		return s3blobs.New(client, bucket)
	})
}

func TestObjectKeysAreTheBlobKeys(t *testing.T) {
	client := s3server.Client(t, s3server.Start(t))
	s3server.CreateBucket(t, client, "blobs")
	b := s3blobs.New(client, "blobs")
	const key = "t/демо/реестр №1+2.txt"
	if err := b.Put(t.Context(), key, []byte("x")); err != nil {
		t.Fatal(err)
	}
	// Other tools (the console, the CLI) see the same key.
	out, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("blobs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != key {
		t.Fatalf("bucket holds %+v, want one object %q", out.Contents, key)
	}
}

func TestMissingBucketIsNotAMissingBlob(t *testing.T) {
	b := s3blobs.New(s3server.Client(t, s3server.Start(t)), "no-such-bucket")
	_, err := b.Get(t.Context(), "t/a.txt")
	if err == nil || errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Get from a missing bucket = %v, want an error other than ErrNotFound", err)
	}
	if err := b.Move(t.Context(), "t/a.txt", "t/b.txt"); err == nil || errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Move in a missing bucket = %v, want an error other than ErrNotFound", err)
	}
}
