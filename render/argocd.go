package render

import (
	"fmt"
	"path"
	"slices"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Argo CD's API, written as plain values: its Go module is far heavier than
// the few fields rendered here, and the CRD schema test holds them to the
// real Application and AppProject definitions.
const (
	argoAPIVersion = "argoproj.io/v1alpha1"
	// ArgoFinalizer makes Argo CD delete an Application's resources with it
	// (foreground cascading deletion, Argo CD's default). The "/foreground"
	// form is the same finalizer as the bare resources-finalizer.argocd.argoproj.io
	// (Argo CD 2.x and 3.x accept both); the bare name makes every apply print
	// the API server warning "prefer a domain-qualified finalizer name
	// including a path (/)" (Kubernetes 1.34, seen applying it to the kind
	// cluster with Argo CD 3.6.1).
	ArgoFinalizer = "resources-finalizer.argocd.argoproj.io/foreground"
)

// ArgoApplicationName is the Application of an app in an environment.
func ArgoApplicationName(r *contract.AppDeploymentRequest) string {
	return r.Application + "-" + string(r.Environment)
}

// ArgoFolder is the folder of the GitOps tree holding an environment's
// Applications, one file per application, and the kustomization.yaml that
// lists them (what the environment's root Application syncs).
func ArgoFolder(env contract.Environment) string { return path.Join("argocd", string(env)) }

// ArgoApplicationPath is the file of an application's Argo CD Application.
func ArgoApplicationPath(env contract.Environment, application string) string {
	return path.Join(ArgoFolder(env), application+".yaml")
}

// ArgoRootPath is the file of an environment's root Application, beside
// its folder: argocd/<environment>.yaml.
func ArgoRootPath(env contract.Environment) string { return ArgoFolder(env) + ".yaml" }

// ArgoRootName is the name of an environment's root Application. It ends
// in "-apps", never in "-<environment>" as application Applications do, so
// no application can take it.
func ArgoRootName(p *contract.Platform, env contract.Environment) string {
	return p.Name + "-" + string(env) + "-apps"
}

// ArgoRootProject is the AppProject of the root Applications (see
// Platform): it may only create Argo CD Applications in Argo CD's
// namespace.
func ArgoRootProject(p *contract.Platform) string { return p.Name + "-root" }

// Root renders an environment's app-of-apps: ArgoFolder(env)/kustomization.yaml
// listing the Application file of each of applications, and the root
// Application (ArgoRootPath) that syncs that folder into Argo CD's
// namespace. Applied once, the root creates the Application of every app
// rendered later and, pruning, deletes the Application of an app that is
// no longer rendered (allowEmpty: the last one too). It has no resources
// finalizer: deleting the root leaves the apps running.
func Root(p *contract.Platform, env contract.Environment, applications []string) ([]Object, error) {
	cfg, ok := p.Environments[env]
	if !ok {
		return nil, fmt.Errorf("platform %q has no environment %q", p.Name, env)
	}
	files := make([]string, 0, len(applications))
	for _, a := range applications {
		files = append(files, a+".yaml")
	}
	slices.Sort(files)
	files = slices.Compact(files)
	resources := make([]any, len(files))
	for i, f := range files {
		resources[i] = f
	}
	labels := map[string]string{
		"app.kubernetes.io/managed-by": ManagedBy,
		"app.kubernetes.io/part-of":    p.Name,
		"app.kubernetes.io/component":  "gitops-root",
		"goldenpath.io/environment":    string(env),
	}
	return []Object{
		{Path: ArgoRootPath(env), Value: map[string]any{
			"apiVersion": argoAPIVersion,
			"kind":       "Application",
			"metadata": map[string]any{
				"name":      ArgoRootName(p, env),
				"namespace": p.ArgoCD.Namespace,
				"labels":    stringMap(labels),
			},
			"spec": map[string]any{
				"project": ArgoRootProject(p),
				"source": map[string]any{
					"repoURL":        cfg.GitOps.RepoURL,
					"targetRevision": cfg.GitOps.TargetRevision,
					"path":           ArgoFolder(env),
				},
				"destination": map[string]any{
					"server":    contract.DefaultCluster,
					"namespace": p.ArgoCD.Namespace,
				},
				"syncPolicy": map[string]any{
					"automated": map[string]any{"prune": true, "selfHeal": true, "allowEmpty": true},
				},
			},
		}},
		{Path: path.Join(ArgoFolder(env), "kustomization.yaml"), Value: map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1",
			"kind":       "Kustomization",
			"resources":  resources,
		}},
	}, nil
}

// rootProject renders the AppProject of the root Applications: they read
// the environments' GitOps repositories and may create nothing but Argo CD
// Applications, in Argo CD's namespace of the cluster Argo CD runs in.
func rootProject(p *contract.Platform) Object {
	var repos []string
	for _, env := range p.EnvironmentNames() {
		repos = append(repos, p.Environments[contract.Environment(env)].GitOps.RepoURL)
	}
	slices.Sort(repos)
	var sourceRepos []any
	for _, r := range slices.Compact(repos) {
		sourceRepos = append(sourceRepos, r)
	}
	return Object{
		Path: path.Join("platform", "argocd", "appproject-root.yaml"),
		Value: map[string]any{
			"apiVersion": argoAPIVersion,
			"kind":       "AppProject",
			"metadata": map[string]any{
				"name":      ArgoRootProject(p),
				"namespace": p.ArgoCD.Namespace,
				"labels":    stringMap(map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name}),
			},
			"spec": map[string]any{
				"description":  "goldenpath's root Applications: they create the Applications of each environment",
				"sourceRepos":  sourceRepos,
				"destinations": []any{map[string]any{"server": contract.DefaultCluster, "namespace": p.ArgoCD.Namespace}},
				"namespaceResourceWhitelist": []any{
					map[string]any{"group": "argoproj.io", "kind": "Application"},
				},
			},
		},
	}
}

// argoApplication renders the Application that syncs the app's folder of
// the GitOps repository into its environment, automatically, pruning what
// was removed and undoing drift.
func (a *app) argoApplication() Object {
	labels := a.labels("gitops")
	return Object{
		Path: ArgoApplicationPath(a.r.Environment, a.r.Application),
		Value: map[string]any{
			"apiVersion": argoAPIVersion,
			"kind":       "Application",
			"metadata": map[string]any{
				"name":       ArgoApplicationName(a.r),
				"namespace":  a.p.ArgoCD.Namespace,
				"labels":     stringMap(labels),
				"finalizers": []any{ArgoFinalizer},
			},
			"spec": map[string]any{
				"project": a.env.ArgoProject,
				"source": map[string]any{
					"repoURL":        a.env.GitOps.RepoURL,
					"targetRevision": a.env.GitOps.TargetRevision,
					"path":           a.dir,
				},
				"destination": map[string]any{
					"server":    a.env.Cluster,
					"namespace": a.env.Namespace,
				},
				"syncPolicy": map[string]any{
					"automated":   map[string]any{"prune": true, "selfHeal": true},
					"syncOptions": []any{"CreateNamespace=true"},
				},
			},
		},
	}
}

// appProject renders an environment's AppProject: its Applications may
// read the environment's GitOps repository and deploy to its namespace.
func appProject(p *contract.Platform, env contract.Environment, cfg contract.EnvironmentConfig) Object {
	return Object{
		Path: path.Join("platform", "argocd", "appproject-"+string(env)+".yaml"),
		Value: map[string]any{
			"apiVersion": argoAPIVersion,
			"kind":       "AppProject",
			"metadata": map[string]any{
				"name":      cfg.ArgoProject,
				"namespace": p.ArgoCD.Namespace,
				"labels":    stringMap(map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name, "goldenpath.io/environment": string(env)}),
			},
			"spec": map[string]any{
				"description":  "goldenpath applications of the " + string(env) + " environment",
				"sourceRepos":  []any{cfg.GitOps.RepoURL},
				"destinations": []any{map[string]any{"server": cfg.Cluster, "namespace": cfg.Namespace}},
				"clusterResourceWhitelist": []any{
					map[string]any{"group": "", "kind": "Namespace"},
				},
			},
		},
	}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
