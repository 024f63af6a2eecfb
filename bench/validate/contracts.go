package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// request is one generated contract: a realistic AppDeploymentRequest as an
// ordered YAML tree, with what the mutations need to know about it.
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
