package gitserver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Options add authentication and push webhooks to the server (NewHandler).
type Options struct {
	// Git is the git binary ("" : git from PATH).
	Git string
	// Users may push (user name -> password, HTTP basic authentication).
	// Empty: anyone may push.
	Users map[string]string
	// AuthFetch requires the same authentication to fetch (clone) too.
	AuthFetch bool
	// Hooks are told about every push that moved a ref, as a hosting
	// service's webhook would, after the push is answered.
	Hooks []Hook
	// CloneURL is the server's base URL as the hooks' receivers know the
	// repositories (clone_url = CloneURL/NAME.git in the payloads).
	CloneURL string
	// BeforePush, when set, runs before each push is handed to git (tests
	// use it to hold a push).
	BeforePush func(repo string)
	// Logf, when set, receives one line per delivery and refused request.
	Logf func(format string, args ...any)
}

// Hook is a webhook receiver.
type Hook struct {
	// URL receives a POST per moved ref.
	URL string
	// Secret signs the body (HMAC-SHA256).
	Secret string
	// Format is gitea (default: X-Gitea-Signature, X-Gitea-Event: push),
	// github (X-Hub-Signature-256) or generic (goldenpath's generic form:
	// X-Goldenpath-Signature-256, {"repository", "ref", "after"}).
	Format string
}

// Delivery is one webhook delivery made.
type Delivery struct {
	Hook       string
	Repository string
	Ref        string
	Before     string
	After      string
	// Status is the receiver's HTTP status (0 when it could not be reached).
	Status int
	Err    error
}

// Server is the git server with authentication and webhooks.
type Server struct {
	http.Handler
	o       Options
	root    string
	git     string
	backend http.Handler

	mu    sync.Mutex
	locks map[string]*sync.Mutex
	wg    sync.WaitGroup
	// Deliveries, when set, receives every delivery made (tests).
	Deliveries chan<- Delivery
	client     *http.Client
}

// NewHandler serves the bare repositories under root (as Handler does)
// with the options' authentication and push webhooks.
func NewHandler(root string, o Options) (*Server, error) {
	backend, err := Handler(root, o.Git)
	if err != nil {
		return nil, err
	}
	gitBin := o.Git
	if gitBin == "" {
		gitBin, _ = exec.LookPath("git")
	}
	s := &Server{o: o, root: root, git: gitBin, backend: backend, locks: map[string]*sync.Mutex{},
		client: &http.Client{Timeout: 10 * time.Second}}
	s.Handler = http.HandlerFunc(s.serve)
	return s, nil
}

// Wait waits for the webhook deliveries under way.
func (s *Server) Wait() { s.wg.Wait() }

func (s *Server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

// repoOf is the NAME.git folder a request is for ("" when none).
func repoOf(p string) string {
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if strings.HasSuffix(part, ".git") && part != ".git" {
			return part
		}
	}
	return ""
}

func isPush(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	want, known := s.o.Users[user]
	// Compare digests so that the time taken does not depend on the
	// password's length or content.
	a, b := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && known
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	push := isPush(r)
	if len(s.o.Users) > 0 && (push || s.o.AuthFetch) && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="goldenpath git"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		s.logf("gitserver: refused unauthenticated %s %s", r.Method, r.URL.Path)
		return
	}
	repo := repoOf(r.URL.Path)
	if !push || r.Method != http.MethodPost || repo == "" {
		s.backend.ServeHTTP(w, r)
		return
	}
	if s.o.BeforePush != nil {
		s.o.BeforePush(repo)
	}
	lock := s.lock(repo)
	lock.Lock()
	before := s.refs(repo)
	s.backend.ServeHTTP(w, r)
	after := s.refs(repo)
	lock.Unlock()
	for ref, sha := range after {
		if before[ref] != sha {
			s.deliver(repo, ref, before[ref], sha)
		}
	}
	for ref, sha := range before {
		if _, ok := after[ref]; !ok {
			s.deliver(repo, ref, sha, strings.Repeat("0", 40))
		}
	}
}

func (s *Server) lock(repo string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.locks[repo]
	if !ok {
		l = &sync.Mutex{}
		s.locks[repo] = l
	}
	return l
}

// refs reads a repository's refs (refname -> commit).
func (s *Server) refs(repo string) map[string]string {
	out := map[string]string{}
	cmd := exec.Command(s.git, "for-each-ref", "--format=%(objectname) %(refname)")
	cmd.Dir = s.root + "/" + repo
	data, err := cmd.Output()
	if err != nil {
		return out
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if sha, ref, ok := strings.Cut(line, " "); ok {
			out[ref] = sha
		}
	}
	return out
}

func (s *Server) deliver(repo, ref, before, after string) {
	cloneURL := strings.TrimSuffix(s.o.CloneURL, "/") + "/" + repo
	name := strings.TrimSuffix(repo, ".git")
	for _, h := range s.o.Hooks {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			d := Delivery{Hook: h.URL, Repository: cloneURL, Ref: ref, Before: before, After: after}
			d.Status, d.Err = s.post(h, name, cloneURL, ref, before, after)
			if d.Err != nil {
				s.logf("gitserver: webhook %s for %s %s: %v", h.URL, repo, ref, d.Err)
			} else {
				s.logf("gitserver: webhook %s for %s %s -> %d", h.URL, repo, ref, d.Status)
			}
			if s.Deliveries != nil {
				s.Deliveries <- d
			}
		}()
	}
}

func (s *Server) post(h Hook, name, cloneURL, ref, before, after string) (int, error) {
	var payload any
	switch h.Format {
	case "generic":
		payload = map[string]any{"repository": cloneURL, "ref": ref, "after": after}
	default:
		payload = map[string]any{
			"ref": ref, "before": before, "after": after,
			"repository": map[string]any{"name": name, "full_name": name, "clone_url": cloneURL},
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	m := hmac.New(sha256.New, []byte(h.Secret))
	m.Write(body)
	sig := hex.EncodeToString(m.Sum(nil))
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	delivery := hex.EncodeToString(id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	switch h.Format {
	case "github":
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", delivery)
		req.Header.Set("X-Hub-Signature-256", "sha256="+sig)
	case "generic":
		req.Header.Set("X-Goldenpath-Delivery", delivery)
		req.Header.Set("X-Goldenpath-Signature-256", "sha256="+sig)
	case "", "gitea":
		req.Header.Set("X-Gitea-Event", "push")
		req.Header.Set("X-Gitea-Delivery", delivery)
		req.Header.Set("X-Gitea-Signature", sig)
	default:
		return 0, fmt.Errorf("unknown webhook format %q", h.Format)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
