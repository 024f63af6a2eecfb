module goldenpath.io/examples/sample-go-modules

go 1.22

toolchain go1.27.3

require github.com/google/uuid v1.6.0
