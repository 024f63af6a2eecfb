package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// internals are words of the library that a user never typed: option
// names, package prefixes, go-containerregistry's parser.
var internals = regexp.MustCompile(`\bWith[A-Z]\w+|pipeline:|goldenpath\.|a digest must contain|could not parse reference|exactly one '@'`)

// Every usage error exits 2 and says what the user did and what to do, in
// the user's words (issue 13, section 6).
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	contract := "../../examples/contracts/dev/payments-api.yaml"
	digest := "@sha256:" + strings.Repeat("a", 64)
	notReport := filepath.Join(dir, "not-a-report.json")
	require.NoError(t, os.WriteFile(notReport, []byte("apiVersion: goldenpath.io/v1\n"), 0o644))
	keys := filepath.Join(dir, "keys")
	t.Setenv("COSIGN_PASSWORD", "")
	require.Equal(t, cli.ExitOK, runIn(t, "", "keygen", "--out", keys).code)

	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		want  string // in stderr
	}{
		{"validate: a missing file", "", []string{"validate", "nope.yaml"}, "goldenpath: nope.yaml: no such file or directory\n"},
		{"render: a missing file", "", []string{"render", "nope.yaml"}, "goldenpath: nope.yaml: no such file or directory\n"},
		{"render: a missing platform file", "", []string{"render", "--platform", "nope.yaml", contract}, "nope.yaml"},
		{"render --image with a tag", "", []string{"render", "--image", "payments-api=registry.example.com/dev/payments-api:1.0", contract},
			`goldenpath: --image "registry.example.com/dev/payments-api:1.0" is not an image pinned by digest: give REPOSITORY@sha256:DIGEST`},
		{"render --image, a bare tag", "", []string{"render", "--image", "registry.example.com/dev/payments-api", contract}, "is not an image pinned by digest"},
		{"render --image, a short digest", "", []string{"render", "--image", "r/p@sha256:123", contract}, "is not an image pinned by digest"},
		{"render --image with no image", "", []string{"render", "--image", "payments-api=", contract}, `no image after "payments-api="`},
		{"rebase: nothing to rebase", "", []string{"rebase"}, "give images (IMAGE..., --images-file) or contracts (-f)"},
		{"rebase: empty stdin", "", []string{"rebase", "--images-file", "-"}, "--images-file -: standard input holds no image references"},
		{"rebase: only comments on stdin", "# none\n\n", []string{"rebase", "--images-file", "-"}, "holds no image references"},
		{"rebase: two references on a line", "a/b:1 c/d:2\n", []string{"rebase", "--images-file", "-"}, `--images-file standard input: line 1: one image reference per line, got "a/b:1 c/d:2"`},
		{"rebase: a missing images file", "", []string{"rebase", "--images-file", "nope.txt"}, "--images-file nope.txt: no such file or directory"},
		{"rebase: not a report to resume", "", []string{"rebase", "r/a:1", "--resume", notReport}, "--resume " + notReport + ": not a rebase report"},
		{"rebase: no concurrency", "", []string{"rebase", "r/a:1", "--concurrency", "0"}, "--concurrency 0: give at least 1"},
		{"rebase: an insecure registry that is no host", "", []string{"rebase", "r/a:1", "--insecure-registry", "http://r"}, `--insecure-registry: "http://r" is not a registry host[:port]`},
		{"plan: a missing contract folder", "", []string{"plan", "nope/"}, "nope/: no such file or directory"},
		{"plan: a revision without SHA", "", []string{"plan", "--image", "r/a:1", "--revision", "web"}, `--revision "web": give APP=SHA`},
		{"validate: an unknown format", "", []string{"validate", "-o", "xml", contract}, `-o: unknown output format "xml" (use text, json or github)`},
		{"sign: an unknown format", "", []string{"sign", "r/a:1", "--key", "k", "-o", "yaml"}, `unknown output format "yaml" (use text or json)`},
		{"plan: an unknown format", "", []string{"plan", "-o", "yaml", "--image", "r/a:1"}, `(use text, json or rebase)`},
		{"sign: a missing key", "", []string{"sign", "r/a:1", "--key", "nope.key"}, "goldenpath: --key nope.key: no such file or directory\n"},
		{"verify: a folder as key", "", []string{"verify", "r/a:1", "--key", dir}, "--key " + dir + ": not a regular file"},
		{"verify: no key", "", []string{"verify", "r/a" + digest}, "--key cosign.pub is required"},
		{"verify: no image", "", []string{"verify"}, "accepts 1 arg(s), received 0"},
		{"build: no contract", "", []string{"build", "--source", "."}, "-f CONTRACT and --source DIR|GIT_URL are required"},
		{"build: a missing contract", "", []string{"build", "-f", "nope.yaml", "--source", "."}, "nope.yaml: no such file or directory"},
		{"build: --out without --publish", "", []string{"build", "-f", contract, "--source", ".", "--out", dir}, "--out needs --publish REGISTRY"},
		{"build: a binding that is no SECRET=DIR", "", []string{"build", "-f", contract, "--source", ".", "--binding", "corp-npm"}, `--binding "corp-npm": want SECRET=DIR`},
		{"build: a binding given twice", "", []string{"build", "-f", contract, "--source", ".", "--binding", "a=x", "--binding", "a=y"}, "--binding a given twice: give it once"},
		{"keygen over a pair", "", []string{"keygen", "--out", keys}, "cosign.key exists: remove it, choose another folder with --out, or replace the pair with --force"},
		{"promote: no tree", "", []string{"promote", contract}, "--out is required"},
		{"update-stacks: no cluster without a dry run", "", []string{"platform", "update-stacks", "--kubeconfig", "-"}, "--kubeconfig - (no cluster) needs --dry-run"},
		{"an unknown command", "", []string{"nonsense"}, `unknown command "nonsense"`},
		{"an unknown flag", "", []string{"validate", "--nope", contract}, "unknown flag: --nope"},
		{"version takes no argument", "", []string{"version", "x"}, `unknown command "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runIn(t, c.stdin, c.args...)
			assert.Equal(t, cli.ExitUsage, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, c.want)
			assert.NotRegexp(t, internals, r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

// Messages about counts say "1 problem", not "1 problems".
func TestMessagesCountInEnglish(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	bad := strings.Replace(string(data), "replicas: 2", "replicas: -1", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644))
	r := runIn(t, "", "render", filepath.Join(dir, "bad.yaml"))
	assert.Equal(t, cli.ExitFailure, r.code)
	assert.Contains(t, r.stderr, "goldenpath: 1 problem; nothing was rendered\n")
}

// pflag takes the backquoted word of a flag's help as its value's name:
// every flag shows a name in capitals (--platform FILE), never a phrase.
func TestFlagHelpNamesValues(t *testing.T) {
	root := cli.NewRootCommand(cli.Streams{})
	var walk func(*cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			name, usage := pflag.UnquoteUsage(f)
			seen++
			assert.NotContains(t, usage, "`", "%s --%s", c.CommandPath(), f.Name)
			assert.NotContains(t, name, " ", "%s --%s shows the value name %q", c.CommandPath(), f.Name, name)
			if f.Name == "platform" {
				assert.Equal(t, "FILE", name, "%s --platform", c.CommandPath())
			}
			if f.Value.Type() == "string" || f.Value.Type() == "stringArray" {
				assert.Regexp(t, `^[A-Z][A-Z0-9_\[\]:/=.|]*$|^string$|^stringArray$`, name, "%s --%s", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	assert.Greater(t, seen, 50)

	r := runIn(t, "", "render", "--help")
	assert.Regexp(t, `--platform FILE +Platform FILE \(default: the embedded default platform; see 'goldenpath platform default'\)`, r.stdout)
}

// The exit codes are documented once, in the root command's help.
func TestHelpDocumentsExitCodes(t *testing.T) {
	r := runIn(t, "", "--help")
	require.Equal(t, cli.ExitOK, r.code)
	for _, want := range []string{"Exit status, for every command:", "  2    usage error", "  130  interrupted by SIGINT (143: SIGTERM)"} {
		assert.Contains(t, r.stdout, want)
	}
	for _, cmd := range []string{"platform render", "platform default"} {
		r := runIn(t, "", append(strings.Fields(cmd), "--help")...)
		assert.Contains(t, r.stdout, "Examples:\n  goldenpath "+cmd, cmd)
	}
}
