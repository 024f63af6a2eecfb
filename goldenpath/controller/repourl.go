package controller

import (
	"net/url"
	"strings"
)

// NormalizeRepoURL reduces a git repository URL to host/path, so that the
// URLs a webhook payload gives (https clone URL, SSH URL, web URL) match the
// one a kpack Image or a GitOps repository names: the scheme, user info,
// port, a trailing slash and a trailing .git are dropped, the host is lower
// case; the path keeps its case. scp-like SSH addresses (git@host:org/repo)
// are understood. "" for what is not a repository URL.
func NormalizeRepoURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	var host, path string
	if !strings.Contains(raw, "://") {
		// scp-like: [user@]host:path
		at := strings.LastIndex(raw, "@")
		rest := raw[at+1:]
		h, p, ok := strings.Cut(rest, ":")
		if !ok || h == "" || strings.ContainsAny(h, "/") {
			return ""
		}
		host, path = h, p
	} else {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return ""
		}
		host, path = u.Hostname(), u.Path
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.Trim(path, "/")
	if path == "" {
		return ""
	}
	return strings.ToLower(host) + "/" + path
}
