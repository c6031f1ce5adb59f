// Package s3blobs is the S3 adapter of the blobs port. It uses only basic object operations
// (put, get, head, list v2, copy, delete), so it also works against S3-compatible services
// such as Yandex Object Storage.
package s3blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/stykovka/stykovka/internal/blobs"
)

// S3 stores blobs as objects of one bucket, the key as the object key. It is safe for
// concurrent use.
type S3 struct {
	client *s3.Client
	bucket string
}

var _ blobs.Blobs = (*S3)(nil)

// New returns an S3 store on bucket.
func New(client *s3.Client, bucket string) *S3 {
	return &S3{client: client, bucket: bucket}
}

// isNotFound reports whether S3 says the object is absent: NoSuchKey for GET and copy, a
// bare 404 ("NotFound") for HEAD. The codes are compared rather than the SDK's types so that
// compatible services that answer only the code are understood too. A missing bucket is a
// configuration error, not a missing blob.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return code == "NoSuchKey" || code == "NotFound"
}

// Put writes data under key, replacing any blob there. S3 makes the new object visible only
// once it is complete.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if err := blobs.ValidKey(key); err != nil {
		return err
	}
	if len(data) > blobs.MaxSize {
		return fmt.Errorf("s3blobs: put %q: %w: %d bytes", key, blobs.ErrTooLarge, len(data))
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("s3blobs: put %q: %w", key, err)
	}
	return nil
}

// Get returns the blob under key, or ErrNotFound.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := blobs.ValidKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return nil, fmt.Errorf("%w: %q", blobs.ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("s3blobs: get %q: %w", key, err)
	}
	defer out.Body.Close()
	// Read one byte past the limit so that an oversized object is an error, not a huge
	// allocation.
	data, err := io.ReadAll(io.LimitReader(out.Body, blobs.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("s3blobs: get %q: %w", key, err)
	}
	if len(data) > blobs.MaxSize {
		return nil, fmt.Errorf("s3blobs: get %q: %w", key, blobs.ErrTooLarge)
	}
	return data, nil
}

// List returns the blobs whose keys start with prefix, in key order.
func (s *S3) List(ctx context.Context, prefix string) ([]blobs.Info, error) {
	var infos []blobs.Info
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3blobs: list %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			infos = append(infos, blobs.Info{
				Key:      aws.ToString(o.Key),
				Size:     aws.ToInt64(o.Size),
				Modified: aws.ToTime(o.LastModified),
			})
		}
	}
	// S3 lists in UTF-8 byte order already; sorting keeps the promise on services that differ.
	slices.SortFunc(infos, func(a, b blobs.Info) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// Move copies from to to and then deletes from; ErrNotFound when from is absent. S3 has no
// rename: until the delete, both keys exist. The copy replaces to atomically.
func (s *S3) Move(ctx context.Context, from, to string) error {
	if err := blobs.ValidKey(from); err != nil {
		return err
	}
	if err := blobs.ValidKey(to); err != nil {
		return err
	}
	if from == to {
		// S3 refuses to copy an object onto itself, and deleting afterwards would lose it.
		_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(from)})
		if isNotFound(err) {
			return fmt.Errorf("%w: %q", blobs.ErrNotFound, from)
		}
		if err != nil {
			return fmt.Errorf("s3blobs: move %q: %w", from, err)
		}
		return nil
	}
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:     aws.String(s.bucket),
		Key:        aws.String(to),
		CopySource: aws.String(copySource(s.bucket, from)),
	})
	if isNotFound(err) {
		return fmt.Errorf("%w: %q", blobs.ErrNotFound, from)
	}
	if err != nil {
		return fmt.Errorf("s3blobs: move %q to %q: copy: %w", from, to, err)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(from)}); err != nil {
		return fmt.Errorf("s3blobs: move %q to %q: delete source: %w", from, to, err)
	}
	return nil
}

// copySource is the x-amz-copy-source header value, "bucket/key" URL-encoded. The SDK sends
// it as given. Each segment is path-escaped (Cyrillic, spaces, "%", "?", "#"), and "+" is
// escaped too, since servers decode the header with form rules where "+" means a space.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(seg), "+", "%2B")
	}
	return url.PathEscape(bucket) + "/" + strings.Join(segs, "/")
}

// Delete removes the blob under key; an absent blob is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := blobs.ValidKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("s3blobs: delete %q: %w", key, err)
	}
	return nil
}
