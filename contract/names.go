package contract

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The names goldenpath renders from a request. render names its objects
// with these functions, and validation derives its length and character
// limits from them (see nameChecks), so that a request that validates never
// renders a name or label the Kubernetes API server refuses.

// InstanceName is the app.kubernetes.io/instance label of an application's
// objects in an environment (<application>-<environment>), a label value.
func InstanceName(application string, env Environment) string {
	return application + "-" + string(env)
}

// BindingVolumeName is the pod volume of a binding projected as a volume
// (binding-<name>), a DNS-1123 label.
func BindingVolumeName(binding string) string { return "binding-" + binding }

// ServiceBindingName is the ServiceBinding object of a binding
// (<application>-<binding>), a DNS-1123 subdomain.
func ServiceBindingName(application, binding string) string { return application + "-" + binding }

// Limits derived from the rendered names, for the longest environment name:
// an application keeps its name when it is promoted, so its name must fit
// every environment.
var (
	// MaxApplicationLength is the longest application name: its instance
	// label <application>-<environment> is a label value of at most 63
	// characters (55 with "staging").
	MaxApplicationLength = validation.LabelValueMaxLength - len(InstanceName("", longestEnvironment()))
	// MaxBindingNameLength is the longest binding name: its volume
	// binding-<name> is a DNS-1123 label of at most 63 characters (55).
	MaxBindingNameLength = validation.DNS1123LabelMaxLength - len(BindingVolumeName(""))
	// MaxIDLength is the longest request id: it is the value of the
	// goldenpath.io/id label (63).
	MaxIDLength = validation.LabelValueMaxLength
)

// DNS1035LabelPattern is a DNS-1035 label (a Service name): like a DNS-1123
// label, but starting with a letter.
const DNS1035LabelPattern = `^[a-z]([-a-z0-9]*[a-z0-9])?$`

func longestEnvironment() Environment {
	return slices.MaxFunc(Environments, func(a, b Environment) int { return len(a) - len(b) })
}

// nameCheck is one rendered name or label value and the Kubernetes rule it
// must satisfy.
type nameCheck struct {
	what  string                // what the name is, for the message
	name  string                // the rendered name
	check func(string) []string // the apimachinery validation of that kind of name
}

// applicationNames are the names rendered from the application's name, in
// every environment.
func applicationNames(app string) []nameCheck {
	checks := []nameCheck{
		{what: "the Service name", name: app, check: validation.IsDNS1035Label},
		{what: "the Deployment, Ingress and kpack Image name", name: app, check: validation.IsDNS1123Subdomain},
		{what: "the app.kubernetes.io/name label", name: app, check: validation.IsValidLabelValue},
	}
	for _, env := range Environments {
		checks = append(checks, nameCheck{what: "the app.kubernetes.io/instance label in " + string(env), name: InstanceName(app, env), check: validation.IsValidLabelValue})
	}
	return checks
}

// bindingNames are the names rendered from a binding's name.
func bindingNames(app, binding string) []nameCheck {
	return []nameCheck{
		{what: "the binding's volume name", name: BindingVolumeName(binding), check: validation.IsDNS1123Label},
		{what: "the ServiceBinding name", name: ServiceBindingName(app, binding), check: validation.IsDNS1123Subdomain},
	}
}

// renderedNames reports the first rendered name of checks that Kubernetes
// would refuse, and why. It returns false when it reported one.
func (v *validator) renderedNames(p fieldPath, value, hint string, checks []nameCheck) bool {
	for _, c := range checks {
		errs := c.check(c.name)
		if len(errs) == 0 {
			continue
		}
		why, _, _ := strings.Cut(errs[0], " (e.g.")
		if c.name == value {
			v.add(p, fmt.Sprintf("%q cannot be %s: %s", value, c.what, why), hint)
		} else {
			v.add(p, fmt.Sprintf("%q makes %s %q, which %s", value, c.what, c.name, why), hint)
		}
		return false
	}
	return true
}
