// Package kube holds goldenpath's cluster clients (client-go): the kube
// config, kpack ClusterStacks and Images.
package kube
