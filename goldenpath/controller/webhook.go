package controller

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// Provider is a git hosting service's webhook format. Each has its own path
// on the receiver, /webhooks/<provider>, and its own key in the webhook
// Secret: the path decides which headers are read, never the headers.
type Provider string

// The webhook formats the receiver understands.
const (
	// GitHub: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the body;
	// X-GitHub-Event push; X-GitHub-Delivery.
	GitHub Provider = "github"
	// GitLab: X-Gitlab-Token = the secret itself (GitLab signs nothing);
	// X-Gitlab-Event "Push Hook" or "Tag Push Hook"; X-Gitlab-Event-UUID.
	GitLab Provider = "gitlab"
	// Gitea and Forgejo: X-Gitea-Signature (or X-Forgejo-Signature) = hex
	// HMAC-SHA256 of the body, no prefix; X-Gitea-Event push; X-Gitea-Delivery.
	Gitea Provider = "gitea"
	// Generic: X-Goldenpath-Signature-256 = "sha256=" + hex HMAC-SHA256 of
	// the body; the body is {"repository": URL, "ref": "refs/heads/B",
	// "after": SHA}; X-Goldenpath-Delivery optional.
	Generic Provider = "generic"
)

// Providers lists the webhook formats.
var Providers = []Provider{GitHub, GitLab, Gitea, Generic}

// WebhookPath is the path prefix of the receiver: /webhooks/<provider>.
const WebhookPath = "/webhooks/"

// Push is a verified push event.
type Push struct {
	Provider Provider `json:"provider"`
	// Delivery is the provider's delivery ID (an unsigned header: for logs).
	Delivery string `json:"delivery,omitempty"`
	// Repositories are the URLs the payload gives for the repository
	// (clone URL, SSH URL, web URL): any of them may be the one an Image or
	// a GitOps repository names.
	Repositories []string `json:"repositories"`
	// Ref is the pushed ref, such as refs/heads/main.
	Ref string `json:"ref"`
	// After is the commit the ref points at now.
	After string `json:"after,omitempty"`
}

// Branch is the pushed branch ("" for a tag or another ref).
func (p Push) Branch() string {
	if b, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok {
		return b
	}
	return ""
}

// Tag is the pushed tag ("" for a branch or another ref).
func (p Push) Tag() string {
	if t, ok := strings.CutPrefix(p.Ref, "refs/tags/"); ok {
		return t
	}
	return ""
}

// Triggered is what a push set in motion.
type Triggered struct {
	// SourceResolvers are the kpack SourceResolvers (namespace/name) asked
	// to resolve now.
	SourceResolvers []string `json:"sourceResolvers,omitempty"`
	// Applications are the Argo CD Applications (namespace/name) asked to
	// refresh.
	Applications []string `json:"applications,omitempty"`
}

// ErrUnknownRepository: no kpack Image follows the pushed repository and
// ref, and no environment deploys from it.
var ErrUnknownRepository = errors.New("unknown repository")

// WebhookSecrets gives the secret of a provider (ok false: the provider is
// not enabled).
type WebhookSecrets interface {
	Secret(ctx context.Context, p Provider) (secret []byte, ok bool, err error)
}

// ReplayGuard remembers deliveries: Reserve records the keys and reports
// false when any of them was seen before (a replay); Release forgets them
// (the delivery was not acted on, so a redelivery must work).
type ReplayGuard interface {
	Reserve(ctx context.Context, keys []string) (fresh bool, err error)
	Release(ctx context.Context, keys []string) error
}

// PushHandler acts on a verified push: it returns what it triggered, or
// ErrUnknownRepository.
type PushHandler interface {
	HandlePush(ctx context.Context, p Push) (Triggered, error)
}

// WebhookReceiver is the git webhook endpoint. Each request is checked in
// this order, and the first failure answers with its status and one log
// line, triggering nothing: a known provider path (404), POST (405), a JSON
// content type (415), the provider enabled in the Secret (404), a body no
// larger than MaxBytes (413, decided from Content-Length before reading,
// and by a reader that stops at the limit), the signature or token, compared
// in constant time (401), not a replay of a delivery already received
// (409), a push event (other events: 202, ignored; a ping: 200), a payload
// that parses (400), a repository something follows (404). Accepted pushes
// answer 202 with what they triggered. Nothing the payload names is ever
// fetched: repositories are only compared with the ones the cluster knows.
type WebhookReceiver struct {
	Secrets  WebhookSecrets
	Replay   ReplayGuard
	Handler  PushHandler
	MaxBytes int64
	Log      *slog.Logger
	// Delivered, when set, counts each delivery by provider and result.
	Delivered func(p Provider, result string)
}

// Webhook results, as counted and logged.
const (
	resultAccepted     = "accepted"
	resultIgnored      = "ignored"
	resultBadSignature = "bad-signature"
	resultUnknownRepo  = "unknown-repository"
	resultTooLarge     = "too-large"
	resultReplay       = "replay"
	resultBadRequest   = "bad-request"
	resultDisabled     = "disabled"
	resultError        = "error"
)

func (w *WebhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, WebhookPath)
	p := Provider(name)
	if !ok || !knownProvider(p) {
		w.refuse(rw, r, "", http.StatusNotFound, resultBadRequest, "no such webhook: use "+WebhookPath+"{github,gitlab,gitea,generic}")
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		w.refuse(rw, r, p, http.StatusMethodNotAllowed, resultBadRequest, "method "+r.Method+" not allowed: POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		w.refuse(rw, r, p, http.StatusUnsupportedMediaType, resultBadRequest, "content type must be application/json (configure the webhook to send JSON)")
		return
	}
	secret, enabled, err := w.Secrets.Secret(r.Context(), p)
	if err != nil {
		w.refuse(rw, r, p, http.StatusServiceUnavailable, resultError, "reading the webhook secret: "+err.Error())
		return
	}
	if !enabled || len(secret) == 0 {
		w.refuse(rw, r, p, http.StatusNotFound, resultDisabled, "webhook provider "+string(p)+" is not enabled (no key "+string(p)+" in the webhook Secret)")
		return
	}
	if r.ContentLength > w.MaxBytes {
		w.refuse(rw, r, p, http.StatusRequestEntityTooLarge, resultTooLarge, fmt.Sprintf("body of %d bytes is larger than %d", r.ContentLength, w.MaxBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.MaxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.refuse(rw, r, p, http.StatusRequestEntityTooLarge, resultTooLarge, fmt.Sprintf("body larger than %d bytes", w.MaxBytes))
		} else {
			w.refuse(rw, r, p, http.StatusBadRequest, resultBadRequest, "reading the body: "+err.Error())
		}
		return
	}
	if err := verify(p, r.Header, body, secret); err != nil {
		w.refuse(rw, r, p, http.StatusUnauthorized, resultBadSignature, err.Error())
		return
	}
	delivery := deliveryID(p, r.Header)
	event := eventName(p, r.Header)
	switch {
	case p == GitHub && event == "ping":
		w.answer(rw, r, p, http.StatusOK, resultIgnored, map[string]any{"ignored": "ping"}, "delivery", delivery)
		return
	case !isPushEvent(p, event):
		w.answer(rw, r, p, http.StatusAccepted, resultIgnored, map[string]any{"ignored": "event " + event}, "delivery", delivery)
		return
	}
	keys := replayKeys(p, delivery, body)
	fresh, err := w.Replay.Reserve(r.Context(), keys)
	if err != nil {
		w.refuse(rw, r, p, http.StatusServiceUnavailable, resultError, "recording the delivery: "+err.Error())
		return
	}
	if !fresh {
		w.refuse(rw, r, p, http.StatusConflict, resultReplay, "delivery "+delivery+" was received before (replay)")
		return
	}
	push, err := parsePush(p, body)
	if err != nil {
		w.release(r.Context(), keys)
		w.refuse(rw, r, p, http.StatusBadRequest, resultBadRequest, "payload: "+err.Error())
		return
	}
	push.Delivery = delivery
	trig, err := w.Handler.HandlePush(r.Context(), push)
	switch {
	case errors.Is(err, ErrUnknownRepository):
		w.release(r.Context(), keys)
		w.refuse(rw, r, p, http.StatusNotFound, resultUnknownRepo, fmt.Sprintf("nothing follows %s %s", strings.Join(push.Repositories, " "), push.Ref))
	case err != nil:
		w.release(r.Context(), keys)
		w.refuse(rw, r, p, http.StatusInternalServerError, resultError, err.Error())
	default:
		w.answer(rw, r, p, http.StatusAccepted, resultAccepted, trig, "delivery", delivery, "ref", push.Ref, "after", push.After,
			"sourceResolvers", trig.SourceResolvers, "applications", trig.Applications)
	}
}

func (w *WebhookReceiver) release(ctx context.Context, keys []string) {
	if err := w.Replay.Release(ctx, keys); err != nil {
		w.Log.Warn("webhook: forgetting a delivery that was not acted on", "error", err)
	}
}

func (w *WebhookReceiver) refuse(rw http.ResponseWriter, r *http.Request, p Provider, status int, result, msg string) {
	if w.Delivered != nil && p != "" {
		w.Delivered(p, result)
	}
	// The message names no secret: signatures and tokens are never logged.
	w.Log.Warn("webhook refused", "provider", p, "status", status, "result", result, "reason", msg, "remote", r.RemoteAddr)
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(map[string]string{"error": msg})
}

func (w *WebhookReceiver) answer(rw http.ResponseWriter, r *http.Request, p Provider, status int, result string, body any, attrs ...any) {
	if w.Delivered != nil {
		w.Delivered(p, result)
	}
	w.Log.Info("webhook "+result, append([]any{"provider", p, "status", status, "remote", r.RemoteAddr}, attrs...)...)
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(body)
}

func knownProvider(p Provider) bool {
	for _, k := range Providers {
		if k == p {
			return true
		}
	}
	return false
}

// verify checks the request's signature (or GitLab's token) against the
// secret, in constant time.
func verify(p Provider, h http.Header, body, secret []byte) error {
	switch p {
	case GitLab:
		token := h.Get("X-Gitlab-Token")
		if token == "" {
			return errors.New("no X-Gitlab-Token header")
		}
		// Compare digests: equal length, so the time taken says nothing
		// about the secret's length or content.
		a, b := sha256.Sum256([]byte(token)), sha256.Sum256(secret)
		if !hmac.Equal(a[:], b[:]) {
			return errors.New("X-Gitlab-Token does not match")
		}
		return nil
	case GitHub:
		return verifyHMAC(h, "X-Hub-Signature-256", "sha256=", body, secret)
	case Generic:
		return verifyHMAC(h, "X-Goldenpath-Signature-256", "sha256=", body, secret)
	case Gitea:
		header := "X-Gitea-Signature"
		if h.Get(header) == "" && h.Get("X-Forgejo-Signature") != "" {
			header = "X-Forgejo-Signature"
		}
		return verifyHMAC(h, header, "", body, secret)
	}
	return fmt.Errorf("unknown provider %q", p)
}

func verifyHMAC(h http.Header, header, prefix string, body, secret []byte) error {
	v := h.Get(header)
	if v == "" {
		return fmt.Errorf("no %s header", header)
	}
	hexSig, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return fmt.Errorf("%s does not start with %q", header, prefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%s is not a hex SHA-256 HMAC", header)
	}
	if !hmac.Equal(got, Sign(secret, body)) {
		return fmt.Errorf("%s does not match the body", header)
	}
	return nil
}

// Sign is the HMAC-SHA256 of body with secret: what GitHub, Gitea and the
// generic form send, hex-encoded (GitHub and the generic form prefix it
// with "sha256=").
func Sign(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

func deliveryID(p Provider, h http.Header) string {
	var names []string
	switch p {
	case GitHub:
		names = []string{"X-GitHub-Delivery"}
	case GitLab:
		names = []string{"X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID"}
	case Gitea:
		names = []string{"X-Gitea-Delivery", "X-Forgejo-Delivery"}
	case Generic:
		names = []string{"X-Goldenpath-Delivery"}
	}
	for _, n := range names {
		if v := h.Get(n); v != "" {
			if len(v) > 200 {
				v = v[:200]
			}
			return v
		}
	}
	return ""
}

func eventName(p Provider, h http.Header) string {
	switch p {
	case GitHub:
		return h.Get("X-GitHub-Event")
	case GitLab:
		return h.Get("X-Gitlab-Event")
	case Gitea:
		if e := h.Get("X-Gitea-Event"); e != "" {
			return e
		}
		return h.Get("X-Forgejo-Event")
	}
	return "push"
}

func isPushEvent(p Provider, event string) bool {
	switch p {
	case GitLab:
		return event == "Push Hook" || event == "Tag Push Hook"
	case Generic:
		return true
	}
	return event == "push"
}

// replayKeys identify a delivery: its signed body (a replayed request has
// the same body, whatever delivery header an attacker sets) and, when the
// provider sends one, its delivery ID.
func replayKeys(p Provider, delivery string, body []byte) []string {
	sum := sha256.Sum256(body)
	keys := []string{string(p) + ".body." + hex.EncodeToString(sum[:16])}
	if delivery != "" {
		d := sha256.Sum256([]byte(delivery))
		keys = append(keys, string(p)+".id."+hex.EncodeToString(d[:16]))
	}
	return keys
}

// pushPayload holds the fields read from every format's push payload.
type pushPayload struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Repository any    `json:"repository"`
	Project    *struct {
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
		WebURL     string `json:"web_url"`
	} `json:"project"`
}

type repoFields struct {
	CloneURL   string `json:"clone_url"`
	SSHURL     string `json:"ssh_url"`
	GitURL     string `json:"git_url"`
	HTMLURL    string `json:"html_url"`
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	URL        string `json:"url"`
}

func parsePush(p Provider, body []byte) (Push, error) {
	var pl pushPayload
	if err := json.Unmarshal(body, &pl); err != nil {
		return Push{}, fmt.Errorf("not JSON: %v", err)
	}
	out := Push{Provider: p, Ref: pl.Ref, After: pl.After}
	add := func(urls ...string) {
		for _, u := range urls {
			if u != "" && len(u) <= 2048 {
				out.Repositories = append(out.Repositories, u)
			}
		}
	}
	switch repo := pl.Repository.(type) {
	case string: // the generic form
		add(repo)
	case map[string]any:
		data, _ := json.Marshal(repo)
		var rf repoFields
		_ = json.Unmarshal(data, &rf)
		add(rf.CloneURL, rf.GitHTTPURL, rf.SSHURL, rf.GitSSHURL, rf.GitURL, rf.HTMLURL, rf.URL)
	}
	if pl.Project != nil {
		add(pl.Project.GitHTTPURL, pl.Project.GitSSHURL, pl.Project.WebURL)
	}
	switch {
	case len(out.Repositories) == 0:
		return Push{}, errors.New("no repository URL")
	case !strings.HasPrefix(out.Ref, "refs/"):
		return Push{}, fmt.Errorf("ref %q is not a full ref name (refs/heads/BRANCH)", out.Ref)
	}
	return out, nil
}
