package tree

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// The index, .goldenpath/tree.json, records what goldenpath wrote: every
// unit with its files and their SHA-256. One unit per line, so that git
// diffs of the index read like the tree's:
//
//	{"goldenpath-tree":1,"units":[
//	{"key":"app/dev/payments-api","dir":"dev/payments-api","pin":"…@sha256:…","files":{"argocd/dev/payments-api.yaml":"sha256:…",…}},
//	…
//	]}
//
// The journal, .goldenpath/journal.json, has the same format: the index a
// run is about to make true, written before it changes anything.
const (
	metaDir     = ".goldenpath"
	indexName   = "tree.json"
	journalName = "journal.json"
	tmpName     = "tmp"
	ignoreName  = ".gitignore"
	version     = 1
)

// ignoreFile keeps a run's scratch folder (what a killed run leaves) out of git.
const ignoreFile = "# goldenpath: a run's scratch folder; never commit it\n/tmp/\n"

type sum [sha256.Size]byte

func sumOf(data []byte) sum { return sha256.Sum256(data) }

func (s sum) String() string { return "sha256:" + hex.EncodeToString(s[:]) }

func parseSum(v string) (sum, error) {
	var s sum
	hexed, ok := strings.CutPrefix(v, "sha256:")
	if !ok || len(hexed) != 2*len(s) {
		return s, fmt.Errorf("%q is not a sha256:<64 hex digits> digest", v)
	}
	_, err := hex.Decode(s[:], []byte(hexed))
	return s, err
}

// record is one unit as the index holds it: its files sorted by path.
type record struct {
	Key   string
	Dir   string
	Pin   string
	Paths []string
	Sums  []sum
}

type jsonRecord struct {
	Key   string            `json:"key"`
	Dir   string            `json:"dir,omitempty"`
	Pin   string            `json:"pin,omitempty"`
	Files map[string]string `json:"files"`
}

// readIndex reads an index or journal; a missing file is an empty index.
func readIndex(path string) ([]record, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	recs, err := decodeIndex(bufio.NewReader(f))
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w (it is goldenpath's record of the files it wrote: restore it from git)", path, err)
	}
	return recs, true, nil
}

func decodeIndex(r io.Reader) ([]record, error) {
	dec := json.NewDecoder(r)
	expect := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fmt.Errorf("not a goldenpath tree index: expected %q, found %v", want, t)
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return nil, err
	}
	var recs []record
	seenVersion := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t {
		case "goldenpath-tree":
			var v int
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if v != version {
				return nil, fmt.Errorf("tree index version %d; this goldenpath reads version %d", v, version)
			}
			seenVersion = true
		case "units":
			if err := expect('['); err != nil {
				return nil, err
			}
			for dec.More() {
				var j jsonRecord
				if err := dec.Decode(&j); err != nil {
					return nil, err
				}
				rec, err := j.record()
				if err != nil {
					return nil, err
				}
				recs = append(recs, rec)
			}
			if err := expect(']'); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if !seenVersion {
		return nil, errors.New(`not a goldenpath tree index: no "goldenpath-tree" version`)
	}
	return recs, expect('}')
}

func (j jsonRecord) record() (record, error) {
	if j.Key == "" {
		return record{}, errors.New("a unit without a key")
	}
	if j.Dir != "" {
		if err := checkRel(j.Dir); err != nil {
			return record{}, fmt.Errorf("unit %s: %w", j.Key, err)
		}
	}
	rec := record{Key: j.Key, Dir: j.Dir, Pin: j.Pin}
	rec.Paths = slices.Sorted(maps.Keys(j.Files))
	for _, p := range rec.Paths {
		if err := checkRel(p); err != nil {
			return record{}, fmt.Errorf("unit %s: %w", j.Key, err)
		}
		s, err := parseSum(j.Files[p])
		if err != nil {
			return record{}, fmt.Errorf("unit %s, %s: %w", j.Key, p, err)
		}
		rec.Sums = append(rec.Sums, s)
	}
	return rec, nil
}

// writeIndex writes records as the index file at path (see replaceWith).
func writeIndex(path string, recs []record, scratch string) error {
	return replaceWith(path, scratch, func(w io.Writer) error { return encodeIndex(w, recs) })
}

// sameIndex reports whether the index file at path holds exactly records,
// comparing hashes (a missing file holds nothing).
func sameIndex(path string, recs []record) (bool, error) {
	want := sha256.New()
	if err := encodeIndex(want, recs); err != nil {
		return false, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	got := sha256.New()
	if _, err := io.Copy(got, f); err != nil {
		return false, err
	}
	return bytes.Equal(got.Sum(nil), want.Sum(nil)), nil
}

// encodeIndex writes records, sorted by key, one per line.
func encodeIndex(w io.Writer, recs []record) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\"goldenpath-tree\":%d,\"units\":[\n", version)
	for i, r := range recs {
		j := jsonRecord{Key: r.Key, Dir: r.Dir, Pin: r.Pin, Files: make(map[string]string, len(r.Paths))}
		for k, p := range r.Paths {
			j.Files[p] = r.Sums[k].String()
		}
		line, err := json.Marshal(j)
		if err != nil {
			return err
		}
		bw.Write(line)
		if i < len(recs)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
