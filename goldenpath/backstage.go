package goldenpath

import (
	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/tree"
	"github.com/goldenpath-dev/goldenpath/render"
)

// BackstageTemplate renders the Backstage software template "Deploy
// Application" and its skeleton from the contract's JSON Schema and, when
// dir is not empty, writes them as the tree in dir (its backstage unit:
// files the template no longer has are removed, nothing is written through
// a link; see WriteTree). Options: WithAdopt. It returns the files by path.
func BackstageTemplate(dir string, opts render.BackstageOptions, options ...Option) (map[string][]byte, error) {
	o, err := makeOptions(options)
	if err != nil {
		return nil, err
	}
	schema, err := contract.Schema(contract.KindAppDeploymentRequest)
	if err != nil {
		return nil, err
	}
	files, err := render.BackstageTemplate(schema, opts)
	if err != nil || dir == "" {
		return files, err
	}
	u := tree.Unit{Key: "backstage"}
	for p, data := range files {
		u.Files = append(u.Files, tree.File{Path: p, Data: data})
	}
	if _, err := o.writeUnits(dir, func(k string) bool { return k == u.Key }, false, u); err != nil {
		return nil, err
	}
	return files, nil
}
