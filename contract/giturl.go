package contract

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Git URLs are handed to git (kpack's source resolver, Argo CD's repo
// server, the CLI's build), so each part must be what it looks like:
//
//   - the transport is https://, ssh:// or scp-like user@host:path (the
//     platform's GitOps repository may also use http://); ext::, file://,
//     git:// and every other transport are refused;
//   - no part starts with "-": a user, host or path such as
//     -oProxyCommand=... or --upload-pack=... would be read by ssh or git
//     as an option;
//   - the host is a DNS name (letters, digits, - and dots) or an IP address,
//     with a port from 1 to 65535; a host written as a number (2130706433,
//     0x7f.1, 127.1), which some resolvers take for an IP address, is
//     refused;
//   - no credentials, query or fragment.
//
// A contract's URL is fetched from inside the cluster by the build, so it
// must also name a host a build can mean: not loopback (127.0.0.0/8, ::1,
// localhost: the build pod itself), link-local (169.254.0.0/16, fe80::/10:
// the node's cloud metadata service), unspecified (0.0.0.0, ::), multicast
// or broadcast addresses. No platform setting allows these: none of them
// is where a git server of the platform lives, and each is a way to make the
// build reach something that is not a git server. Private addresses (10/8,
// 172.16/12, 192.168/16, fc00::/7) are allowed: corporate git servers live
// there. Host names are not resolved (validation is pure): a name that
// resolves to such an address is the network policy's to stop. The
// platform's own URLs (gitops.repoURL) may point anywhere.

// gitURLHint is what every git URL problem suggests.
const gitURLHint = "use https://host/org/repo, ssh://git@host/org/repo or git@host:org/repo.git"

var (
	scpLikeURLRE = regexp.MustCompile(`^([A-Za-z0-9._~-]+)@([^/@:\s]+):(\S+)$`)
	gitUserRE    = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	// numericHostRE matches host names made of numbers and dots, hex
	// included: resolvers such as glibc's inet_aton read 2130706433, 0x7f.1
	// and 127.1 as IPv4 addresses.
	numericHostRE = regexp.MustCompile(`^(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+))*\.?$`)
)

// gitURL is a parsed git URL, whatever its form.
type gitURL struct {
	scheme string // https, http, ssh or "" for scp-like
	user   string
	host   string // without brackets
	port   string
	path   string
}

// parseGitURL splits a git URL into its parts, refusing transports not in
// schemes (transportHint says which to use). The message and hint say what
// is wrong.
func parseGitURL(raw, transportHint string, schemes ...string) (u gitURL, msg, hint string) {
	if i := strings.Index(raw, "::"); i >= 0 && !strings.Contains(raw[:i], "/") {
		return u, fmt.Sprintf("git remote helper transport %q is not allowed", raw[:i+2]), gitURLHint
	}
	if strings.ContainsFunc(raw, isSpaceOrControl) {
		return u, "git URL must not contain spaces or control characters", gitURLHint
	}
	if m := scpLikeURLRE.FindStringSubmatch(raw); m != nil && !strings.Contains(raw, "://") {
		return gitURL{user: m[1], host: m[2], path: m[3]}, "", ""
	}
	scheme, _, found := strings.Cut(raw, "://")
	if !found {
		return u, fmt.Sprintf("%q is not a git URL", raw), gitURLHint
	}
	known := false
	for _, s := range schemes {
		known = known || strings.EqualFold(scheme, s)
	}
	if !known {
		return u, fmt.Sprintf("transport %s:// is not allowed", scheme), transportHint
	}
	if scheme != strings.ToLower(scheme) {
		return u, fmt.Sprintf("write the scheme in lower case: %s://", strings.ToLower(scheme)), ""
	}
	parsed, err := url.Parse(raw)
	if err != nil {
		return u, fmt.Sprintf("invalid git URL: %v", err), gitURLHint
	}
	if parsed.User != nil {
		if _, hasPassword := parsed.User.Password(); hasPassword || scheme != "ssh" {
			return u, "git URL must not carry credentials", "give the platform a git credential secret instead"
		}
	}
	if parsed.RawQuery != "" || parsed.Fragment != "" || parsed.ForceQuery || strings.HasSuffix(raw, "#") {
		return u, "git URL must not have a query or fragment", "pin a commit with spec.source.git.revision"
	}
	u = gitURL{scheme: scheme, host: parsed.Hostname(), port: parsed.Port(), path: parsed.Path}
	if parsed.User != nil {
		u.user = parsed.User.Username()
	}
	return u, "", ""
}

// check applies the rules every git URL follows: parts that cannot be read
// as options, a real host and port, a repository path.
func (u gitURL) check() (msg, hint string) {
	switch {
	case u.user != "" && strings.HasPrefix(u.user, "-"):
		return fmt.Sprintf("git URL user %q starts with -", u.user), "git and ssh would read it as an option"
	case u.user != "" && !gitUserRE.MatchString(u.user):
		return fmt.Sprintf("git URL user %q is not a user name", u.user), "use letters, digits, ., _, ~ and -"
	case u.host == "":
		return "git URL has no host", gitURLHint
	case strings.HasPrefix(u.host, "-"):
		return fmt.Sprintf("git URL host %q starts with -", u.host), "git and ssh would read it as an option"
	}
	if msg := checkHost(u.host); msg != "" {
		return msg, gitURLHint
	}
	if u.port != "" {
		if n, err := strconv.Atoi(u.port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("invalid port %q", u.port), "use 1 to 65535"
		}
	}
	path := strings.Trim(u.path, "/")
	if path == "" {
		return "git URL has no repository path", gitURLHint
	}
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "-") {
			return fmt.Sprintf("git URL path segment %q starts with -", seg), "git would read it as an option"
		}
	}
	return "", ""
}

// checkHost returns what is wrong with a host name or IP address, or "".
func checkHost(host string) string {
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return fmt.Sprintf("host %q has an IPv6 zone", host)
		}
		return ""
	}
	if numericHostRE.MatchString(host) {
		return fmt.Sprintf("host %q is a number, not a DNS name or a dotted IPv4 address", host)
	}
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(strings.TrimSuffix(host, "."))); len(errs) > 0 {
		why, _, _ := strings.Cut(errs[0], " (e.g.")
		return fmt.Sprintf("host %q is not a DNS name: %s", host, strings.TrimPrefix(why, "a lowercase RFC 1123 subdomain "))
	}
	return ""
}

// unreachableHost says why a contract's build cannot mean host, or "".
func unreachableHost(host string) string {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return "is loopback (the build pod itself)"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "is loopback (the build pod itself)"
	case addr.IsLinkLocalUnicast():
		return "is link-local (the node's metadata service, not a git server)"
	case addr.IsUnspecified():
		return "is the unspecified address"
	case addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast():
		return "is a multicast address"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "is the broadcast address"
	}
	return ""
}

// checkGitURL returns what is wrong with a contract's git URL, or "" when
// nothing is.
func checkGitURL(raw string) (msg, hint string) {
	u, msg, hint := parseGitURL(raw, gitURLHint, "https", "ssh")
	if msg != "" {
		return msg, hint
	}
	if msg, hint := u.check(); msg != "" {
		return msg, hint
	}
	if why := unreachableHost(u.host); why != "" {
		return fmt.Sprintf("git host %s %s", u.host, why), "use the git server's name or address as the cluster reaches it"
	}
	return "", ""
}

// checkRepoURL returns what is wrong with the platform's GitOps repository
// URL, or "". Argo CD reads it with the platform's credentials, so it must
// not carry any (they would be committed into every Application).
func checkRepoURL(raw string) (msg, hint string) {
	u, msg, hint := parseGitURL(raw, "use https://, http:// or ssh://host/path, or user@host:path", "https", "http", "ssh")
	if msg != "" {
		return msg, hint
	}
	return u.check()
}

// isSpaceOrControl reports white space and control characters: C0, DEL, C1,
// the Unicode line and paragraph separators and the byte order mark.
func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029' || r == '\ufeff'
}
