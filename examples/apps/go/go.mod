module goldenpath.io/examples/sample-go

go 1.19
