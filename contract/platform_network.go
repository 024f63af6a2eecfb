package contract

import "regexp"

// dockerNetwork is a Docker network name (platform build.network):
// "container:NAME", which joins another container's namespaces, is not one.
var dockerNetwork = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)
