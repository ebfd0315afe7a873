package conformance

import (
	"context"
	"testing"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/proxy"
	"github.com/containerd/containerd/snapshots/testsuite"
)

// TestSnapshotterOverSocket runs containerd's snapshotter suite against the daemon,
// talking to its socket directly (as containerd's proxy plugin client does).
func TestSnapshotterOverSocket(t *testing.T) {
	testsuite.SnapshotterSuite(t, "pluggable", func(ctx context.Context, root string) (snapshots.Snapshotter, func() error, error) {
		d, err := startDaemon(root)
		if err != nil {
			return nil, nil, err
		}
		conn, err := dial(ctx, d.socket)
		if err != nil {
			return nil, nil, joinErrors(err, d.stop())
		}
		sn := proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "pluggable")
		cleanup := func() error {
			err := joinErrors(sn.Close(), conn.Close(), d.stop())
			// The suite's logger prints into the test log, shown when a test fails (or with -v).
			logOutput(ctx, d.process)
			return err
		}
		return sn, cleanup, nil
	})
}
