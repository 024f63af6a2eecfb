//go:build builder

package buildertest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// A Maven project that carries a Maven wrapper builds with its ./mvnw, not the build image's mvn: the wrapper's
// Maven distribution, which the project names at its upstream address, comes from the platform's Maven repository
// (the buildpack's MVNW_REPOURL; over the mirror's private CA, trusted through the Java trust store the CA
// buildpack makes, since the build image has neither wget nor curl), and stays in the m2 cache layer: the next
// build does not download it again. The wrapper is testdata/maven-wrapper (see its header).
func TestMavenWrapper(t *testing.T) {
	e := newEnv(t)
	c, dir := e.app(t, "java-maven")
	// (the "/." after Join, which would clean it away: the folder's contents, .mvn included)
	cp := exec.Command("cp", "-r", filepath.Join(testenv.RepoRoot(t), "internal/buildertest/testdata/maven-wrapper")+"/.", dir)
	out, err := cp.CombinedOutput()
	require.NoError(t, err, "%s", out)
	// The distribution the mirror makes from Debian's Maven (the build image has unzip, so the wrapper asks for the .zip).
	const dist = "/maven/org/apache/maven/apache-maven/3.8.7/apache-maven-3.8.7-bin.zip"

	res, log, _ := e.build(t, c, dir, false)
	t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
	assert.Contains(t, log, "using the Maven wrapper (./mvnw)")
	assert.Contains(t, log, "mvnw: downloading "+e.mirror.URL+dist, "the distribution comes from the platform's Maven repository")
	assert.Equal(t, 1, e.mirror.Served(dist), "the mirror served the Maven distribution once")
	assert.Equal(t, "hello from goldenpath java-maven app", strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, res.Tag)+"/", 2*time.Minute)))

	_, log, _ = e.build(t, c, dir, false)
	assert.Contains(t, log, "using the Maven wrapper (./mvnw)", "warm build")
	assert.NotContains(t, log, "mvnw: downloading", "the warm build takes the distribution from the m2 cache layer")
	assert.Equal(t, 1, e.mirror.Served(dist), "the warm build did not ask the mirror for the distribution again")
}
