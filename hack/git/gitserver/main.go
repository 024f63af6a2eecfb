// Command gitserver serves the bare repositories under -root over Git's smart
// HTTP protocol (fetch and push, no authentication) on every -listen address.
// hack/git/setup.sh runs it for the in-cluster tests.
//
//	go run ./hack/git/gitserver -root /var/cache/goldenpath/git/repos -listen 127.0.0.1:9480 -listen 172.19.0.1:9480
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var listen listFlag
	root := flag.String("root", "", "folder of bare repositories NAME.git")
	flag.Var(&listen, "listen", "address to serve on (repeatable)")
	flag.Parse()
	if *root == "" || len(listen) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gitserver -root DIR -listen ADDR [-listen ADDR...]")
		os.Exit(2)
	}
	h, err := gitserver.Handler(*root, "")
	if err != nil {
		log.Fatal(err)
	}
	errs := make(chan error, len(listen))
	for _, addr := range listen {
		srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { errs <- srv.ListenAndServe() }()
		log.Printf("serving %s on http://%s", *root, addr)
	}
	log.Fatal(<-errs)
}
