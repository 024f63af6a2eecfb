package goldenpath

import "strings"

// Summary is the report in one line, such as "3 files, 2 valid requests,
// 1 problem in 1 file (4 other YAML files skipped)". A request counts as
// valid when it passes validation and the platform's admission.
func (r *Report) Summary() string {
	reqs, platforms, invalid := 0, 0, 0
	for _, f := range r.Files {
		reqs += f.Requests
		platforms += f.Platforms
		if len(f.Errors) > 0 {
			invalid++
		}
	}
	parts := []string{plural(len(r.Files), "file"), plural(reqs, "valid request")}
	if platforms > 0 {
		parts = append(parts, plural(platforms, "valid platform"))
	}
	switch n := r.ErrorCount(); {
	case n == 0:
		parts = append(parts, "no problems")
	case invalid > 0:
		parts = append(parts, plural(n, "problem")+" in "+plural(invalid, "file"))
	default:
		parts = append(parts, plural(n, "problem"))
	}
	s := strings.Join(parts, ", ")
	if len(r.Skipped) > 0 {
		s += " (" + plural(len(r.Skipped), "other YAML file") + " skipped)"
	}
	return s
}
