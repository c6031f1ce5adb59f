package xsd

import (
	"encoding/base64"
	"fmt"
)

// Base64Binary is an xs:base64Binary. gowsdl generates []byte for it, which encoding/xml
// fills with the base64 text itself, undecoded; this type decodes and encodes it.
type Base64Binary []byte

// MarshalText returns the standard base64 encoding of b.
func (b Base64Binary) MarshalText() ([]byte, error) {
	return base64.StdEncoding.AppendEncode(nil, b), nil
}

// UnmarshalText decodes standard base64, ignoring XML whitespace (long values are often
// wrapped into lines).
func (b *Base64Binary) UnmarshalText(text []byte) error {
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	out, err := base64.StdEncoding.AppendDecode(nil, clean)
	if err != nil {
		return fmt.Errorf("xsd: not an xs:base64Binary: %w", err)
	}
	*b = out
	return nil
}
