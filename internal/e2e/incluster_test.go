//go:build incluster

package e2e_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/controller"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// TestGoldenPathRunsByItself is the in-cluster golden path with goldenpath's
// controller: after the install (the project's commands), the test only does
// what a user does — git push a source change, push a patched run image,
// push a broken commit — and checks that the change reaches the running apps
// (or is explained) with no one in the loop. Then the faults: a webhook
// with a bad signature, an unsigned image, the controller killed between
// build and pin, the git server down during a promotion. Figures are
// printed (FIGURE lines) and written to
// $GOLDENPATH_CACHE/incluster/ctl/figures.txt; INCLUSTER_RUNS (default 3)
// sets how many pushes per app are measured.
//
//	go test -tags incluster -count=1 -timeout 90m -run TestGoldenPathRunsByItself ./internal/e2e/
func TestGoldenPathRunsByItself(t *testing.T) {
	s, apps := setupScenario(t)
	dev, unsigned := apps[:len(apps)-1], apps[len(apps)-1]
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("INCLUSTER_RUNS")); err == nil && n > 0 {
		runs = n
	}

	t.Run("unsigned image is refused, not pinned, visible", func(t *testing.T) {
		var st []cluster.AppStatus
		s.eventually(15*time.Minute, "ctl-unsigned refused", func() error {
			st = s.status(unsigned.app)
			if len(st) != 1 || st[0].LatestBuild == nil || st[0].LatestBuild.Signed != "no" {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		}, func() string { return s.describe(unsigned) })
		b := st[0].LatestBuild
		assert.Equal(t, "succeeded", b.Result, "kpack built it")
		assert.Contains(t, b.Refused, "unsigned")
		assert.Empty(t, b.Pinned)
		assert.Empty(t, st[0].Pinned, "the Deployment is not pinned")
		deployment := s.gitopsFile("test/ctl-unsigned/deployment.yaml")
		img, err := render.DeploymentImage(deployment)
		require.NoError(t, err)
		assert.NotContains(t, img, "@sha256:", "git holds no pin for it")
		// kpack pushed the unsigned image to its tag; the unpinned
		// Deployment follows that tag but waits for a verified pin with
		// replicas 0 (render's verify gate), so nothing runs it.
		assert.Contains(t, string(deployment), "\n  replicas: 0\n")
		s.eventually(10*time.Minute, "Argo CD synced ctl-unsigned's Deployment", func() error {
			if r := s.kubectl("-n", ctlTest, "get", "deployment", "ctl-unsigned", "--ignore-not-found", "-o", "jsonpath={.spec.replicas}"); r != "0" {
				return fmt.Errorf("spec.replicas %q", r)
			}
			return nil
		})
		assert.Empty(t, s.kubectl("-n", ctlTest, "get", "pods", "-l", "app.kubernetes.io/name=ctl-unsigned,app.kubernetes.io/component=server", "-o", "name"),
			"no pod of the Deployment runs the unverified image (kpack's build pods carry the Image's labels, component=build)")
		s.eventually(2*time.Minute, "goldenpath status says ctl-unsigned waits for its first verified pin", func() error {
			if w := s.status(unsigned.app)[0].WaitingFor; !strings.HasPrefix(w, "waiting for the first verified pin") {
				return fmt.Errorf("waitingFor %q", w)
			}
			return nil
		})
		assert.Contains(t, s.events(ctlTest, "ctl-unsigned", "PromotionRefused"), "the digest is not signed")
		assert.Contains(t, s.metrics(), `goldenpath_promotion_refusals_total{reason="unsigned"}`)
	})

	t.Run("push -> new version answers", func(t *testing.T) {
		for i := 1; i <= runs; i++ {
			for _, a := range dev {
				start := time.Now()
				s.pushChange(a, fmt.Sprintf("run %d", i), true)
				s.waitAnswer(a, a.answer, 10*time.Minute)
				s.figs.add(t, fmt.Sprintf("push -> new version answers HTTP: %s (run %d)", a.app, i), time.Since(start))
			}
		}
		// Each pin commit names the app, build, reasons and digest.
		msg := testenv.Git(t, s.gitopsClone(), "log", "-1", "--format=%B")
		assert.Regexp(t, `goldenpath: pin dev/ctl-\w+ to build \d+ \(COMMIT\)`, msg)
		assert.Contains(t, msg, "Goldenpath-Pin: dev/ctl-")
	})

	t.Run("webhook with a bad signature is refused, nothing triggered", func(t *testing.T) {
		a := dev[0]
		before := s.kubectl("-n", a.ns, "get", "sourceresolver.kpack.io", a.app+"-source", "-o", "jsonpath={.metadata.annotations."+strings.ReplaceAll(controller.ResolveAnnotation, ".", `\.`)+"}")
		body := fmt.Sprintf(`{"ref":"refs/heads/main","after":"%s","repository":{"clone_url":"%s/%s.git"}}`,
			strings.Repeat("1", 40), s.git.clusterHTTPS, a.repo)
		for _, sig := range []string{hex.EncodeToString(controller.Sign([]byte("not the secret"), []byte(body))), ""} {
			req, err := http.NewRequest(http.MethodPost, s.git.hookURL, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Gitea-Event", "push")
			req.Header.Set("X-Gitea-Delivery", randomHex(8))
			if sig != "" {
				req.Header.Set("X-Gitea-Signature", sig)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		}
		after := s.kubectl("-n", a.ns, "get", "sourceresolver.kpack.io", a.app+"-source", "-o", "jsonpath={.metadata.annotations."+strings.ReplaceAll(controller.ResolveAnnotation, ".", `\.`)+"}")
		assert.Equal(t, before, after, "the SourceResolver was not asked to resolve")
		assert.Contains(t, s.metrics(), `goldenpath_webhook_deliveries_total{provider="gitea",result="bad-signature"} 2`)
		assert.Contains(t, s.controllerLogs(), `"result":"bad-signature"`)
	})

	t.Run("broken commit -> failing step and compiler message", func(t *testing.T) {
		a := dev[0] // go
		main := filepath.Join(a.src, "examples", "apps", "go", "main.go")
		good, err := os.ReadFile(main)
		require.NoError(t, err)
		broken := strings.Replace(string(good), "mux := http.NewServeMux()", "mux := http.NewServeMux()\n\t_ = brokenOnPurpose", 1)
		require.NoError(t, os.WriteFile(main, []byte(broken), 0o644))
		oldBuild := s.kubectl("-n", a.ns, "get", "image.kpack.io", a.app, "-o", "jsonpath={.status.latestBuildRef}")
		testenv.Git(t, a.src, "commit", "--quiet", "-am", "a broken commit")
		testenv.Git(t, a.src, "push", "--quiet", s.git.hostURL+"/"+a.repo+".git", "main")
		var build string
		var podEnded time.Time
		s.eventually(10*time.Minute, "the broken build's pod ends", func() error {
			build = s.kubectl("-n", a.ns, "get", "image.kpack.io", a.app, "-o", "jsonpath={.status.latestBuildRef}")
			if build == oldBuild || build == "" {
				return fmt.Errorf("no new build yet")
			}
			phase := s.kubectl("-n", a.ns, "get", "pod", build+"-build-pod", "-o", "jsonpath={.status.phase}", "--ignore-not-found")
			if phase != "Failed" {
				return fmt.Errorf("pod phase %q", phase)
			}
			podEnded = time.Now()
			return nil
		})
		var st []cluster.AppStatus
		s.eventually(2*time.Minute, "failure step in goldenpath status", func() error {
			st = s.status(a.app)
			if b := st[0].LatestBuild; b == nil || b.Name != build || b.FailedStep == "" || !strings.Contains(b.Excerpt, "brokenOnPurpose") {
				return fmt.Errorf("status %+v", st[0].LatestBuild)
			}
			return nil
		})
		shown := time.Since(podEnded)
		ev := ""
		s.eventually(time.Minute, "BuildFailed Event on the Image", func() error {
			if ev = s.events(a.ns, a.app, "BuildFailed"); !strings.Contains(ev, build) {
				return fmt.Errorf("events: %s", ev)
			}
			return nil
		})
		s.figs.add(t, "broken commit: build pod ended -> step + message in status and Event", shown, "(poll 200 ms)")
		b := st[0].LatestBuild
		assert.Equal(t, "failed", b.Result)
		assert.Equal(t, "build", b.FailedStep)
		assert.Contains(t, b.Excerpt, "undefined: brokenOnPurpose")
		assert.Contains(t, ev, "failed in step build")
		text, err := s.goldenpath("status", "--platform", s.platform, a.app)
		require.NoError(t, err)
		assert.Contains(t, text, "undefined: brokenOnPurpose")
		t.Logf("goldenpath status %s:\n%s", a.app, text)
		logs, err := s.goldenpath("logs", "--platform", s.platform, a.app)
		require.NoError(t, err)
		assert.Contains(t, logs, "===> BUILD")
		assert.Contains(t, logs, "brokenOnPurpose")
		// The controller's status page, read in Chromium, says the same.
		func() {
			page := s.openStatusPage()
			defer page.Close()
			_, rows := page.agreeWithStatus("after the broken commit")
			r := rows["dev/"+a.app]
			assert.Equal(t, "failed", r.Result)
			assert.Equal(t, "build", r.FailedStep)
			assert.Contains(t, r.Excerpt, "undefined: brokenOnPurpose")
			assert.False(t, r.ExcerptShown, "the excerpt is collapsed until asked for")
			u := rows["test/"+unsigned.app]
			assert.Equal(t, "no", u.Signed)
			assert.Contains(t, u.Refused, "unsigned")
			assert.Equal(t, "waiting for the first verified pin", u.Waiting)
			assert.Contains(t, u.WaitingFor, "no pod runs until a signed digest is pinned")
			for _, d := range dev[1:] {
				assert.Contains(t, rows["dev/"+d.app].Pinned, "sha256:", "%s is pinned", d.app)
				assert.Empty(t, rows["dev/"+d.app].Waiting, d.app)
			}
			page.screenshots("/?per=all&refresh=0", "apps", `document.querySelector('#app-dev-`+a.app+` details.failure').open = true`)
		}()
		// The series KpackBuildFailed alerts on.
		m := s.metrics()
		assert.Contains(t, m, fmt.Sprintf(`kpack_build_status{image=%q,namespace=%q,status="failed"} 1`, a.app, a.ns))
		assert.Contains(t, m, `goldenpath_build_failures_total{step="build"}`)
		assert.Contains(t, m, `kpack_builder_ready{builder="default"} 1`)
		assert.Contains(t, m, `kpack_build_duration_seconds_bucket`)
		assert.Contains(t, m, `kpack_image_rebuilds_total{reason="COMMIT"}`)
		s.saveMetrics("metrics-build-failed.txt", m)
		// The fix: the app serves again, still the last good version meanwhile.
		require.NoError(t, os.WriteFile(main, good, 0o644))
		testenv.Git(t, a.src, "commit", "--quiet", "-am", "fix the build")
		testenv.Git(t, a.src, "push", "--quiet", s.git.hostURL+"/"+a.repo+".git", "main")
		s.pushChange(a, "after the fix", true)
		s.waitAnswer(a, a.answer, 10*time.Minute)
		assert.Contains(t, s.metrics(), fmt.Sprintf(`kpack_build_status{image=%q,namespace=%q,status="succeeded"} 1`, a.app, a.ns))
	})

	t.Run("patched run image -> every app serves from it", func(t *testing.T) {
		patch := "ctl-" + randomHex(6)
		start := time.Now()
		s.patchRunImage(patch)
		for _, a := range dev {
			s.eventually(10*time.Minute, a.app+" runs on the patched run image", func() error {
				out, err := s.c.Exec(context.Background(), a.ns, a.app, "cat", "/etc/goldenpath-patch")
				if err != nil || strings.TrimSpace(string(out)) != patch {
					return fmt.Errorf("/etc/goldenpath-patch: %q %v", out, err)
				}
				if img := s.kubectl("-n", a.ns, "get", "deploy", a.app, "-o", "jsonpath={.spec.template.spec.containers[0].image}"); !strings.Contains(img, "@sha256:") {
					return fmt.Errorf("not pinned: %s", img)
				}
				return nil
			}, func() string { return s.describe(a) })
			s.waitAnswer(a, a.answer, 5*time.Minute)
		}
		s.figs.add(t, "patched run image pushed -> every app serving from it", time.Since(start), fmt.Sprintf("(%d apps)", len(dev)))
		for _, a := range dev {
			st := s.status(a.app)
			assert.True(t, st[0].RunImageCurrent, "%s runs on the newest run image", a.app)
			assert.Contains(t, st[0].LatestBuild.Reason, "STACK")
		}
		// The controller's status page, read in Chromium: every dev app
		// patched and pinned, the roll-out complete but for ctl-unsigned.
		page := s.openStatusPage()
		defer page.Close()
		f, rows := page.agreeWithStatus("after the patched run image")
		for _, a := range dev {
			r := rows["dev/"+a.app]
			assert.Equal(t, cluster.StatePatched, r.State, a.app)
			assert.Equal(t, "succeeded", r.Result, a.app)
			assert.Equal(t, "yes", r.Signed, a.app)
			assert.Contains(t, r.Pinned, "sha256:", a.app)
			assert.Empty(t, r.Waiting, a.app)
		}
		u := rows["test/"+unsigned.app]
		assert.Equal(t, "no", u.Signed)
		assert.Equal(t, "waiting for the first verified pin", u.Waiting)
		assert.NotContains(t, u.Pinned, "sha256:")
		require.NoError(t, page.page.Navigate(page.ctx, page.url+"/rollout?refresh=0"))
		rollouts, err := page.page.Rollouts(page.ctx)
		require.NoError(t, err)
		require.Len(t, rollouts, len(f.Rollouts))
		for i, r := range rollouts {
			want := f.Rollouts[i]
			assert.Equal(t, want.Stack, r.Stack)
			assert.Equal(t, strconv.Itoa(want.Serving), r.Serving, "serving from the newest run image")
			assert.Equal(t, strconv.Itoa(want.Apps), r.Apps)
			var behind []string
			for _, b := range r.Behind {
				behind = append(behind, b.Environment+"/"+b.Application)
			}
			assert.NotContains(t, behind, "dev/ctl-go")
		}
		page.screenshots("/rollout?refresh=0", "rollout", "")
	})

	t.Run("controller killed between build and pin: the pin lands once", func(t *testing.T) {
		a := dev[0]
		release := s.git.holdGitOps()
		defer release()
		start := time.Now()
		s.pushChange(a, "kill -9", true)
		select {
		case <-s.git.held:
		case <-time.After(10 * time.Minute):
			t.Fatalf("the controller never pushed a pin\n%s", s.describe(a))
		}
		build := s.kubectl("-n", a.ns, "get", "image.kpack.io", a.app, "-o", "jsonpath={.status.latestBuildRef}")
		restarts := s.restarts()
		s.killController()
		release()
		s.eventually(3*time.Minute, "the controller restarted", func() error {
			if r := s.restarts(); r <= restarts {
				return fmt.Errorf("restarts %d", r)
			}
			return nil
		})
		s.waitAnswer(a, a.answer, 10*time.Minute)
		s.figs.add(t, "kill -9 between build and pin -> new version answers", time.Since(start), "(incl. restart and lease)")
		n := s.pinCommits(a, build)
		assert.Equal(t, 1, n, "exactly one pin commit for %s", build)
	})

	t.Run("git server down during a promotion: retried, once", func(t *testing.T) {
		a := dev[1]
		s.git.down()
		up := false
		defer func() {
			if !up {
				s.git.up()
			}
		}()
		start := time.Now()
		s.pushChange(a, "git down", true)
		s.eventually(10*time.Minute, "a promotion failed on the git server", func() error {
			if !regexp.MustCompile(`goldenpath_promotions_total\{environment="dev",result="error"\} [1-9]`).MatchString(s.metrics()) {
				return fmt.Errorf("no failed promotion yet")
			}
			return nil
		})
		time.Sleep(3 * time.Second) // a retry or two more while it is down
		s.git.up()
		up = true
		s.waitAnswer(a, a.answer, 10*time.Minute)
		s.figs.add(t, "git server down during promotion -> new version answers", time.Since(start), "(down until a retry failed + 3 s)")
		build := s.kubectl("-n", a.ns, "get", "image.kpack.io", a.app, "-o", "jsonpath={.status.latestBuildRef}")
		assert.Equal(t, 1, s.pinCommits(a, build), "exactly one pin commit for %s", build)
	})
	s.saveMetrics("metrics-end.txt", s.metrics())
	t.Logf("figures (%s):\n%s", s.figs.file, strings.Join(s.figs.lines, "\n"))
}

// pushChange commits a new answer for the app and pushes it (what a
// developer does); with push false it only commits.
func (s *scenario) pushChange(a *sampleApp, why string, push bool) {
	s.t.Helper()
	dir := filepath.Join(a.src, "examples", "apps", a.lang)
	next := fmt.Sprintf("hello from goldenpath %s app (%s, %s)", a.lang, why, randomHex(3))
	n := 0
	require.NoError(s.t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(data, []byte(a.answer)) {
			return err
		}
		n++
		return os.WriteFile(p, bytes.ReplaceAll(data, []byte(a.answer), []byte(next)), info.Mode())
	}))
	require.NotZero(s.t, n, "no file of %s says %q", dir, a.answer)
	a.answer = next
	testenv.Git(s.t, a.src, "commit", "--quiet", "-am", why)
	if push {
		testenv.Git(s.t, a.src, "push", "--quiet", s.git.hostURL+"/"+a.repo+".git", "main")
	}
}

// status runs `goldenpath status -o json` for an app.
func (s *scenario) status(app string) []cluster.AppStatus {
	s.t.Helper()
	out, err := s.goldenpath("status", "--platform", s.platform, "-o", "json", app)
	require.NoError(s.t, err)
	var f cluster.Fleet // status -o json is the fleet (the status page's JSON) since the status page
	require.NoError(s.t, json.Unmarshal([]byte(out), &f))
	require.Len(s.t, f.Apps, 1)
	return f.Apps
}

// events are the messages of an object's Events with a reason.
func (s *scenario) events(ns, name, reason string) string {
	return s.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name="+name+",reason="+reason,
		"-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
}

// metrics reads the controller's /metrics through the API server.
func (s *scenario) metrics() string {
	body, err := s.get(fmt.Sprintf("/api/v1/namespaces/%s/services/%s:metrics/proxy/metrics", ctlSystem, render.ControllerName))
	require.NoError(s.t, err)
	return body
}

func (s *scenario) saveMetrics(name, m string) {
	_ = os.WriteFile(filepath.Join(s.work, name), []byte(m), 0o644)
}

func (s *scenario) controllerLogs() string {
	out, _ := s.c.Kube(context.Background(), nil, "-n", ctlSystem, "logs", "deploy/"+render.ControllerName, "--tail=2000")
	return string(out)
}

// gitopsClone fetches the GitOps repository into the test's clone and
// returns its folder.
func (s *scenario) gitopsClone() string {
	dir := filepath.Join(s.work, "gitops")
	testenv.Git(s.t, dir, "pull", "--quiet", "--ff-only", s.git.hostURL+"/"+gitopsRepo+".git", "main")
	return dir
}

func (s *scenario) gitopsFile(name string) []byte {
	data, err := os.ReadFile(filepath.Join(s.gitopsClone(), name))
	require.NoError(s.t, err)
	return data
}

// pinCommits counts the commits pinning a build of the app.
func (s *scenario) pinCommits(a *sampleApp, build string) int {
	log := testenv.Git(s.t, s.gitopsClone(), "log", "--format=%B")
	return strings.Count(log, fmt.Sprintf("Goldenpath-Pin: %s/%s build=%s ", a.env, a.app, build))
}

// restarts is the controller container's restart count.
func (s *scenario) restarts() int {
	out := s.kubectl("-n", ctlSystem, "get", "pods", "-l", "app.kubernetes.io/name="+render.ControllerName,
		"-o", "jsonpath={.items[*].status.containerStatuses[*].restartCount}")
	n := 0
	for _, f := range strings.Fields(out) {
		v, _ := strconv.Atoi(f)
		n += v
	}
	return n
}

// killController sends SIGKILL to the controller's process on the kind
// node (the container restarts, as after a crash: no graceful shutdown,
// no lease released).
func (s *scenario) killController() {
	s.t.Helper()
	node := s.env["GOLDENPATH_KIND_NODE"]
	script := `for d in /proc/[0-9]*; do
  if [ "$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)" = "/goldenpath controller --platform ` + render.ControllerPlatformFile + ` " ]; then echo "${d#/proc/}"; fi
done`
	out, err := exec.Command("/usr/bin/docker", "exec", node, "sh", "-c", script).CombinedOutput()
	require.NoError(s.t, err, "%s", out)
	pids := strings.Fields(string(out))
	require.Len(s.t, pids, 1, "one controller process on node %s: %q", node, out)
	out, err = exec.Command("/usr/bin/docker", "exec", node, "kill", "-9", pids[0]).CombinedOutput()
	require.NoError(s.t, err, "%s", out)
	s.t.Logf("killed the controller (pid %s on %s) with SIGKILL", pids[0], node)
}
