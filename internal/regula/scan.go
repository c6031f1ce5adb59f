package regula

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// scanner reads JSON from a stream byte by byte through a small buffer: it can skip a value of
// any size without holding it (a page image is megabytes of one string) and capture a bounded
// one as raw bytes. It checks the structure it walks (strings, nesting, separators); what it
// captures is checked again by encoding/json.
type scanner struct {
	r *bufio.Reader
}

var errSyntax = fmt.Errorf("%w: malformed JSON", ErrInvalid)

func newScanner(r io.Reader) *scanner { return &scanner{r: bufio.NewReaderSize(r, 32<<10)} }

func (s *scanner) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if errors.Is(err, io.EOF) {
		return 0, errSyntax
	}
	return c, err
}

// peek returns the next byte that is not white space, without consuming it.
func (s *scanner) peek() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if err := s.r.UnreadByte(); err != nil {
			return 0, err
		}
		return c, nil
	}
}

// expect consumes the next non-space byte, which must be c.
func (s *scanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errSyntax
		}
		return err
	}
	if got != c {
		return fmt.Errorf("%w: %q expected", ErrInvalid, string(c))
	}
	_, err = s.r.ReadByte()
	return err
}

// more reports whether the object or array being read has another member, consuming the
// comma before it; first is true for the first member.
func (s *scanner) more(first bool, end byte) (bool, error) {
	c, err := s.peek()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return false, errSyntax
		}
		return false, err
	}
	if c == end {
		return false, nil
	}
	if first {
		return true, nil
	}
	if c != ',' {
		return false, fmt.Errorf("%w: ',' expected", ErrInvalid)
	}
	_, err = s.r.ReadByte()
	return true, err
}

// key reads an object member's name and the colon after it.
func (s *scanner) key() (string, error) {
	raw, _, err := s.value(MaxResultSize, nil)
	if err != nil {
		return "", err
	}
	var k string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &k) != nil {
		return "", fmt.Errorf("%w: object key expected", ErrInvalid)
	}
	return k, s.expect(':')
}

// capture reads one value and returns its raw bytes; a value longer than limit is refused.
func (s *scanner) capture(limit int) (json.RawMessage, error) {
	var b bytes.Buffer
	raw, over, err := s.value(limit, &b)
	if err != nil {
		return nil, err
	}
	if over {
		return nil, ErrTooLarge
	}
	return raw, nil
}

// captureOrSkip reads one value, returning its raw bytes if it fits limit, nil otherwise.
func (s *scanner) captureOrSkip(limit int) (json.RawMessage, error) {
	var b bytes.Buffer
	raw, over, err := s.value(limit, &b)
	if err != nil || over {
		return nil, err
	}
	return raw, nil
}

// skip reads one value without keeping it.
func (s *scanner) skip() error {
	_, _, err := s.value(0, nil)
	return err
}

// value reads one JSON value (white space outside strings is dropped). It keeps the value's
// bytes in buf — or, without buf, in a buffer of its own when limit > 0 — while they fit
// limit; over reports a value that did not (its bytes are then dropped, the value is still
// read to its end). With limit 0 and no buf nothing is kept.
func (s *scanner) value(limit int, buf *bytes.Buffer) (raw []byte, over bool, err error) {
	c, err := s.peek()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, false, errSyntax
		}
		return nil, false, err
	}
	var keep *bytes.Buffer
	if buf != nil {
		keep = buf
	} else if limit > 0 {
		keep = &bytes.Buffer{}
	}
	put := func(c byte) {
		if keep == nil || over {
			return
		}
		if keep.Len() >= limit {
			over = true
			keep.Reset()
			return
		}
		keep.WriteByte(c)
	}
	var stack []byte // open '{' or '['
	for {
		c, err = s.readByte()
		if err != nil {
			return nil, false, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			if len(stack) >= 512 {
				return nil, false, fmt.Errorf("%w: nested too deep", ErrInvalid)
			}
			stack = append(stack, c)
			put(c)
		case '}', ']':
			if len(stack) == 0 || (c == '}') != (stack[len(stack)-1] == '{') {
				return nil, false, errSyntax
			}
			stack = stack[:len(stack)-1]
			put(c)
		case ',', ':':
			if len(stack) == 0 {
				return nil, false, errSyntax
			}
			put(c)
		case '"':
			put(c)
			if err := s.str(put); err != nil {
				return nil, false, err
			}
		default:
			if !(c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n') {
				return nil, false, errSyntax
			}
			put(c)
			for {
				d, err := s.r.ReadByte()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, false, err
				}
				if d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d == '.' || d == '-' || d == '+' || d >= 'A' && d <= 'Z' {
					put(d)
					continue
				}
				if err := s.r.UnreadByte(); err != nil {
					return nil, false, err
				}
				break
			}
		}
		if len(stack) == 0 {
			if keep == nil || over {
				return nil, over, nil
			}
			return keep.Bytes(), false, nil
		}
	}
}

// str reads the rest of a string after its opening quote, passing every byte to put.
func (s *scanner) str(put func(byte)) error {
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		put(c)
		switch {
		case c == '"':
			return nil
		case c == '\\':
			e, err := s.readByte()
			if err != nil {
				return err
			}
			put(e)
		case c < 0x20:
			return fmt.Errorf("%w: control character in a string", ErrInvalid)
		}
	}
}
