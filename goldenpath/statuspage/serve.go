package statuspage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/internal/httpserve"
)

// ServeRequest is what Serve serves.
type ServeRequest struct {
	// Addr is the listen address (host:port). Without a Token it must be
	// a loopback address: the page reads the cluster with the caller's
	// credentials.
	Addr string
	// Platform and Kube are the platform and the cluster to read.
	Platform *contract.Platform
	Kube     *rest.Config
	// Token, Refresh and Log are the handler's (Config).
	Token   string
	Refresh time.Duration
	Log     *slog.Logger
	// Listening, when set, is called with the address once it listens.
	Listening func(addr string)
}

// Serve serves the status page of the platform until ctx ends, reading the
// cluster live at each request (`goldenpath status --serve`).
func Serve(ctx context.Context, req ServeRequest) error {
	if req.Platform == nil || req.Kube == nil {
		return errors.New("statuspage: a platform and a cluster are needed")
	}
	if err := CheckAddr(req.Addr, req.Token != ""); err != nil {
		return err
	}
	reader, err := cluster.NewReader(req.Kube)
	if err != nil {
		return err
	}
	h, err := New(Config{
		Source: func(ctx context.Context) (*cluster.Fleet, error) {
			return cluster.Status(ctx, cluster.StatusRequest{Platform: req.Platform, Reader: reader})
		},
		Token: req.Token, Refresh: req.Refresh, Log: req.Log,
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", req.Addr)
	if err != nil {
		return err
	}
	if req.Listening != nil {
		req.Listening(l.Addr().String())
	}
	return httpserve.Serve(ctx, l, h)
}

// CheckAddr refuses to serve the page beyond the machine without a token:
// an address that is not loopback (localhost, 127.0.0.0/8, ::1) needs one.
func CheckAddr(addr string, token bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("status page address %q: %w (use host:port, such as 127.0.0.1:8082)", addr, err)
	}
	if token || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("status page address %q is not a loopback address: anyone who reaches it would read the cluster with your credentials; listen on 127.0.0.1 (and use kubectl port-forward or an SSH tunnel), or set a bearer token in GOLDENPATH_STATUS_TOKEN", addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
