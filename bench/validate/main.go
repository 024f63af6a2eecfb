// Command validate generates AppDeploymentRequest contracts for the
// validation benchmark (bench/validate.sh): N realistic requests, one file
// each, a fraction of them invalid, the same files for the same seed.
//
//	go run ./bench/validate -n 10000 -out /tmp/contracts [-invalid-ratio 0.1] [-seed 1]
//
// Valid requests pass `goldenpath validate` with the embedded default
// platform: most are for dev and test; staging and prod ones follow those
// environments' policy (replicas >= 2, resources, a health check; prod also
// TLS, buildpack builds only and no bindings, since the default platform's
// binding catalogue offers none to prod).
//
// Invalid requests carry one mistake each. Most mistakes are ones the JSON
// Schema can express (a bad id, 512MB, negative replicas, an unknown field,
// ...), so any draft-07 validator must reject them too; the others are rules
// only the Go validator knows (platform policy, unique binding names, clean
// paths, zero quantities, TLS without ingress), which a schema validator
// accepts.
//
// Besides the contracts, -out receives MANIFEST.tsv (not a YAML file, so no
// validator reads it) with one line per contract: file name, the expected
// goldenpath verdict, the expected JSON Schema verdict and the mistake.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	n := flag.Int("n", 1000, "number of contracts to write")
	out := flag.String("out", "", "folder to write them to (created; must hold no *.yaml yet unless -force)")
	ratio := flag.Float64("invalid-ratio", 0.1, "fraction of contracts with a mistake (0 to 1)")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same files")
	force := flag.Bool("force", false, "delete *.yaml and MANIFEST.tsv already in -out first")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./bench/validate -n N -out DIR [-invalid-ratio 0.1] [-seed 1] [-force]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *n < 0 || *ratio < 0 || *ratio > 1 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*n, *out, *ratio, *seed, *force, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(1)
	}
}

func run(n int, out string, ratio float64, seed uint64, force bool, log io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(out, "*.yaml"))
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if !force {
			return fmt.Errorf("%s already holds %d *.yaml files (use -force to replace them)", out, len(old))
		}
		for _, f := range append(old, filepath.Join(out, manifestName)) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}

	r := rand.New(rand.NewPCG(seed, 0x676f6c64656e)) // "golden"
	invalid := make([]bool, n)
	for _, i := range r.Perm(n)[:int(math.Round(float64(n)*ratio))] {
		invalid[i] = true
	}

	mf, err := os.Create(filepath.Join(out, manifestName))
	if err != nil {
		return err
	}
	manifest := bufio.NewWriter(mf)
	fmt.Fprintln(manifest, "# file\tgoldenpath\tschema\tcase")
	counts := map[string]int{}
	for i := range n {
		c := newContract(r, i)
		caseName, schemaVerdict := "ok", "valid"
		gpVerdict := "valid"
		if invalid[i] {
			m := pickMutation(r, c)
			m.apply(r, c)
			caseName, gpVerdict = m.name, "invalid"
			if m.schemaRejects {
				schemaVerdict = "invalid"
			}
		}
		counts[gpVerdict+"/"+schemaVerdict]++
		name := fmt.Sprintf("%06d-%s-%s.yaml", i, c.app, c.env)
		if err := os.WriteFile(filepath.Join(out, name), c.doc.render(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(manifest, "%s\t%s\t%s\t%s\n", name, gpVerdict, schemaVerdict, caseName)
	}
	if err := manifest.Flush(); err != nil {
		return err
	}
	if err := mf.Close(); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %d contracts to %s: %d valid, %d invalid for goldenpath and the schema, %d invalid for goldenpath only\n",
		n, out, counts["valid/valid"], counts["invalid/invalid"], counts["invalid/valid"])
	return nil
}

const manifestName = "MANIFEST.tsv"

// ---- a tiny ordered YAML tree ----------------------------------------------

// node is a mapping entry. A scalar entry has val (already written as YAML);
// a mapping has kids; a list of mappings has items. flow writes a mapping on
// one line ({a: b, c: d}).
type node struct {
	key     string
	val     string
	kids    []*node
	items   [][]*node
	flow    bool
	comment string
}

func scalar(k, v string) *node              { return &node{key: k, val: v} }
func mapping(k string, kids ...*node) *node { return &node{key: k, kids: kids} }

type tree struct{ top []*node }

// find returns the entry at a dotted path, or nil.
func (t *tree) find(path string) *node {
	kids := t.top
	var cur *node
	for _, part := range strings.Split(path, ".") {
		cur = nil
		for _, k := range kids {
			if k.key == part {
				cur = k
				break
			}
		}
		if cur == nil {
			return nil
		}
		kids = cur.kids
	}
	return cur
}

// ensure returns the mapping at path, creating missing mappings.
func (t *tree) ensure(path string) *node {
	kids := &t.top
	var cur *node
	for _, part := range strings.Split(path, ".") {
		cur = nil
		for _, k := range *kids {
			if k.key == part {
				cur = k
				break
			}
		}
		if cur == nil {
			cur = &node{key: part}
			*kids = append(*kids, cur)
		}
		kids = &cur.kids
	}
	return cur
}

// set writes a scalar at path, replacing the entry or appending it to its
// parent mapping.
func (t *tree) set(path, val string) {
	if n := t.find(path); n != nil {
		n.val, n.kids, n.items = val, nil, nil
		return
	}
	parent, key := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, key = path[:i], path[i+1:]
	}
	if parent == "" {
		t.top = append(t.top, scalar(key, val))
		return
	}
	p := t.ensure(parent)
	p.kids = append(p.kids, scalar(key, val))
}

// del removes the entry at path.
func (t *tree) del(path string) {
	kids := &t.top
	if i := strings.LastIndex(path, "."); i >= 0 {
		p := t.find(path[:i])
		if p == nil {
			return
		}
		kids = &p.kids
		path = path[i+1:]
	}
	for i, k := range *kids {
		if k.key == path {
			*kids = append((*kids)[:i], (*kids)[i+1:]...)
			return
		}
	}
}

func (t *tree) render() []byte {
	var b strings.Builder
	for _, n := range t.top {
		writeNode(&b, n, 0, "")
	}
	return []byte(b.String())
}

func writeNode(b *strings.Builder, n *node, indent int, prefix string) {
	pad := strings.Repeat(" ", indent)
	if prefix != "" {
		pad = prefix
	}
	comment := ""
	if n.comment != "" {
		comment = "  # " + n.comment
	}
	switch {
	case n.items != nil:
		fmt.Fprintf(b, "%s%s:%s\n", pad, n.key, comment)
		for _, item := range n.items {
			for j, kid := range item {
				p := strings.Repeat(" ", indent+4)
				if j == 0 {
					p = strings.Repeat(" ", indent+2) + "- "
				}
				writeNode(b, kid, indent+4, p)
			}
		}
	case n.kids != nil && n.flow:
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.key + ": " + k.val
		}
		fmt.Fprintf(b, "%s%s: {%s}%s\n", pad, n.key, strings.Join(parts, ", "), comment)
	case n.kids != nil:
		fmt.Fprintf(b, "%s%s:%s\n", pad, n.key, comment)
		for _, k := range n.kids {
			writeNode(b, k, indent+2, "")
		}
	default:
		fmt.Fprintf(b, "%s%s: %s%s\n", pad, n.key, n.val, comment)
	}
}

// str writes s as a YAML string: plain when that cannot be read as anything
// else, double-quoted (JSON syntax, which YAML accepts) otherwise.
func str(s string) string {
	if plainRE.MatchString(s) && !strings.HasSuffix(s, ":") && !numberLikeRE.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return s
	}
	return strconv.Quote(s)
}

var (
	plainRE      = regexp.MustCompile(`^[A-Za-z/][A-Za-z0-9_./@:-]*$`)
	numberLikeRE = regexp.MustCompile(`^[0-9.+-]`)
	yamlWords    = map[string]bool{"true": true, "false": true, "null": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true, "~": true}
)

// ---- realistic contracts ---------------------------------------------------

type request struct {
	app, env, team, build string
	doc                   *tree
}

var (
	domains = []string{"payments", "checkout", "search", "catalog", "inventory", "billing", "auth", "notifications",
		"orders", "shipping", "pricing", "reviews", "recommendations", "ledger", "gateway", "profile", "media",
		"analytics", "loyalty", "fraud", "tax", "invoicing", "identity", "cart", "wishlist"}
	kinds    = []string{"api", "web", "worker", "svc", "events", "admin", "backend", "frontend"}
	teams    = []string{"payments-team", "checkout-team", "search-team", "platform-team", "core-team", "growth-team", "data-team", "identity-team", "commerce"}
	gitHosts = []string{"github.com", "gitlab.example.com", "git.example.com"}
	langs    = []struct {
		env  map[string][]string
		port []string
		hc   []string
	}{
		{map[string][]string{"BP_JAVA_VERSION": {"17", "21"}, "BP_MAVEN_BUILD_ARGUMENTS": {"-DskipTests package", "-Dmaven.test.skip=true package"}}, []string{"8080", "9090"}, []string{"/actuator/health", "/actuator/health/readiness"}},
		{map[string][]string{"BP_NODE_VERSION": {"20.*", "22.*"}, "BP_NODE_RUN_SCRIPTS": {"build"}}, []string{"3000", "8080"}, []string{"/healthz", "/health"}},
		{map[string][]string{"BP_CPYTHON_VERSION": {"3.12.*", "3.11.*"}}, []string{"8000", "8080"}, []string{"/healthz", "/ping"}},
		{map[string][]string{"BP_GO_VERSION": {"1.24.*", "1.25.*"}, "BP_GO_TARGETS": {"./cmd/server"}}, []string{"8080"}, []string{"/healthz", "/readyz"}},
		{map[string][]string{"BP_DOTNET_FRAMEWORK_VERSION": {"8.0"}}, []string{"8080", "5000"}, []string{"/health"}},
	}
	memories = []string{"128Mi", "256Mi", "512Mi", "768Mi", "1Gi", "1.5Gi", "2Gi", "4Gi", `"536870912"`}
	cpus     = []string{"50m", "100m", "250m", "500m", "750m", "1", "2", "0.5", "1.5"}
	runEnv   = map[string][]string{
		"LOG_LEVEL": {"debug", "info", "warn"}, "JAVA_OPTS": {"-XX:MaxRAMPercentage=75"}, "FEATURE_FLAGS": {"a,b", "new-checkout", ""},
		"OTEL_SERVICE_NAME": nil, "TZ": {"UTC", "Europe/Paris"}, "CACHE_TTL_SECONDS": {"60", "300"}, "MAX_CONNECTIONS": {"10", "50"},
		"SPRING_PROFILES_ACTIVE": {"cloud"}, "NODE_ENV": {"production"}, "GOMAXPROCS": {"2"},
	}
	// catalogue is the default platform's binding catalogue: name -> type.
	catalogue = map[string]string{"payments-db": "database", "orders-db": "database", "sessions-cache": "cache", "events-queue": "queue"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func newContract(r *rand.Rand, i int) *request {
	c := &request{}
	switch x := r.Float64(); {
	case x < 0.50:
		c.env = "dev"
	case x < 0.80:
		c.env = "test"
	case x < 0.92:
		c.env = "staging"
	default:
		c.env = "prod"
	}
	strict := c.env == "staging" || c.env == "prod"
	domain := pick(r, domains)
	c.app = fmt.Sprintf("%s-%s-%d", domain, pick(r, kinds), i)
	c.team = pick(r, teams)
	c.build = "buildpack"
	if c.env != "prod" && chance(r, 0.2) {
		c.build = "dockerfile"
	}

	t := &tree{}
	t.top = append(t.top,
		scalar("apiVersion", "goldenpath.io/v1"),
		scalar("kind", "AppDeploymentRequest"),
		scalar("id", fmt.Sprintf("APP-%04d", i+1)),
		scalar("environment", c.env),
		scalar("owner", c.team),
		scalar("application", c.app),
	)

	// source
	repo := c.app
	monorepo := chance(r, 0.15)
	if monorepo {
		repo = domain + "-monorepo"
	}
	host := pick(r, gitHosts)
	var url string
	switch x := r.IntN(10); {
	case x < 6:
		url = fmt.Sprintf("https://%s/%s/%s", host, c.team, repo)
	case x < 8:
		url = fmt.Sprintf("git@%s:%s/%s.git", host, c.team, repo)
	default:
		url = fmt.Sprintf("ssh://git@%s:2222/%s/%s.git", host, c.team, repo)
	}
	git := mapping("git", scalar("url", str(url)))
	switch x := r.IntN(10); {
	case x < 5:
		git.kids = append(git.kids, scalar("branch", "main"))
	case x < 6:
		git.kids = append(git.kids, scalar("branch", fmt.Sprintf("release/%d.x", 1+r.IntN(4))))
	case x < 8:
		git.kids = append(git.kids, scalar("revision", str(fmt.Sprintf("v%d.%d.%d", 1+r.IntN(3), r.IntN(20), r.IntN(10)))))
	case x < 9:
		sha := make([]byte, 20)
		for j := range sha {
			sha[j] = byte(r.IntN(256))
		}
		git.kids = append(git.kids, scalar("revision", fmt.Sprintf("%q", fmt.Sprintf("%x", sha))))
	}
	if monorepo {
		git.kids = append(git.kids, scalar("subPath", "services/"+c.app))
	}
	spec := mapping("spec", mapping("source", git))

	// build
	lang := pick(r, langs)
	build := mapping("build", scalar("type", c.build))
	if c.build == "buildpack" {
		if chance(r, 0.5) {
			build.kids = append(build.kids, scalar("builder", "default"))
		}
		if chance(r, 0.6) {
			env := &node{key: "env"}
			for _, k := range slices.Sorted(maps.Keys(lang.env)) {
				if chance(r, 0.7) {
					env.kids = append(env.kids, scalar(k, str(pick(r, lang.env[k]))))
				}
			}
			if env.kids != nil {
				build.kids = append(build.kids, env)
			}
		}
	} else {
		build.comment = "opt-out: the repository's Dockerfile"
		df := &node{key: "dockerfile"}
		if chance(r, 0.6) {
			df.kids = append(df.kids, scalar("path", pick(r, []string{"Dockerfile", "docker/Dockerfile", "build/Dockerfile.prod"})))
		}
		if chance(r, 0.3) {
			df.kids = append(df.kids, scalar("context", pick(r, []string{".", "app", "src"})))
		}
		if chance(r, 0.4) {
			df.kids = append(df.kids, mapping("args", scalar("BASE_VERSION", str(pick(r, []string{"12", "bookworm", "3.20"}))), scalar("APP_VERSION", str(fmt.Sprintf("1.%d.0", r.IntN(30))))))
		}
		if df.kids != nil {
			build.kids = append(build.kids, df)
		}
	}
	if chance(r, 0.85) || c.build == "dockerfile" || strict {
		spec.kids = append(spec.kids, build)
	}

	// runtime
	rt := &node{key: "runtime"}
	replicas := 1 + r.IntN(3)
	if strict {
		replicas = 2 + r.IntN(5)
	} else if chance(r, 0.1) {
		replicas = 0
	}
	if strict || chance(r, 0.8) {
		rt.kids = append(rt.kids, scalar("replicas", strconv.Itoa(replicas)))
	}
	if chance(r, 0.5) {
		rt.kids = append(rt.kids, scalar("port", pick(r, lang.port)))
	}
	if chance(r, 0.6) {
		env := &node{key: "env"}
		for _, k := range slices.Sorted(maps.Keys(runEnv)) {
			if chance(r, 0.3) {
				v := c.app
				if vals := runEnv[k]; vals != nil {
					v = pick(r, vals)
				}
				env.kids = append(env.kids, scalar(k, str(v)))
			}
		}
		if env.kids != nil {
			rt.kids = append(rt.kids, env)
		}
	}
	if strict || chance(r, 0.5) {
		hc := mapping("healthCheck", scalar("path", pick(r, lang.hc)))
		hc.flow = chance(r, 0.3)
		rt.kids = append(rt.kids, hc)
	}
	if strict || chance(r, 0.7) {
		res := mapping("resources", scalar("memory", pick(r, memories)), scalar("cpu", pick(r, cpus)))
		res.flow = chance(r, 0.2)
		rt.kids = append(rt.kids, res)
	}
	if rt.kids != nil {
		spec.kids = append(spec.kids, rt)
	}

	// ingress
	if c.env == "prod" || chance(r, 0.7) {
		domain := c.env + ".goldenpath.io"
		if c.env == "prod" {
			domain = "goldenpath.io"
		}
		in := mapping("ingress", scalar("enabled", "true"), scalar("host", c.app+"."+domain))
		if c.env == "prod" || (c.env == "staging" && chance(r, 0.5)) {
			tls := mapping("tls", scalar("enabled", "true"))
			if chance(r, 0.5) {
				tls.kids = append(tls.kids, scalar("secretName", c.app+"-cert"))
			}
			in.kids = append(in.kids, tls)
		}
		spec.kids = append(spec.kids, in)
	}

	// bindings: services of the default platform's catalogue, which offers
	// them to every environment but prod.
	if c.env != "prod" && chance(r, 0.4) {
		b := &node{key: "bindings"}
		for _, name := range pickDistinct(r, slices.Sorted(maps.Keys(catalogue)), 1+r.IntN(3)) {
			b.items = append(b.items, []*node{scalar("type", catalogue[name]), scalar("name", name)})
		}
		spec.kids = append(spec.kids, b)
	}
	t.top = append(t.top, spec)
	c.doc = t
	return c
}

func pickDistinct(r *rand.Rand, xs []string, k int) []string {
	out := make([]string, 0, k)
	for _, i := range r.Perm(len(xs))[:k] {
		out = append(out, xs[i])
	}
	return out
}

// ---- mistakes ---------------------------------------------------------------

type mutation struct {
	name          string
	schemaRejects bool                  // the JSON Schema can express the rule
	fits          func(c *request) bool // nil: any contract
	apply         func(r *rand.Rand, c *request)
}

var mutations = []mutation{
	// Rules the JSON Schema expresses: every draft-07 validator rejects these.
	{name: "bad-id", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("id", pick(r, []string{"APP-12", "APP_0001", "app-0001", "REQ-0001", `"APP-00a1"`}))
	}},
	{name: "bad-quantity", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.memory", pick(r, []string{"512MB", "1GB", "2 Gi", "1gi"}))
	}},
	{name: "bad-cpu", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.cpu", pick(r, []string{"250 m", "-1", "half", "1 core"}))
	}},
	{name: "memory-in-millibytes", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.memory", pick(r, []string{"250m", "512m", "100u"}))
	}},
	{name: "cpu-in-bytes", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.cpu", pick(r, []string{"512Mi", "1Gi", "2k", "100u"}))
	}},
	{name: "negative-replicas", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.replicas", strconv.Itoa(-1-r.IntN(3)))
	}},
	{name: "unknown-field", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		switch r.IntN(3) {
		case 0:
			c.doc.set("spec.runtime.replica", "2")
		case 1:
			c.doc.set("metadata.name", c.app)
		default:
			c.doc.set("spec.runtime.memory", "512Mi")
		}
	}},
	{name: "wrong-type", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		switch r.IntN(3) {
		case 0:
			c.doc.set("spec.runtime.replicas", "two")
		case 1:
			c.doc.set("spec.runtime.port", `"8080"`)
		default:
			c.doc.set("spec.runtime.env.MAX_CONNECTIONS", "50")
		}
	}},
	{name: "port-range", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.port", pick(r, []string{"70000", "65536", "-8080"}))
	}},
	{name: "bad-environment", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("environment", pick(r, []string{"production", "Dev", "qa", "uat"}))
	}},
	{name: "bad-owner", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("owner", pick(r, []string{"Payments_Team", "payments team", "-core", str(strings.Repeat("x", 64))}))
	}},
	{name: "missing-field", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.del(pick(r, []string{"owner", "application", "spec.source.git.url", "id"}))
	}},
	{name: "bad-env-name", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.env."+pick(r, []string{`"1FOO"`, "MY-VAR", "PORT"}), "x")
	}},
	{name: "reserved-build-env", schemaRejects: true, fits: isBuildpack, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.build.env.CNB_PLATFORM_API", `"0.12"`)
	}},
	{name: "bad-git-url", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.source.git.url", pick(r, []string{
			"http://github.com/org/" + c.app, "git://github.com/org/" + c.app, "file:///srv/git/" + c.app,
			"https://token@github.com/org/" + c.app, "github.com/org/" + c.app,
		}))
	}},
	{name: "bad-branch", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.source.git.revision")
		c.doc.set("spec.source.git.branch", pick(r, []string{`"feature..x"`, `"-main"`, `"main.lock"`, `"feat ure"`}))
	}},
	{name: "builder-with-dockerfile", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.build.type", "dockerfile")
		c.doc.set("spec.build.builder", "default")
	}},
	{name: "bad-health-path", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.healthCheck.path", pick(r, []string{"healthz", `"/health check"`}))
	}},
	{name: "bad-host", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.ingress.enabled", "true")
		c.doc.set("spec.ingress.host", pick(r, []string{"App." + c.env + ".goldenpath.io", c.app + "_x." + c.env + ".goldenpath.io", c.app + ".." + c.env + ".goldenpath.io"}))
	}},
	{name: "ingress-without-host", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.ingress.enabled", "true")
		c.doc.del("spec.ingress.host")
	}},
	{name: "bad-subpath", schemaRejects: true, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.source.git.subPath", pick(r, []string{"/services/app", "../other", `"services\\app"`}))
	}},

	// Rules only the Go validator knows: a schema validator accepts these.
	{name: "policy-min-replicas", fits: isStrict, apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.replicas", "1")
	}},
	{name: "policy-health-check", fits: isStrict, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.runtime.healthCheck")
	}},
	{name: "policy-resources", fits: isStrict, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.runtime.resources." + pick(r, []string{"memory", "cpu"}))
	}},
	{name: "policy-tls", fits: isProd, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.ingress.tls")
	}},
	{name: "policy-dockerfile", fits: isProd, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.build.builder")
		c.doc.set("spec.build.type", "dockerfile")
	}},
	{name: "binding-outside-catalogue", apply: func(r *rand.Rand, c *request) {
		c.doc.find("spec").kids = append(c.doc.find("spec").kids, &node{key: "bindings", items: [][]*node{{scalar("type", "database"), scalar("name", pick(r, []string{c.app + "-db", "goldenpath-registry"}))}}})
	}},
	{name: "memory-in-bytes", apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.memory", pick(r, []string{`"512"`, `"1048576"`}))
	}},
	{name: "host-outside-domain", apply: func(r *rand.Rand, c *request) {
		// prod's domain is goldenpath.io itself, which the others are under
		other := map[string]string{"dev": "test.goldenpath.io", "test": "dev.goldenpath.io", "staging": "dev.goldenpath.io", "prod": "example.com"}[c.env]
		c.doc.set("spec.ingress.enabled", "true")
		c.doc.set("spec.ingress.host", c.app+"."+other)
		if c.env == "prod" {
			c.doc.set("spec.ingress.tls.enabled", "true")
		}
	}},
	{name: "duplicate-binding", fits: notProd, apply: func(r *rand.Rand, c *request) {
		b := c.doc.find("spec.bindings")
		if b == nil {
			b = &node{key: "bindings"}
			c.doc.find("spec").kids = append(c.doc.find("spec").kids, b)
		}
		b.items = append(b.items, []*node{scalar("type", "database"), scalar("name", "orders-db")}, []*node{scalar("type", "database"), scalar("name", "orders-db")})
	}},
	{name: "unclean-path", apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.source.git.subPath", pick(r, []string{"services//app", "./app", "app/"}))
	}},
	{name: "zero-quantity", apply: func(r *rand.Rand, c *request) {
		c.doc.set("spec.runtime.resources.memory", `"0"`)
	}},
	{name: "tls-without-ingress", fits: notProd, apply: func(r *rand.Rand, c *request) {
		c.doc.del("spec.ingress")
		c.doc.set("spec.ingress.tls.enabled", "true")
	}},
}

func isStrict(c *request) bool    { return c.env == "staging" || c.env == "prod" }
func isProd(c *request) bool      { return c.env == "prod" }
func notProd(c *request) bool     { return c.env != "prod" }
func isBuildpack(c *request) bool { return c.build == "buildpack" }

// pickMutation picks a mistake that fits the contract: four in five are
// ones the schema can express.
func pickMutation(r *rand.Rand, c *request) mutation {
	wantSchema := chance(r, 0.8)
	var fit []mutation
	for _, m := range mutations {
		if m.schemaRejects == wantSchema && (m.fits == nil || m.fits(c)) {
			fit = append(fit, m)
		}
	}
	return pick(r, fit)
}
