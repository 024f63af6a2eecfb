// Command sample-go-modules is the goldenpath sample Go app with a module dependency: GET / answers
// "hello from goldenpath go-modules app", GET /healthz answers 200 "ok" and a request ID made by
// github.com/google/uuid. It listens on $PORT (default 8080). go.mod asks for a newer Go than Debian's: the
// builder fetches that toolchain, and the dependency, through the platform's Go proxy.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/google/uuid"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from goldenpath go-modules app")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok (request %s)\n", uuid.NewString())
	})
	log.Printf("sample-go-modules listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
