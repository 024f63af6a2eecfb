package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// A build's source may be a git repository URL instead of a checkout
// (goldenpath build --source https://git.corp.example/team/app.git): it is
// cloned with the git program, so credentials come from where git users
// keep them — a credential helper (credential.helper: store, cache, the OS
// keychain, Git Credential Manager), GIT_ASKPASS, ~/.netrc for https, and
// the user's SSH keys or agent for ssh:// and git@host:path — and nothing
// of them passes through goldenpath. git never prompts (GIT_TERMINAL_PROMPT=0):
// without credentials the clone fails with a GitAuthError.
//
// Only https://, http://, ssh:// and scp-like user@host:path URLs are
// cloned: remote helpers (ext::), file:// and local paths are refused, git
// may not follow a redirect into another protocol, and submodules are not
// fetched.

// scpLikeSource is git's scp-like form user@host:path.
var scpLikeSource = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^/\s][^\s]*$`)

// IsGitSource reports whether a build's source names a git repository URL
// rather than a folder.
func IsGitSource(s string) bool {
	for _, p := range []string{"https://", "http://", "ssh://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return scpLikeSource.MatchString(s)
}

// GitAuthError is a clone the git server refused for want of credentials.
type GitAuthError struct {
	// URL is the repository (credentials removed).
	URL string
	// Host is the server git needs credentials for.
	Host string
	// Detail is git's own last line.
	Detail string
}

func (e *GitAuthError) Error() string {
	machine := e.Host
	if h, _, err := net.SplitHostPort(e.Host); err == nil {
		machine = h
	}
	how := "a credential helper (git config --global credential.helper store, then git credential approve), a line \"machine " + machine + " login USER password TOKEN\" in ~/.netrc, or GIT_ASKPASS"
	if !strings.HasPrefix(e.URL, "http") {
		how = "an SSH key for " + e.Host + " that ssh offers (ssh-agent, ~/.ssh/config)"
	}
	msg := fmt.Sprintf("authentication required for git repository %s: give git credentials for %s: %s", e.URL, e.Host, how)
	if e.Detail != "" {
		msg += " (git: " + e.Detail + ")"
	}
	return msg
}

// ClonedSource is a clone made for one build.
type ClonedSource struct {
	// Dir is the clone's folder (a new temporary folder).
	Dir string
	// Commit is the commit checked out.
	Commit string
}

// Remove deletes the clone.
func (c *ClonedSource) Remove() error { return os.RemoveAll(c.Dir) }

// gitAuthFailures are what git prints when a server wants credentials it
// did not get, or refused the ones it got.
var gitAuthFailures = []string{
	"could not read Username", "could not read Password", "terminal prompts disabled",
	"Authentication failed", "HTTP Basic: Access denied", "Permission denied (publickey",
	"The requested URL returned error: 401", "The requested URL returned error: 403",
}

// CloneSource clones url at revision (a commit, a branch or a tag; empty:
// the default branch) into a new temporary folder. Progress goes to out.
func CloneSource(ctx context.Context, rawURL, revision string, out io.Writer) (*ClonedSource, error) {
	shown, host, secret, err := checkSourceURL(rawURL)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(revision, "-") || strings.ContainsFunc(revision, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("git revision %q is not a commit, branch or tag name", revision)
	}
	dir, err := os.MkdirTemp("", "goldenpath-source-")
	if err != nil {
		return nil, err
	}
	c := &ClonedSource{Dir: dir}
	fail := func(err error) (*ClonedSource, error) {
		_ = c.Remove()
		return nil, err
	}
	at := revision
	if at == "" {
		at = "the default branch"
	}
	fmt.Fprintf(out, "goldenpath: cloning %s at %s\n", shown, at)
	git := func(args ...string) (string, error) {
		base := []string{"-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always",
			"-c", "protocol.ssh.allow=always", "-c", "advice.detachedHead=false"}
		cmd := exec.CommandContext(ctx, "git", append(base, args...)...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		msg := strings.TrimSpace(stderr.String())
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "***")
		}
		if err == nil {
			return strings.TrimSpace(stdout.String()), nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		last := msg
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			last = msg[i+1:]
		}
		for _, f := range gitAuthFailures {
			if strings.Contains(msg, f) {
				return "", &GitAuthError{URL: shown, Host: host, Detail: last}
			}
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s of %s: %s", args[0], shown, msg)
	}
	if isCommitID(revision) {
		if _, err := git("clone", "--quiet", "--no-checkout", "--", rawURL, dir); err != nil {
			return fail(err)
		}
		if _, err := git("-C", dir, "checkout", "--quiet", "--detach", revision, "--"); err != nil {
			return fail(fmt.Errorf("source %s has no commit %s: %w", shown, revision, err))
		}
	} else {
		args := []string{"clone", "--quiet", "--depth", "1"}
		if revision != "" {
			args = append(args, "--branch", revision)
		}
		if _, err := git(append(args, "--", rawURL, dir)...); err != nil {
			return fail(err)
		}
	}
	if c.Commit, err = git("-C", dir, "rev-parse", "HEAD"); err != nil {
		return fail(err)
	}
	fmt.Fprintf(out, "goldenpath: source %s at commit %s\n", shown, c.Commit)
	return c, nil
}

var commitIDRE = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// isCommitID reports whether a revision is a commit ID (abbreviated or not)
// rather than a branch or tag name.
func isCommitID(rev string) bool { return commitIDRE.MatchString(rev) }

// checkSourceURL refuses what git would read as an option or as another
// transport, and returns the URL without its password (for messages), the
// host and the password (to remove it from git's output).
func checkSourceURL(raw string) (shown, host, secret string, err error) {
	if !IsGitSource(raw) {
		return "", "", "", fmt.Errorf("source %q is not a git URL: use https://HOST/PATH, ssh://USER@HOST/PATH or USER@HOST:PATH", raw)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", "", "", fmt.Errorf("source git URL must not contain spaces or control characters")
	}
	if scpLikeSource.MatchString(raw) && !strings.Contains(raw, "://") {
		user, rest, _ := strings.Cut(raw, "@")
		h, path, _ := strings.Cut(rest, ":")
		if strings.HasPrefix(user, "-") || strings.HasPrefix(h, "-") || strings.HasPrefix(path, "-") {
			return "", "", "", fmt.Errorf("source git URL %q has a part starting with -", raw)
		}
		return raw, h, "", nil
	}
	u, perr := url.Parse(raw)
	if perr != nil {
		return "", "", "", fmt.Errorf("source git URL: %w", perr)
	}
	if u.Host == "" || strings.HasPrefix(u.Hostname(), "-") {
		return "", "", "", fmt.Errorf("source git URL %q has no usable host", raw)
	}
	if u.User != nil {
		secret, _ = u.User.Password()
	}
	return u.Redacted(), u.Host, secret, nil
}
