package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Source is a checkout being built: every path a contract names in it
// (spec.source.git.subPath, spec.build.dockerfile.context and .path) is
// resolved inside Root, following symbolic links, and a path that leads
// out of Root (a link to /etc, to the user's home, ../ that escapes) is an
// error naming the path: a source tree cannot make a build read the build
// host's files. The paths handed to pack and the Docker engine are the
// resolved ones, which hold no symbolic links.
type Source struct {
	// Root is the checkout's folder with its own links resolved.
	Root string
}

// OpenSource resolves the checkout's folder.
func OpenSource(dir string) (*Source, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source: %s is not a folder", dir)
	}
	return &Source{Root: root}, nil
}

// Resolve returns the path of rel (a slash-separated path from the
// contract, relative to base, itself inside Root; empty base: Root),
// with every symbolic link followed, or an error if it does not exist or
// leads outside Root. what names the contract field for the error.
func (s *Source) Resolve(base, rel, what string) (string, error) {
	if base == "" {
		base = s.Root
	}
	if filepath.IsAbs(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("%s %q: an absolute path; give a path inside the source folder", what, rel)
	}
	joined := filepath.Join(base, filepath.FromSlash(rel))
	if !s.inside(joined) {
		return "", fmt.Errorf("%s %q leads outside the source folder %s", what, rel, s.Root)
	}
	resolved, err := filepath.EvalSymlinks(joined)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", what, rel, err)
	}
	if !s.inside(resolved) {
		return "", fmt.Errorf("%s %q resolves to %s, outside the source folder %s: a symbolic link in the source tree may not lead out of it", what, rel, resolved, s.Root)
	}
	return resolved, nil
}

// Dir is Resolve for a folder.
func (s *Source) Dir(base, rel, what string) (string, error) {
	return s.resolveKind(base, rel, what, "a folder", os.FileMode.IsDir)
}

// File is Resolve for a regular file.
func (s *Source) File(base, rel, what string) (string, error) {
	return s.resolveKind(base, rel, what, "a regular file", os.FileMode.IsRegular)
}

func (s *Source) resolveKind(base, rel, what, kind string, is func(os.FileMode) bool) (string, error) {
	p, err := s.Resolve(base, rel, what)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", what, rel, err)
	}
	if !is(info.Mode()) {
		return "", fmt.Errorf("%s %q: %s is not %s", what, rel, p, kind)
	}
	return p, nil
}

func (s *Source) inside(p string) bool {
	rel, err := filepath.Rel(s.Root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
