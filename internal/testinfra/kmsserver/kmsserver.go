// Package kmsserver is a small AWS KMS-compatible server for tests.
//
// Why it exists: the KMS adapter must be tested through the real aws-sdk-go-v2 KMS client over
// real HTTP, and no KMS emulator is reachable from the build machines (local-kms is not on the
// Go module proxy, moto is not packaged in Debian). So this package speaks the part of the KMS
// wire protocol the hub uses — AWS JSON 1.1 on POST /, with X-Amz-Target
// TrentService.GenerateDataKey, TrentService.Decrypt and TrentService.Encrypt — with real
// cryptography: each key is an AES-256-GCM master key, and the encryption context is bound as
// associated data, so a ciphertext decrypts only with the same key and the same context, as in
// KMS. Errors come back in AWS's JSON error shape (HTTP 400, {"__type": ..., "message": ...}),
// so the SDK turns them into its typed errors (types.InvalidCiphertextException, ...).
//
// It counts calls per operation, so tests can prove that a cache saves KMS calls. It checks
// that requests are signed but does not verify signatures, and it has no aliases, grants or
// policies.
package kmsserver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

const (
	region    = "us-east-1"
	account   = "111122223333"
	arnPrefix = "arn:aws:kms:" + region + ":" + account + ":key/"

	blobVersion = 1
)

// Server is a KMS-compatible HTTP handler. It is safe for concurrent use.
type Server struct {
	// Calls per operation, counted when a request for it arrives (also when it fails).
	GenerateDataKeyCalls atomic.Int64
	DecryptCalls         atomic.Int64
	EncryptCalls         atomic.Int64

	mu   sync.Mutex
	keys map[string]*masterKey // by key id
}

type masterKey struct {
	aead    cipher.AEAD
	enabled bool
}

// New returns a server with no keys.
func New() *Server {
	return &Server{keys: make(map[string]*masterKey)}
}

// Start runs a new server on a free 127.0.0.1 port, stopped when the test ends.
func Start(t testing.TB) (endpoint string, srv *Server) {
	t.Helper()
	srv = New()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL, srv
}

// Client returns a KMS client for endpoint with static credentials, built from explicit
// options so that nothing on the machine (environment, profiles, IMDS) leaks in.
func Client(t testing.TB, endpoint string) *kms.Client {
	t.Helper()
	return kms.New(kms.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// CreateKey creates an enabled symmetric key and returns its key id. Requests may name it by
// the id or by its ARN.
func (s *Server) CreateKey() string {
	var raw [16]byte
	rand.Read(raw[:])
	h := hex.EncodeToString(raw[:])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]

	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key cannot be refused
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.keys[id] = &masterKey{aead: aead, enabled: true}
	s.mu.Unlock()
	return id
}

// DisableKey disables a key: requests that use it fail with DisabledException, as in KMS.
func (s *Server) DisableKey(id string) {
	s.mu.Lock()
	if k := s.keys[id]; k != nil {
		k.enabled = false
	}
	s.mu.Unlock()
}

// request holds the fields of the three operations; []byte fields travel base64-encoded, as
// encoding/json does by default.
type request struct {
	KeyId             string
	KeySpec           string
	NumberOfBytes     *int
	EncryptionContext map[string]string
	Plaintext         []byte
	CiphertextBlob    []byte
}

type response struct {
	KeyId               string `json:",omitempty"`
	CiphertextBlob      []byte `json:",omitempty"`
	Plaintext           []byte `json:",omitempty"`
	EncryptionAlgorithm string `json:",omitempty"`
}

// apiError is an error in AWS's JSON shape.
type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func fail(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one KMS API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := s.handle(r)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(err)
		return
	}
	json.NewEncoder(w).Encode(resp)
}

func (s *Server) handle(r *http.Request) (*response, *apiError) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, fail("UnknownOperationException", "%s %s", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return nil, fail("SerializationException", "unexpected Content-Type %q", ct)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, fail("MissingAuthenticationTokenException", "request is not signed")
	}
	var req request
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		return nil, fail("SerializationException", "cannot decode request: %v", err)
	}
	switch op := r.Header.Get("X-Amz-Target"); op {
	case "TrentService.GenerateDataKey":
		s.GenerateDataKeyCalls.Add(1)
		return s.generateDataKey(&req)
	case "TrentService.Decrypt":
		s.DecryptCalls.Add(1)
		return s.decrypt(&req)
	case "TrentService.Encrypt":
		s.EncryptCalls.Add(1)
		return s.encrypt(&req)
	default:
		return nil, fail("UnknownOperationException", "operation %q is not supported", op)
	}
}

// key resolves a key id or key ARN to an enabled key.
func (s *Server) key(ref string) (string, cipher.AEAD, *apiError) {
	id := strings.TrimPrefix(ref, arnPrefix)
	s.mu.Lock()
	k := s.keys[id]
	s.mu.Unlock()
	switch {
	case ref == "":
		return "", nil, fail("ValidationException", "KeyId is required")
	case k == nil:
		return "", nil, fail("NotFoundException", "Key '%s' does not exist", ref)
	case !k.enabled:
		return "", nil, fail("DisabledException", "%s%s is disabled.", arnPrefix, id)
	}
	return id, k.aead, nil
}

func (s *Server) generateDataKey(req *request) (*response, *apiError) {
	id, aead, err := s.key(req.KeyId)
	if err != nil {
		return nil, err
	}
	var n int
	switch {
	case req.KeySpec != "" && req.NumberOfBytes != nil:
		return nil, fail("ValidationException", "KeySpec and NumberOfBytes are mutually exclusive")
	case req.KeySpec == "AES_256":
		n = 32
	case req.KeySpec == "AES_128":
		n = 16
	case req.KeySpec != "":
		return nil, fail("ValidationException", "KeySpec %q is not valid", req.KeySpec)
	case req.NumberOfBytes != nil && *req.NumberOfBytes >= 1 && *req.NumberOfBytes <= 1024:
		n = *req.NumberOfBytes
	default:
		return nil, fail("ValidationException", "KeySpec or NumberOfBytes (1..1024) is required")
	}
	plaintext := make([]byte, n)
	rand.Read(plaintext)
	return &response{
		KeyId:          arnPrefix + id,
		CiphertextBlob: seal(id, aead, plaintext, req.EncryptionContext),
		Plaintext:      plaintext,
	}, nil
}

func (s *Server) encrypt(req *request) (*response, *apiError) {
	id, aead, err := s.key(req.KeyId)
	if err != nil {
		return nil, err
	}
	if len(req.Plaintext) < 1 || len(req.Plaintext) > 4096 {
		return nil, fail("ValidationException", "Plaintext must be 1 to 4096 bytes")
	}
	return &response{
		KeyId:               arnPrefix + id,
		CiphertextBlob:      seal(id, aead, req.Plaintext, req.EncryptionContext),
		EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
	}, nil
}

func (s *Server) decrypt(req *request) (*response, *apiError) {
	// The blob names its key; a blob that names no key we hold is not a ciphertext of ours.
	id, sealed, ok := parseBlob(req.CiphertextBlob)
	if !ok {
		return nil, fail("InvalidCiphertextException", "")
	}
	s.mu.Lock()
	_, known := s.keys[id]
	s.mu.Unlock()
	if !known {
		return nil, fail("InvalidCiphertextException", "")
	}
	if req.KeyId != "" && strings.TrimPrefix(req.KeyId, arnPrefix) != id {
		return nil, fail("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
	}
	_, aead, err := s.key(id)
	if err != nil {
		return nil, err
	}
	plaintext, openErr := aead.Open(nil, nil, sealed, associatedData(id, req.EncryptionContext))
	if openErr != nil {
		return nil, fail("InvalidCiphertextException", "")
	}
	return &response{KeyId: arnPrefix + id, Plaintext: plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil
}

// A ciphertext blob is: version byte, key id length byte, key id, nonce and AES-GCM output.
func seal(id string, aead cipher.AEAD, plaintext []byte, ctx map[string]string) []byte {
	out := append([]byte{blobVersion, byte(len(id))}, id...)
	return aead.Seal(out, nil, plaintext, associatedData(id, ctx))
}

func parseBlob(blob []byte) (id string, sealed []byte, ok bool) {
	if len(blob) < 2 || blob[0] != blobVersion || len(blob) < 2+int(blob[1]) {
		return "", nil, false
	}
	return string(blob[2 : 2+blob[1]]), blob[2+blob[1]:], true
}

// associatedData binds the key id and the encryption context, in a canonical form: pairs
// sorted by key, every string length-prefixed, so that no two contexts encode alike.
func associatedData(id string, ctx map[string]string) []byte {
	ad := []byte("kmsserver/v1")
	ad = appendString(ad, id)
	for _, k := range slices.Sorted(maps.Keys(ctx)) {
		ad = appendString(appendString(ad, k), ctx[k])
	}
	return ad
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
