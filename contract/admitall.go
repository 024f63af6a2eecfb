package contract

import (
	"fmt"
	"path"
	"strings"
)

// AdmitAll is the one admission of a set of requests, used alike by
// validate and render: each request's Admit, then the rules across the set.
// It returns each request's problems, in the order of reqs (nil for an
// admitted request); slices.Concat joins them. Across the set:
//
//   - one request per application and environment;
//   - an ingress host is claimed by one request per cluster (the
//     environments' Argo CD destination): two Ingresses for one host on one
//     cluster would split its traffic;
//   - in one namespace of one cluster, a TLS Secret belongs to one request
//     and is no other request's binding Secret, and the ServiceBinding
//     objects (<application>-<binding>) of two requests do not collide;
//   - each request renders into a GitOps folder of its own, not inside
//     another request's.
//
// Of two requests that collide, the later one in reqs is refused, naming
// the earlier one's file and line.
func (p *Platform) AdmitAll(reqs []*AppDeploymentRequest) []Errors {
	a := &admission{p: p, reqs: reqs, out: make([]Errors, len(reqs)), claims: map[string]int{},
		folders: map[string]int{}, parents: map[string]int{}}
	for i, r := range reqs {
		a.out[i] = p.Admit(r)
	}
	// TLS Secrets first, so that a binding is checked against the TLS
	// Secrets of requests after it too.
	for i, r := range reqs {
		if tls := r.Spec.Ingress.TLS; tls != nil && tls.Enabled && tls.SecretName != "" && a.known(i) {
			if k, ok := a.take(i, a.namespace(i)+"secret\x00"+tls.SecretName); !ok {
				a.refuse(i, "spec.ingress.tls.secretName", fmt.Sprintf("Secret %q of namespace %s is already the TLS Secret of %s", tls.SecretName, a.env(i).Namespace, a.who(k)), "leave secretName out to use <application>-tls")
			}
		}
	}
	for i, r := range reqs {
		if !a.known(i) {
			continue // Admit said so
		}
		if k, ok := a.take(i, "app\x00"+string(r.Environment)+"\x00"+r.Application); !ok {
			a.refuse(i, "application", fmt.Sprintf("application %q in %s is already requested at %s", r.Application, r.Environment, reqs[k].Origin()), "one request per application and environment")
			continue
		}
		env, ns, s := a.env(i), a.namespace(i), r.Spec
		if s.Ingress.Enabled && s.Ingress.Host != "" {
			if k, ok := a.take(i, "host\x00"+env.Cluster+"\x00"+s.Ingress.Host); !ok {
				a.refuse(i, "spec.ingress.host", fmt.Sprintf("host %q is already claimed by %s", s.Ingress.Host, a.who(k)), "each host belongs to one application of a cluster")
			}
		}
		for j, b := range s.Bindings {
			field := fmt.Sprintf("spec.bindings[%d].name", j)
			if k, ok := a.claims[ns+"secret\x00"+p.BindingSecret(b)]; ok && k != i {
				a.refuse(i, field, fmt.Sprintf("binding %q names the TLS Secret of %s", b.Name, a.who(k)), "bind a service of the platform's catalogue")
			}
			if p.BindingProjection == ProjectServiceBinding {
				sb := ServiceBindingName(r.Application, b.Name)
				if k, ok := a.take(i, ns+"servicebinding\x00"+sb); !ok {
					a.refuse(i, field, fmt.Sprintf("the ServiceBinding %q is already rendered for %s", sb, a.who(k)), "rename the binding or the application")
				}
			}
		}
		a.folder(i, env.GitOpsPath(r.Environment, r.Application))
	}
	for i := range a.out {
		a.out[i].Sort()
	}
	return a.out
}

// admission is the state of one AdmitAll.
type admission struct {
	p       *Platform
	reqs    []*AppDeploymentRequest
	out     []Errors
	claims  map[string]int // what a request claimed -> the request
	folders map[string]int // GitOps folder -> the request
	parents map[string]int // every parent folder of a GitOps folder -> the request
}

func (a *admission) known(i int) bool {
	_, ok := a.p.Environments[a.reqs[i].Environment]
	return ok
}

func (a *admission) env(i int) EnvironmentConfig { return a.p.Environments[a.reqs[i].Environment] }

// namespace is the claim key prefix of request i's namespace.
func (a *admission) namespace(i int) string {
	env := a.env(i)
	return "ns\x00" + env.Cluster + "\x00" + env.Namespace + "\x00"
}

func (a *admission) who(k int) string {
	r := a.reqs[k]
	return fmt.Sprintf("%s in %s (%s)", r.Application, r.Environment, r.Origin())
}

// take claims key for request i; when it is taken, it returns the request
// that took it.
func (a *admission) take(i int, key string) (int, bool) {
	if k, taken := a.claims[key]; taken && k != i {
		return k, false
	}
	a.claims[key] = i
	return i, true
}

func (a *admission) refuse(i int, field, msg, hint string) {
	r := a.reqs[i]
	a.out[i] = append(a.out[i], &FieldError{Position: r.PositionOf(field), Path: field, Message: msg, Hint: hint})
}

// folder claims request i's GitOps folder: no other request's folder may be
// the same, inside it or around it.
func (a *admission) folder(i int, folder string) {
	folder = path.Clean(folder)
	overlap := func(k int) {
		a.refuse(i, "application", fmt.Sprintf("its GitOps folder %s overlaps the folder of %s", folder, a.who(k)), "the platform's gitops.path layouts collide")
	}
	if k, ok := a.folders[folder]; ok {
		overlap(k)
		return
	}
	if k, ok := a.parents[folder]; ok {
		overlap(k)
		return
	}
	for dir := path.Dir(folder); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if k, ok := a.folders[dir]; ok {
			overlap(k)
			return
		}
	}
	a.folders[folder] = i
	for dir := path.Dir(folder); dir != "." && dir != "/" && !strings.HasPrefix(dir, ".."); dir = path.Dir(dir) {
		a.parents[dir] = i
	}
}
