package conformance

import (
	"fmt"
	"os"
	"testing"
)

// TestMain refuses to run without root: every test here mounts overlayfs, and the
// containerd mode runs containerd. Failing loudly beats skipping silently in CI.
func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "conformance: these tests need root (overlayfs mounts, containerd); run tests/conformance/run.sh as root")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
