package contract

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantities are Kubernetes resource quantities, but not every quantity
// makes sense for every resource: Kubernetes accepts `memory: 250m` (a
// quarter of a byte) and `cpu: 512Mi` (half a billion cores) without a
// word. The rules per resource:
//
//   - memory and storage are a number of bytes: digits with an optional
//     fraction, then an optional binary (Ki, Mi, Gi, Ti, Pi, Ei) or decimal
//     (k, M, G, T, P, E) suffix or a decimal exponent (e9). No milli (m),
//     micro (u) or nano (n) suffix and no negative exponent: a fraction of a
//     byte means nothing. The amount must be a whole number of bytes.
//   - memory is at least MinMemory (6Mi): no container runtime starts a
//     container with less (Docker's floor is 6 MiB), and a bare number such as
//     512 is 512 bytes, almost always a forgotten Mi.
//   - cpu is a number of cores: a whole or decimal number with at most three
//     decimals (0.5, 1, 2.25), or whole millicores (250m). Kubernetes
//     accounts for CPU in millicores, so a finer amount (0.0001, 100u) would
//     be rounded; byte suffixes (Mi, Gi, ...), large decimal suffixes (k, M,
//     ...) and exponents are refused. It is at least 1m.
const (
	// MemoryPattern is a quantity of bytes (see the rules above).
	MemoryPattern = `^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[kMGTPE]|([eE]\+?[0-9]+))?$`
	// CPUPattern is a quantity of cores: millicores or a decimal number of
	// cores with at most three decimals.
	CPUPattern = `^(([0-9]+m)|([0-9]+(\.[0-9]{1,3})?)|(\.[0-9]{1,3}))$`
	// QuantityPattern is Kubernetes' quantity syntax without a sign.
	QuantityPattern = `^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
)

// Floors of the quantities, in bytes.
const (
	// MinMemory is the least memory a request may ask for: 6Mi, the floor
	// container runtimes enforce.
	MinMemory = 6 << 20
	// MinStorage is the least storage a build cache volume may have: 1Mi.
	MinStorage = 1 << 20
)

var (
	memoryRE   = regexp.MustCompile(MemoryPattern)
	cpuRE      = regexp.MustCompile(CPUPattern)
	quantityRE = regexp.MustCompile(QuantityPattern)
	// suffixRE splits a quantity into its number and its suffix.
	suffixRE = regexp.MustCompile(`^([+-]?[0-9.]+)(.*)$`)
)

// Quantity is a Kubernetes resource quantity (512Mi, 250m, 1). In YAML it may
// be written as a string or a plain number.
type Quantity string

// Parse returns the quantity as Kubernetes reads it.
func (q Quantity) Parse() (resource.Quantity, error) { return resource.ParseQuantity(string(q)) }

func (q *Quantity) decodeNode(n *yaml.Node) (string, error) {
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float":
		*q = Quantity(n.Value)
		return "", nil
	}
	return "", fmt.Errorf("must be a Kubernetes quantity such as 512Mi or 250m, not %s %q", tagName(n.ShortTag()), n.Value)
}

// memory checks a quantity of bytes with a floor (memory, storage).
func (v *validator) bytes(p fieldPath, q Quantity, floor int64, floorName string) {
	if q == "" {
		return
	}
	s := string(q)
	parsed, err := q.Parse()
	number, suffix := splitQuantity(s)
	switch {
	case suffix == "m" || suffix == "u" || suffix == "n":
		v.add(p, fmt.Sprintf("%s means %s %s of a byte (%s is %s, not mega)", s, number, fractionNames[suffix][0], suffix, fractionNames[suffix][1]),
			fmt.Sprintf("write %sMi (mebibytes) or %sM (megabytes)", number, number))
	case err != nil || !memoryRE.MatchString(s):
		v.add(p, fmt.Sprintf("%q is not a quantity of bytes", s), "use a number with an optional suffix such as 512Mi, 1Gi or 1.5G")
	case parsed.Sign() <= 0:
		v.add(p, fmt.Sprintf("must be greater than zero, not %s", s), "")
	case parsed.Cmp(*resource.NewQuantity(floor, resource.BinarySI)) < 0:
		hint := "at least " + floorName
		if suffix == "" {
			hint = fmt.Sprintf("a number without a suffix counts bytes: did you mean %sMi?", number)
		}
		v.add(p, fmt.Sprintf("%s is %s bytes, less than the %s minimum", s, parsed.AsDec().String(), floorName), hint)
	case !wholeNumber(parsed):
		v.add(p, fmt.Sprintf("%s is not a whole number of bytes, or more than 8Ei", s), "round it to whole bytes, or use a suffix such as Mi")
	}
}

// cpu checks a quantity of cores.
func (v *validator) cpu(p fieldPath, q Quantity) {
	if q == "" {
		return
	}
	s := string(q)
	parsed, err := q.Parse()
	_, suffix := splitQuantity(s)
	switch {
	case strings.HasSuffix(suffix, "i"):
		v.add(p, fmt.Sprintf("%s is a number of bytes, but cpu counts cores", s), "use cores or millicores: 250m is a quarter of a core, 1 is one core")
	case err != nil || !quantityRE.MatchString(s):
		v.add(p, fmt.Sprintf("%q is not a number of cores", s), "use cores or millicores: 250m, 0.5, 1 or 2")
	case parsed.Sign() <= 0:
		v.add(p, fmt.Sprintf("must be greater than zero, not %s", s), "")
	case !cpuRE.MatchString(s) && (suffix == "" || suffix == "m" || suffix == "u" || suffix == "n"):
		v.add(p, fmt.Sprintf("%s is finer than a millicore", s), fmt.Sprintf("Kubernetes counts CPU in millicores: write %dm", max(parsed.MilliValue(), 1)))
	case !cpuRE.MatchString(s):
		v.add(p, fmt.Sprintf("%s is not a number of cores", s), "use cores with at most three decimals or whole millicores: 250m, 0.5, 1 or 2")
	}
}

var fractionNames = map[string][2]string{"m": {"thousandths", "milli"}, "u": {"millionths", "micro"}, "n": {"billionths", "nano"}}

// wholeNumber reports whether q is a whole number that fits an int64
// (Value rounds a fraction up).
func wholeNumber(q resource.Quantity) bool {
	return q.Cmp(*resource.NewQuantity(q.Value(), resource.DecimalSI)) == 0
}

// splitQuantity splits a quantity into its number and its suffix
// ("512Mi" -> "512", "Mi"; "1e3" -> "1", "e3").
func splitQuantity(s string) (number, suffix string) {
	if m := suffixRE.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return s, ""
}
