// Package gitops writes commits to a GitOps repository with go-git, in
// memory (no working copy on disk): fetch the branch, change files, commit,
// push; when someone else pushed in between (the push is refused as not a
// fast-forward), fetch again and redo the change on the new head. It never
// force-pushes, and a change that leaves the files as they are commits
// nothing.
package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Auth is HTTP basic authentication (a token as the password works with
// GitHub, GitLab and Gitea). The zero value is anonymous.
type Auth struct {
	Username, Password string
}

func (a Auth) method() transport.AuthMethod {
	if a.Username == "" && a.Password == "" {
		return nil
	}
	user := a.Username
	if user == "" {
		user = "goldenpath"
	}
	return &githttp.BasicAuth{Username: user, Password: a.Password}
}

// Repo is a GitOps repository branch held in memory. Its methods may be
// called from several goroutines: they take turns.
type Repo struct {
	// URL of the repository (https:// or http://).
	URL string
	// Branch to commit to; "" or "HEAD" is the remote's default branch.
	Branch string
	// Auth for fetch and push.
	Auth Auth
	// Author of the commits.
	Author object.Signature

	mu   sync.Mutex
	repo *git.Repository
	fs   billy.Filesystem
	ref  plumbing.ReferenceName
}

// ErrConflict: the push was refused because the branch moved (after the
// retries Update makes).
var ErrConflict = errors.New("the branch moved while pushing (not a fast-forward)")

// Change edits the tree of the branch's head. It returns the commit message
// (ignored when nothing changed).
type Change func(t *Tree) (message string, err error)

// Result says what Update did.
type Result struct {
	// Commit is the new commit ("" when the change changed nothing).
	Commit string
	// Head is the branch head after the update (the new commit, or the
	// head the change was tried on).
	Head string
	// Changed are the files the commit changed.
	Changed []string
	// Attempts is how many times the change was applied (more than one when
	// the branch moved under a push).
	Attempts int
}

// Update applies change to the branch's current head and pushes the
// commit. When the push is refused because the branch moved, it fetches the
// new head and applies change again, up to attempts times (then
// ErrConflict). A change that leaves every file as it was pushes nothing.
func (r *Repo) Update(ctx context.Context, attempts int, change Change) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if attempts < 1 {
		attempts = 1
	}
	var res Result
	for res.Attempts < attempts {
		res.Attempts++
		head, err := r.sync(ctx)
		if err != nil {
			return res, err
		}
		res.Head = head.String()
		t := &Tree{fs: r.fs, changed: map[string]bool{}, repo: r.repo, head: head}
		msg, err := change(t)
		if err != nil {
			return res, err
		}
		changed := t.Changed()
		if len(changed) == 0 {
			return res, nil
		}
		commit, err := r.commit(changed, msg)
		if err != nil {
			return res, err
		}
		err = r.repo.PushContext(ctx, &git.PushOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{config.RefSpec(commit.String() + ":" + r.ref.String())},
			Auth:       r.Auth.method(),
		})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			res.Commit, res.Head, res.Changed = commit.String(), commit.String(), changed
			return res, nil
		}
		if !isConflict(err) {
			return res, fmt.Errorf("pushing to %s %s: %w", r.URL, r.ref.Short(), err)
		}
	}
	return res, fmt.Errorf("pushing to %s %s: %w (%d attempts)", r.URL, r.ref.Short(), ErrConflict, attempts)
}

// isConflict says whether a push was refused because the remote branch is
// not an ancestor of the pushed commit: go-git finds it before sending
// (non-fast-forward update) or the server reports it (rejected, fetch
// first).
func isConflict(err error) bool {
	s := err.Error()
	for _, m := range []string{"non-fast-forward", "fetch first", "rejected", "stale info"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// Head fetches the branch and returns its head commit.
func (r *Repo) Head(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := r.sync(ctx)
	return h.String(), err
}

// sync clones the repository on first use, else fetches, then resets the
// in-memory work tree to the remote branch's head.
func (r *Repo) sync(ctx context.Context) (plumbing.Hash, error) {
	if r.repo == nil {
		fs := memfs.New()
		opts := &git.CloneOptions{URL: r.URL, Auth: r.Auth.method(), NoCheckout: true, Tags: git.NoTags}
		if r.Branch != "" && r.Branch != "HEAD" {
			opts.ReferenceName = plumbing.NewBranchReferenceName(r.Branch)
			opts.SingleBranch = true
		}
		repo, err := git.CloneContext(ctx, memory.NewStorage(), fs, opts)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("cloning %s: %w", r.URL, err)
		}
		head, err := repo.Head()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("cloning %s: %w", r.URL, err)
		}
		r.repo, r.fs, r.ref = repo, fs, head.Name()
	} else {
		err := r.repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{config.RefSpec("+" + r.ref.String() + ":refs/remotes/origin/" + r.ref.Short())},
			Auth:       r.Auth.method(),
			Tags:       git.NoTags,
			Force:      true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return plumbing.ZeroHash, fmt.Errorf("fetching %s: %w", r.URL, err)
		}
	}
	remote, err := r.repo.Reference(plumbing.NewRemoteReferenceName("origin", r.ref.Short()), true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s has no branch %s: %w", r.URL, r.ref.Short(), err)
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(r.ref, remote.Hash())); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: remote.Hash(), Mode: git.HardReset}); err != nil {
		return plumbing.ZeroHash, err
	}
	return remote.Hash(), nil
}

func (r *Repo) commit(files []string, msg string) (plumbing.Hash, error) {
	wt, err := r.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, f := range files {
		if _, err := wt.Add(f); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("adding %s: %w", f, err)
		}
	}
	author := r.Author
	if author.Name == "" {
		author.Name, author.Email = "goldenpath", "goldenpath@goldenpath.invalid"
	}
	author.When = time.Now()
	return wt.Commit(msg, &git.CommitOptions{Author: &author})
}

// SetAuth changes the credentials (taking turns with Update).
func (r *Repo) SetAuth(a Auth) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Auth = a
}

// Commits returns the messages of the branch's last n commits, newest
// first, as of the last fetch (first parents only).
func (r *Repo) Commits(n int) ([]Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil {
		return nil, errors.New("gitops: repository not fetched yet")
	}
	ref, err := r.repo.Reference(r.ref, true)
	if err != nil {
		return nil, err
	}
	return commits(r.repo, ref.Hash(), n)
}

// Log returns the last n commits of the head the change works on, newest
// first (first parents only).
func (t *Tree) Log(n int) ([]Commit, error) { return commits(t.repo, t.head, n) }

func commits(repo *git.Repository, head plumbing.Hash, n int) ([]Commit, error) {
	var out []Commit
	c, err := repo.CommitObject(head)
	for err == nil && len(out) < n {
		out = append(out, Commit{Hash: c.Hash.String(), Message: c.Message, When: c.Author.When})
		if c.NumParents() == 0 {
			break
		}
		c, err = c.Parent(0)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return out, err
	}
	return out, nil
}

// Commit is a commit of the branch.
type Commit struct {
	Hash    string
	Message string
	When    time.Time
}

// Tree is the work tree of the branch's head, as Change sees it.
type Tree struct {
	fs      billy.Filesystem
	changed map[string]bool
	repo    *git.Repository
	head    plumbing.Hash
}

// ReadFile reads a file of the tree (a slash-separated path from the root).
func (t *Tree) ReadFile(name string) ([]byte, error) {
	p, err := clean(name)
	if err != nil {
		return nil, err
	}
	f, err := t.fs.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile replaces a file's content (creating it and its folders); a
// write of the same content is no change.
func (t *Tree) WriteFile(name string, data []byte) error {
	p, err := clean(name)
	if err != nil {
		return err
	}
	if old, err := t.ReadFile(p); err == nil && string(old) == string(data) {
		return nil
	}
	if err := t.fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := t.fs.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	t.changed[p] = true
	return nil
}

// Changed lists the files written with new content, sorted.
func (t *Tree) Changed() []string {
	var out []string
	for p := range t.changed {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// clean refuses paths that leave the tree.
func clean(name string) (string, error) {
	p := path.Clean(strings.TrimPrefix(name, "/"))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, ".git/") || p == ".git" {
		return "", fmt.Errorf("gitops: path %q is outside the tree", name)
	}
	return p, nil
}
