// Command sample-go is the goldenpath sample Go app: GET / answers "hello from goldenpath go app",
// GET /healthz answers 200 "ok". It listens on $PORT (default 8080) and uses only the standard library.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "hello from goldenpath go app")
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Printf("sample-go listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
