package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// platformWith is the default platform with an egress block (YAML, indented two spaces) and, optionally, one
// for the default builder.
func platformWith(t *testing.T, global, builder string) (*contract.Platform, error) {
	t.Helper()
	data := string(contract.DefaultPlatformYAML())
	if builder != "" {
		anchor := "      runImage: registry.goldenpath.io/platform/stacks/jammy-run:latest\n"
		require.Contains(t, data, anchor)
		data = strings.Replace(data, anchor, anchor+"    egress:\n"+indent(builder, "      "), 1)
	}
	if global != "" {
		data += "egress:\n" + indent(global, "  ")
	}
	return contract.LoadPlatform("platform.yaml", []byte(data))
}

func indent(s, by string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(by + l + "\n")
	}
	return b.String()
}

const fullNetwork = `mirrors:
  goProxy: {url: "https://goproxy.corp.example/"}
  npmRegistry: {url: "https://npm.corp.example/", credentialsSecret: npm-mirror}
  mavenRepository: {url: "https://nexus.corp.example/repository/maven-public/", credentialsSecret: nexus}
  gemSource: {url: "https://nexus.corp.example/repository/gems/"}
  pythonIndex: {url: "https://nexus.corp.example/repository/pypi/simple/", credentialsSecret: nexus}
caCertificates:
  launch: true
  bundles:
    - {file: /etc/ssl/certs/corp-ca.pem, secret: corp-ca}
proxy:
  httpProxy: http://proxy.corp.example:3128
  httpsProxy: http://proxy.corp.example:3128
  noProxy: localhost,127.0.0.1,.svc
`

func TestBuildEnvironmentFromPlatform(t *testing.T) {
	p, err := platformWith(t, fullNetwork, "")
	require.NoError(t, err)
	be := p.BuildEnvironment("default")
	assert.Equal(t, map[string]string{
		"GOLDENPATH_MIRROR_GO":                 "https://goproxy.corp.example/",
		"GOLDENPATH_MIRROR_NPM":                "https://npm.corp.example/",
		"GOLDENPATH_MIRROR_NPM_CREDENTIALS":    "npm-mirror",
		"GOLDENPATH_MIRROR_MAVEN":              "https://nexus.corp.example/repository/maven-public/",
		"GOLDENPATH_MIRROR_MAVEN_CREDENTIALS":  "nexus",
		"GOLDENPATH_MIRROR_GEM":                "https://nexus.corp.example/repository/gems/",
		"GOLDENPATH_MIRROR_PYTHON":             "https://nexus.corp.example/repository/pypi/simple/",
		"GOLDENPATH_MIRROR_PYTHON_CREDENTIALS": "nexus",
		"GOLDENPATH_CA_LAUNCH":                 "true",
		"HTTP_PROXY":                           "http://proxy.corp.example:3128",
		"http_proxy":                           "http://proxy.corp.example:3128",
		"HTTPS_PROXY":                          "http://proxy.corp.example:3128",
		"https_proxy":                          "http://proxy.corp.example:3128",
		"NO_PROXY":                             "localhost,127.0.0.1,.svc",
		"no_proxy":                             "localhost,127.0.0.1,.svc",
	}, be.Env)
	assert.Equal(t, []string{"/etc/ssl/certs/corp-ca.pem"}, be.CAFiles)
	assert.Equal(t, []string{"corp-ca", "nexus", "npm-mirror"}, be.Secrets, "each Secret once, sorted")
	assert.NotContains(t, be.Env, "GOLDENPATH_PROXY_LAUNCH", "the proxy stays out of app images unless asked")

	empty, err := platformWith(t, "", "")
	require.NoError(t, err)
	assert.Empty(t, empty.BuildEnvironment("default").Env, "no egress: nothing reaches the build")
}

func TestBuilderOverridesEgress(t *testing.T) {
	p, err := platformWith(t, fullNetwork, `mirrors:
  goProxy: {url: "http://127.0.0.1:3000"}
proxy:
  httpsProxy: http://other.example:8080
  launch: true
`)
	require.NoError(t, err)
	be := p.BuildEnvironment("default")
	assert.Equal(t, "http://127.0.0.1:3000", be.Env["GOLDENPATH_MIRROR_GO"], "the builder's mirror replaces the platform's")
	assert.Equal(t, "https://npm.corp.example/", be.Env["GOLDENPATH_MIRROR_NPM"], "other mirrors are kept")
	assert.Equal(t, "http://other.example:8080", be.Env["HTTPS_PROXY"])
	assert.NotContains(t, be.Env, "HTTP_PROXY", "the builder's proxy replaces the platform's whole")
	assert.Equal(t, "true", be.Env["GOLDENPATH_PROXY_LAUNCH"])
	assert.Equal(t, []string{"/etc/ssl/certs/corp-ca.pem"}, be.CAFiles, "CA bundles are inherited")
	assert.Equal(t, p.BuildEnvironment("no-such-builder").Env["GOLDENPATH_MIRROR_GO"], "https://goproxy.corp.example/")
}

func TestEgressValidation(t *testing.T) {
	cases := map[string]struct{ global, builder, want string }{
		"credentials in a mirror URL": {global: "mirrors:\n  npmRegistry: {url: \"https://u:secret@npm.example/\"}",
			want: `egress.mirrors.npmRegistry.url: "https://REDACTED@npm.example/" holds credentials (credentials would end up in the GitOps tree and in build logs: name a Secret in credentialsSecret instead)`},
		"not http": {global: "mirrors:\n  goProxy: {url: \"file:///srv/goproxy\"}",
			want: `egress.mirrors.goProxy.url: "file:///srv/goproxy" must be an http or https URL`},
		"GOPROXY list": {global: "mirrors:\n  goProxy: {url: \"https://a.example,direct\"}",
			want: `must be a single URL without query, fragment, spaces, commas or |`},
		"no url": {global: "mirrors:\n  gemSource: {credentialsSecret: gems}",
			want: `egress.mirrors.gemSource.url: required field is missing`},
		"bad secret": {global: "mirrors:\n  gemSource: {url: \"https://g.example\", credentialsSecret: Not_A_Name}",
			want: `egress.mirrors.gemSource.credentialsSecret: "Not_A_Name" is not a valid Kubernetes name`},
		"empty bundle": {global: "caCertificates:\n  bundles:\n    - {}",
			want: `egress.caCertificates.bundles[0]: a CA bundle needs a file (local builds) or a secret (kpack), or both`},
		"relative file": {global: "caCertificates:\n  bundles:\n    - {file: certs/ca.pem}",
			want: `egress.caCertificates.bundles[0].file: "certs/ca.pem" is not a clean absolute path`},
		"no bundles": {global: "caCertificates:\n  launch: true",
			want: `egress.caCertificates.bundles: required field is missing`},
		"proxy with a newline": {global: "proxy:\n  httpProxy: \"http://p.example:3128\\nX-Evil: 1\"",
			want: `egress.proxy.httpProxy: "http://p.example:3128\nX-Evil: 1" holds a control character`},
		"noProxy with spaces": {global: "proxy:\n  httpProxy: http://p.example:3128\n  noProxy: \"a, b\"",
			want: `egress.proxy.noProxy: "a, b" must be a comma separated list without spaces`},
		"proxy without address": {global: "proxy:\n  noProxy: localhost",
			want: `egress.proxy: a proxy needs httpProxy or httpsProxy`},
		"builder override checked": {builder: "mirrors:\n  pythonIndex: {url: \"pypi.example/simple\"}",
			want: `builders.default.egress.mirrors.pythonIndex.url: "pypi.example/simple" must be an http or https URL`},
		"unknown field": {global: "mirror:\n  goProxy: {url: \"https://g.example\"}",
			want: `egress.mirror`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := platformWith(t, c.global, c.builder)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Regexp(t, `^platform\.yaml:\d+:\d+: `, err.Error(), "the error names the file, line and column")
			assert.NotContains(t, err.Error(), "secret@", "a password in a URL is never echoed")
		})
	}
	_, err := platformWith(t, fullNetwork, "")
	assert.NoError(t, err)
}
