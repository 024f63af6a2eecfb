package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeRepoURL(t *testing.T) {
	same := []string{
		"https://git.example.com/team/app.git",
		"https://git.example.com/team/app",
		"https://GIT.example.com:443/team/app/",
		"http://172.19.0.1:9480/team/app.git",
		"ssh://git@git.example.com:22/team/app.git",
		"git@git.example.com:team/app.git",
		"https://user:token@git.example.com/team/app.git",
	}
	for _, u := range same {
		want := "git.example.com/team/app"
		if u == "http://172.19.0.1:9480/team/app.git" {
			want = "172.19.0.1/team/app"
		}
		assert.Equal(t, want, NormalizeRepoURL(u), u)
	}
	assert.NotEqual(t, NormalizeRepoURL("https://git.example.com/team/App"), NormalizeRepoURL("https://git.example.com/team/app"))
	for _, bad := range []string{"", "not a url", "https:///x", "https://host/", "host:", "/local/path"} {
		assert.Equal(t, "", NormalizeRepoURL(bad), bad)
	}
}
