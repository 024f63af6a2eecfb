// Package gitserver serves bare Git repositories over Git's smart HTTP
// protocol by running `git http-backend` (the CGI program that ships with
// Git) behind net/http. It is the in-cluster tests' Git server: kpack clones
// application sources from it and Argo CD reads the GitOps tree from it, and
// the tests push commits to it with plain `git push`.
//
// Repositories are the folders NAME.git under the root; fetch and push are
// both allowed and nothing is authenticated, so bind it only to loopback or
// to a network the tests own.
package gitserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Handler serves the bare repositories under root. git is the git binary
// (empty: "git" from PATH).
func Handler(root, git string) (http.Handler, error) {
	if git == "" {
		p, err := exec.LookPath("git")
		if err != nil {
			return nil, fmt.Errorf("gitserver: %w (install git)", err)
		}
		git = p
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("gitserver: root %s is not a folder", root)
	}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + abs,
			"GIT_HTTP_EXPORT_ALL=1",
			// http.receivepack is off by default for unauthenticated users;
			// kpack fetches the exact commit it resolved (a SHA-1 in "want"),
			// which git refuses unless reachable SHA-1s are allowed.
			"GIT_CONFIG_COUNT=2",
			"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
			"GIT_CONFIG_KEY_1=uploadpack.allowReachableSHA1InWant", "GIT_CONFIG_VALUE_1=true",
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only paths inside a NAME.git repository reach the backend.
		if !strings.Contains(r.URL.Path, ".git") || strings.Contains(r.URL.Path, "..") {
			http.Error(w, "not a repository path: use /NAME.git", http.StatusNotFound)
			return
		}
		backend.ServeHTTP(w, r)
	}), nil
}

// Init creates the bare repository root/NAME.git (NAME without .git) with
// default branch branch, and returns its folder. An existing repository is
// left as it is.
func Init(root, name, branch string) (string, error) {
	name = strings.TrimSuffix(name, ".git")
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("gitserver: bad repository name %q", name)
	}
	dir := filepath.Join(root, name+".git")
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return dir, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	out, err := exec.Command("git", "init", "--quiet", "--bare", "--initial-branch="+branch, dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gitserver: git init %s: %v: %s", dir, err, out)
	}
	return dir, nil
}
