package render

import (
	"path"

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

// argoApplication renders the Application that syncs the app's folder of
// the GitOps repository into its environment, automatically, pruning what
// was removed and undoing drift.
func (a *app) argoApplication() Object {
	labels := a.labels("gitops")
	return Object{
		Path: path.Join("argocd", string(a.r.Environment), a.r.Application+".yaml"),
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
