//go:build builder

package buildertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// A Maven repository that wants credentials (the platform names them as egress.mirrors.mavenRepository's
// credentialsSecret): a local build gets the Secret's keys from the folder given for it (goldenpath build --binding),
// mounted where kpack mounts the Secret, and the java buildpack hands them to Maven; without the folder the build is
// refused before it starts; the password reaches no layer of the image.
func TestMirrorCredentials(t *testing.T) {
	e := newEnv(t)
	const user, password = "corp-ci", "corp-mirror-pw-5f1d"
	e.mirror.RequireBasicAuth("maven", user, password)
	e.platform.Egress.Mirrors.MavenRepository.CredentialsSecret = "corp-maven"
	c, dir := e.app(t, "java-maven")

	ship := func(bindings map[string]string) (*build.Result, string, error) {
		var log bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		res, err := build.Ship(ctx, build.Request{Paths: []string{c}, Source: dir, Bindings: bindings},
			goldenpath.WithPlatform(e.platform), goldenpath.WithOutput(&log))
		return res, log.String(), err
	}
	_, _, err := ship(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GOLDENPATH_MIRROR_MAVEN_CREDENTIALS names the Secret corp-maven")
	assert.Contains(t, err.Error(), "--binding corp-maven=DIR")
	assert.Zero(t, e.mirror.Hits("maven")+e.mirror.Refused(), "refused before the build asked the mirror anything")

	// The folder as a careful user keeps it (0700, files 0600): goldenpath stages the two keys for the build's user.
	secret := t.TempDir()
	require.NoError(t, os.Chmod(secret, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(secret, "username"), []byte(user), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(secret, "password"), []byte(password), 0o600))
	res, log, err := ship(map[string]string{"corp-maven": secret})
	require.NoError(t, err, log)
	t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
	assert.Positive(t, e.mirror.Hits("maven"), "Maven downloaded through the mirror with the credentials")
	assert.NotContains(t, log, password, "the build log never shows the password")
	assert.Equal(t, "hello from goldenpath java-maven app", strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, res.Tag)+"/", 2*time.Minute)))

	saved, err := exec.Command(testenv.Docker, "save", res.Tag).Output()
	require.NoError(t, err)
	assert.False(t, bytes.Contains(saved, []byte(password)), "the password is in no layer of the image")
	t.Logf("maven mirror: %d requests served with the credentials, %d refused without", e.mirror.Hits("maven"), e.mirror.Refused())
}
