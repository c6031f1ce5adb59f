// Command zipper packs built Lambda functions for deployment: for each folder given, it writes
// <folder>.zip holding the folder's bootstrap executable as "bootstrap" with mode 0755, the
// layout the provided.al2023 runtime expects.
//
// The zip does not depend on when or where it was built (fixed timestamp, fixed mode), so an
// unchanged function gives a byte-identical zip and `sam deploy` skips uploading it. It is a
// Go program rather than a call to `zip`, which a fresh machine may lack.
//
//	go run ./scripts/zipper build/facade build/sep-poller
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// modified is the timestamp of every entry: the earliest a zip can hold.
var modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: zipper DIR... (writes DIR.zip with DIR/bootstrap)")
		os.Exit(2)
	}
	for _, dir := range os.Args[1:] {
		if err := pack(dir); err != nil {
			fmt.Fprintln(os.Stderr, "zipper:", err)
			os.Exit(1)
		}
	}
}

// pack writes dir.zip from dir/bootstrap, replacing it whole: the zip appears only complete.
func pack(dir string) error {
	dir = filepath.Clean(dir)
	data, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return err
	}
	zipped, err := zipBootstrap(data)
	if err != nil {
		return err
	}
	tmp := dir + ".zip.tmp"
	if err := os.WriteFile(tmp, zipped, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dir+".zip")
}

// zipBootstrap returns a zip with one entry, bootstrap, mode 0755.
func zipBootstrap(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: modified}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
