package controller

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GitHub's documented test vector (validating-webhook-deliveries).
func TestSignGitHubVector(t *testing.T) {
	got := hex.EncodeToString(Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!")))
	assert.Equal(t, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", got)
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	assert.NoError(t, verify(GitHub, h, []byte("Hello, World!"), []byte("It's a Secret to Everybody")))
	assert.Error(t, verify(GitHub, h, []byte("Hello, World?"), []byte("It's a Secret to Everybody")))
	assert.Error(t, verify(GitHub, h, []byte("Hello, World!"), []byte("It's a secret to everybody")))
	// Gitea signs the same way, without the prefix.
	g := http.Header{}
	g.Set("X-Gitea-Signature", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	assert.NoError(t, verify(Gitea, g, []byte("Hello, World!"), []byte("It's a Secret to Everybody")))
	g.Set("X-Gitea-Signature", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	assert.Error(t, verify(Gitea, g, []byte("Hello, World!"), []byte("It's a Secret to Everybody")))
}

type secrets map[Provider]string

func (s secrets) Secret(_ context.Context, p Provider) ([]byte, bool, error) {
	v, ok := s[p]
	return []byte(v), ok, nil
}

// memoryReplay is the ReplayGuard contract in memory (the ConfigMap one is
// tested against an API server in replay_test.go).
type memoryReplay struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memoryReplay) Reserve(_ context.Context, keys []string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if m.seen[k] {
			return false, nil
		}
	}
	for _, k := range keys {
		m.seen[k] = true
	}
	return true, nil
}

func (m *memoryReplay) Release(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.seen, k)
	}
	return nil
}

type recordingHandler struct {
	mu     sync.Mutex
	pushes []Push
	known  string
}

func (h *recordingHandler) HandlePush(_ context.Context, p Push) (Triggered, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range p.Repositories {
		if NormalizeRepoURL(r) == NormalizeRepoURL(h.known) {
			h.pushes = append(h.pushes, p)
			return Triggered{SourceResolvers: []string{"ns/app-source"}}, nil
		}
	}
	return Triggered{}, ErrUnknownRepository
}

const (
	githubPush = `{"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111","repository":{"clone_url":"https://git.example.com/team/app.git","ssh_url":"git@git.example.com:team/app.git","html_url":"https://git.example.com/team/app"}}`
	gitlabPush = `{"object_kind":"push","ref":"refs/heads/main","after":"2222222222222222222222222222222222222222","project":{"git_http_url":"https://git.example.com/team/app.git","git_ssh_url":"git@git.example.com:team/app.git"}}`
	giteaPush  = `{"ref":"refs/heads/main","after":"3333333333333333333333333333333333333333","repository":{"clone_url":"https://git.example.com/team/app.git"}}`
	genericPsh = `{"repository":"https://git.example.com/team/app.git","ref":"refs/heads/main","after":"4444444444444444444444444444444444444444"}`
)

type delivery struct {
	provider Provider
	body     string
	headers  map[string]string
}

func signed(p Provider, secret, body, id string) delivery {
	sig := hex.EncodeToString(Sign([]byte(secret), []byte(body)))
	h := map[string]string{}
	switch p {
	case GitHub:
		h = map[string]string{"X-Hub-Signature-256": "sha256=" + sig, "X-GitHub-Event": "push", "X-GitHub-Delivery": id}
	case GitLab:
		h = map[string]string{"X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": id}
	case Gitea:
		h = map[string]string{"X-Gitea-Signature": sig, "X-Gitea-Event": "push", "X-Gitea-Delivery": id}
	case Generic:
		h = map[string]string{"X-Goldenpath-Signature-256": "sha256=" + sig, "X-Goldenpath-Delivery": id}
	}
	return delivery{p, body, h}
}

func newTestReceiver(t *testing.T) (*WebhookReceiver, *recordingHandler, *bytes.Buffer, map[string]int) {
	t.Helper()
	var logs bytes.Buffer
	counts := map[string]int{}
	var mu sync.Mutex
	h := &recordingHandler{known: "https://git.example.com/team/app"}
	return &WebhookReceiver{
		Secrets:  secrets{GitHub: "gh-secret", GitLab: "gl-token", Gitea: "gt-secret", Generic: "gen-secret"},
		Replay:   &memoryReplay{seen: map[string]bool{}},
		Handler:  h,
		MaxBytes: 4096,
		Log:      slog.New(slog.NewTextHandler(&logs, nil)),
		Delivered: func(p Provider, result string) {
			mu.Lock()
			counts[string(p)+" "+result]++
			mu.Unlock()
		},
	}, h, &logs, counts
}

func send(t *testing.T, w http.Handler, method, path, contentType string, d delivery) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(d.body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range d.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	return rec
}

func TestWebhookAcceptsEachProvider(t *testing.T) {
	w, h, _, counts := newTestReceiver(t)
	for _, d := range []delivery{
		signed(GitHub, "gh-secret", githubPush, "gh-1"),
		signed(GitLab, "gl-token", gitlabPush, "gl-1"),
		signed(Gitea, "gt-secret", giteaPush, "gt-1"),
		signed(Generic, "gen-secret", genericPsh, "gen-1"),
	} {
		rec := send(t, w, http.MethodPost, WebhookPath+string(d.provider), "application/json", d)
		assert.Equal(t, http.StatusAccepted, rec.Code, "%s: %s", d.provider, rec.Body)
		assert.Contains(t, rec.Body.String(), "ns/app-source")
	}
	require.Len(t, h.pushes, 4)
	for _, p := range h.pushes {
		assert.Equal(t, "refs/heads/main", p.Ref)
		assert.Equal(t, "main", p.Branch())
		assert.NotEmpty(t, p.After)
	}
	assert.Equal(t, "gh-1", h.pushes[0].Delivery)
	assert.Equal(t, 1, counts["gitea accepted"])
}

func TestWebhookRefusals(t *testing.T) {
	good := signed(GitHub, "gh-secret", githubPush, "gh-2")
	badSig := signed(GitHub, "not-the-secret", githubPush, "gh-3")
	noSig := delivery{GitHub, githubPush, map[string]string{"X-GitHub-Event": "push"}}
	gitlabWrong := signed(GitLab, "gl-token-but-longer", gitlabPush, "gl-2")
	giteaPrefixed := signed(Gitea, "gt-secret", giteaPush, "gt-2")
	giteaPrefixed.headers["X-Gitea-Signature"] = "sha256=" + giteaPrefixed.headers["X-Gitea-Signature"]
	unknown := signed(Generic, "gen-secret", `{"repository":"https://git.example.com/other/repo.git","ref":"refs/heads/main","after":"5"}`, "gen-9")
	badJSON := signed(Generic, "gen-secret", `{"repository":`, "gen-10")
	shortRef := signed(Generic, "gen-secret", `{"repository":"https://git.example.com/team/app.git","ref":"main"}`, "gen-11")
	big := signed(Generic, "gen-secret", `{"repository":"`+strings.Repeat("a", 5000)+`"}`, "gen-12")

	for _, tc := range []struct {
		name, method, path, ctype string
		d                         delivery
		status                    int
		result, log               string
	}{
		{"bad signature", http.MethodPost, "/webhooks/github", "application/json", badSig, 401, "bad-signature", "X-Hub-Signature-256 does not match the body"},
		{"no signature", http.MethodPost, "/webhooks/github", "application/json", noSig, 401, "bad-signature", "no X-Hub-Signature-256 header"},
		{"gitlab token", http.MethodPost, "/webhooks/gitlab", "application/json", gitlabWrong, 401, "bad-signature", "X-Gitlab-Token does not match"},
		{"gitea prefixed", http.MethodPost, "/webhooks/gitea", "application/json", giteaPrefixed, 401, "bad-signature", "not a hex SHA-256 HMAC"},
		{"github headers on the gitea path", http.MethodPost, "/webhooks/gitea", "application/json", good, 401, "bad-signature", "no X-Gitea-Signature header"},
		{"method", http.MethodGet, "/webhooks/github", "application/json", good, 405, "bad-request", "method GET not allowed"},
		{"content type", http.MethodPost, "/webhooks/github", "application/x-www-form-urlencoded", good, 415, "bad-request", "content type must be application/json"},
		{"unknown provider", http.MethodPost, "/webhooks/bitbucket", "application/json", good, 404, "", "no such webhook"},
		{"unknown repository", http.MethodPost, "/webhooks/generic", "application/json", unknown, 404, "unknown-repository", "nothing follows https://git.example.com/other/repo.git refs/heads/main"},
		{"not json", http.MethodPost, "/webhooks/generic", "application/json", badJSON, 400, "bad-request", "payload: not JSON"},
		{"short ref", http.MethodPost, "/webhooks/generic", "application/json", shortRef, 400, "bad-request", "is not a full ref name"},
		{"too large", http.MethodPost, "/webhooks/generic", "application/json", big, 413, "too-large", "larger than 4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h, logs, counts := newTestReceiver(t)
			rec := send(t, w, tc.method, tc.path, tc.ctype, tc.d)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Contains(t, logs.String(), tc.log)
			assert.Contains(t, rec.Body.String(), tc.log)
			assert.Empty(t, h.pushes, "nothing triggered")
			if tc.result != "" {
				assert.Equal(t, 1, counts[strings.TrimPrefix(tc.path, WebhookPath)+" "+tc.result], "%v", counts)
			}
			// No secret ever reaches the log.
			for _, s := range []string{"gh-secret", "gl-token", "gt-secret", "gen-secret", tc.d.headers["X-Hub-Signature-256"]} {
				if s != "" {
					assert.NotContains(t, logs.String(), s)
				}
			}
		})
	}
}

// The size limit holds without a Content-Length: the body is cut at the
// limit, never read whole.
func TestWebhookBodyLimitWithoutLength(t *testing.T) {
	w, h, _, _ := newTestReceiver(t)
	body := io.MultiReader(strings.NewReader(`{"repository":"`), &endless{})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/generic", body)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Goldenpath-Signature-256", "sha256="+strings.Repeat("0", 64))
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Empty(t, h.pushes)
}

type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	e.n += len(p)
	if e.n > 1<<30 {
		panic("the receiver read a gigabyte")
	}
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestWebhookReplay(t *testing.T) {
	w, h, logs, _ := newTestReceiver(t)
	d := signed(GitHub, "gh-secret", githubPush, "gh-7")
	assert.Equal(t, http.StatusAccepted, send(t, w, http.MethodPost, "/webhooks/github", "application/json", d).Code)
	// The same delivery again; and the same signed body under a new
	// delivery ID (the header is not signed: an attacker can change it).
	rec := send(t, w, http.MethodPost, "/webhooks/github", "application/json", d)
	assert.Equal(t, http.StatusConflict, rec.Code)
	d.headers["X-GitHub-Delivery"] = "attacker-chosen"
	assert.Equal(t, http.StatusConflict, send(t, w, http.MethodPost, "/webhooks/github", "application/json", d).Code)
	assert.Len(t, h.pushes, 1)
	assert.Contains(t, logs.String(), "replay")
	// A delivery that was not acted on (unknown repository) is forgotten:
	// once the repository is known, the redelivery works.
	u := signed(Generic, "gen-secret", `{"repository":"https://git.example.com/new/repo.git","ref":"refs/heads/main"}`, "gen-20")
	assert.Equal(t, http.StatusNotFound, send(t, w, http.MethodPost, "/webhooks/generic", "application/json", u).Code)
	h.known = "https://git.example.com/new/repo"
	assert.Equal(t, http.StatusAccepted, send(t, w, http.MethodPost, "/webhooks/generic", "application/json", u).Code)
}

func TestWebhookEventsThatAreNotPushes(t *testing.T) {
	w, h, _, _ := newTestReceiver(t)
	ping := signed(GitHub, "gh-secret", `{"zen":"hi"}`, "gh-ping")
	ping.headers["X-GitHub-Event"] = "ping"
	assert.Equal(t, http.StatusOK, send(t, w, http.MethodPost, "/webhooks/github", "application/json", ping).Code)
	issue := signed(GitHub, "gh-secret", `{"action":"opened"}`, "gh-issue")
	issue.headers["X-GitHub-Event"] = "issues"
	assert.Equal(t, http.StatusAccepted, send(t, w, http.MethodPost, "/webhooks/github", "application/json", issue).Code)
	// A ping with a bad signature is refused like anything else.
	ping.headers["X-Hub-Signature-256"] = "sha256=" + strings.Repeat("0", 64)
	assert.Equal(t, http.StatusUnauthorized, send(t, w, http.MethodPost, "/webhooks/github", "application/json", ping).Code)
	assert.Empty(t, h.pushes)
}

func TestWebhookDisabledProvider(t *testing.T) {
	w, h, _, counts := newTestReceiver(t)
	w.Secrets = secrets{GitHub: "gh-secret"}
	rec := send(t, w, http.MethodPost, "/webhooks/gitlab", "application/json", signed(GitLab, "", gitlabPush, "x"))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), "not enabled")
	assert.Equal(t, 1, counts["gitlab disabled"])
	assert.Empty(t, h.pushes)
}
