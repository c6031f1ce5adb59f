package kmsserver_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/stykovka/stykovka/internal/testinfra/kmsserver"
)

func TestWithTheSDKClient(t *testing.T) {
	endpoint, srv := kmsserver.Start(t)
	client := kmsserver.Client(t, endpoint)
	ctx := t.Context()
	key := srv.CreateKey()
	other := srv.CreateKey()
	ec := map[string]string{"tenant": "demo"}

	gen, err := client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(key), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Plaintext) != 32 || len(gen.CiphertextBlob) == 0 || aws.ToString(gen.KeyId) == "" {
		t.Fatalf("GenerateDataKey = %d-byte key, %d-byte blob, key id %q", len(gen.Plaintext), len(gen.CiphertextBlob), aws.ToString(gen.KeyId))
	}

	// By key id and by the ARN that GenerateDataKey answered, and without a key id.
	for _, keyID := range []*string{aws.String(key), gen.KeyId, nil} {
		dec, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob, EncryptionContext: ec, KeyId: keyID})
		if err != nil {
			t.Fatalf("Decrypt with key id %v: %v", aws.ToString(keyID), err)
		}
		if !bytes.Equal(dec.Plaintext, gen.Plaintext) {
			t.Fatal("Decrypt returned another data key")
		}
	}

	enc, err := client.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(other), Plaintext: []byte("секрет"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || string(dec.Plaintext) != "секрет" {
		t.Fatalf("Encrypt/Decrypt = %q, %v", dec.Plaintext, err)
	}

	if got := srv.GenerateDataKeyCalls.Load(); got != 1 {
		t.Errorf("GenerateDataKeyCalls = %d, want 1", got)
	}
	if got := srv.EncryptCalls.Load(); got != 1 {
		t.Errorf("EncryptCalls = %d, want 1", got)
	}
	if got := srv.DecryptCalls.Load(); got != 4 {
		t.Errorf("DecryptCalls = %d, want 4", got)
	}
}

func TestErrorsAreTheSDKTypes(t *testing.T) {
	endpoint, srv := kmsserver.Start(t)
	client := kmsserver.Client(t, endpoint)
	ctx := t.Context()
	key := srv.CreateKey()
	other := srv.CreateKey()
	ec := map[string]string{"tenant": "demo"}
	gen, err := client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(key), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(gen.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1

	decrypt := func(blob []byte, ec map[string]string, keyID *string) error {
		_, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, KeyId: keyID})
		return err
	}
	var invalid *types.InvalidCiphertextException
	for name, err := range map[string]error{
		"another context": decrypt(gen.CiphertextBlob, map[string]string{"tenant": "other"}, nil),
		"no context":      decrypt(gen.CiphertextBlob, nil, nil),
		"tampered":        decrypt(tampered, ec, nil),
		"garbage":         decrypt([]byte("not a ciphertext"), ec, nil),
	} {
		if !errors.As(err, &invalid) {
			t.Errorf("Decrypt with %s = %v, want InvalidCiphertextException", name, err)
		}
	}
	var incorrect *types.IncorrectKeyException
	if err := decrypt(gen.CiphertextBlob, ec, aws.String(other)); !errors.As(err, &incorrect) {
		t.Errorf("Decrypt naming another key = %v, want IncorrectKeyException", err)
	}

	var notFound *types.NotFoundException
	_, err = client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("no-such-key"), KeySpec: types.DataKeySpecAes256})
	if !errors.As(err, &notFound) {
		t.Errorf("GenerateDataKey with an unknown key = %v, want NotFoundException", err)
	}

	srv.DisableKey(key)
	var disabled *types.DisabledException
	if err := decrypt(gen.CiphertextBlob, ec, nil); !errors.As(err, &disabled) {
		t.Errorf("Decrypt with a disabled key = %v, want DisabledException", err)
	}
	_, err = client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(key), KeySpec: types.DataKeySpecAes256})
	if !errors.As(err, &disabled) {
		t.Errorf("GenerateDataKey with a disabled key = %v, want DisabledException", err)
	}
}
