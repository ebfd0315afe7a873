package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/testsuite"
)

// proxyPluginName is the name containerd knows our daemon by.
const proxyPluginName = "pluggable"

// containerdConfig is a private containerd 1.6: its own root, state and sockets,
// our daemon as a proxy snapshotter, and the plugins the suite does not need off.
const containerdConfig = `version = 2
root = %q
state = %q
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = %q

[ttrpc]
  address = %q

[debug]
  address = ""
  level = "debug"

[metrics]
  address = ""

[proxy_plugins.%s]
  type = "snapshot"
  address = %q
`

// startContainerd runs /usr/bin/containerd (or PSNAP_CONTAINERD) with its files under dir.
func startContainerd(dir, snapshotterSocket string) (*process, string, error) {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return nil, "", err
	}
	address := filepath.Join(dir, "c.sock")
	config := fmt.Sprintf(containerdConfig,
		filepath.Join(dir, "root"), filepath.Join(dir, "state"),
		address, address+".ttrpc", proxyPluginName, snapshotterSocket)
	configPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, "", err
	}
	bin := os.Getenv("PSNAP_CONTAINERD")
	if bin == "" {
		bin = "/usr/bin/containerd"
	}
	p, err := startProcess("containerd", dir, []string{bin, "--config", configPath}, nil)
	if err != nil {
		return nil, "", err
	}
	if err := p.waitForSocket(address); err != nil {
		_ = p.stop()
		return nil, "", err
	}
	return p, address, nil
}

// TestSnapshotterThroughContainerd runs the same suite through a real containerd
// that loads the daemon as proxy_plugins.pluggable: containerd's metadata layer
// namespaces the keys (<namespace>/<seq>/<key>) before they reach the daemon.
func TestSnapshotterThroughContainerd(t *testing.T) {
	testsuite.SnapshotterSuite(t, "pluggable-containerd", func(ctx context.Context, root string) (snapshots.Snapshotter, func() error, error) {
		d, err := startDaemon(root)
		if err != nil {
			return nil, nil, err
		}
		ctrd, address, err := startContainerd(filepath.Join(root, "ctd"), d.socket)
		if err != nil {
			return nil, nil, joinErrors(err, d.stop())
		}
		client, err := containerd.New(address, containerd.WithTimeout(30*time.Second))
		if err != nil {
			return nil, nil, joinErrors(err, ctrd.stop(), d.stop())
		}
		sn := client.SnapshotService(proxyPluginName)
		cleanup := func() error {
			// containerd first: it holds a connection to the daemon.
			err := joinErrors(client.Close(), ctrd.stop(), d.stop())
			logOutput(ctx, ctrd)
			logOutput(ctx, d.process)
			return err
		}
		return sn, cleanup, nil
	})
}
