// Command refsnapshotter serves containerd's own overlayfs snapshotter over the
// containerd.services.snapshots.v1.Snapshots gRPC API, with the same command line
// as pluggable-snapshotter (--root, --address, --config, --log-level and the
// PSNAP_* environment variables).
//
// It is the reference the test harness is proven against: every conformance and
// bad-input test must pass on it first, so a failure against our daemon is our
// daemon's fault and not the harness's. --config is accepted and ignored.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/contrib/snapshotservice"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/snapshots/overlay"
	"google.golang.org/grpc"
)

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	root := flag.String("root", envOr("PSNAP_ROOT", "/var/lib/pluggable-snapshotter"), "state directory")
	address := flag.String("address", envOr("PSNAP_ADDRESS", "/run/pluggable-snapshotter/snapshotter.sock"), "unix socket to serve on")
	flag.String("config", envOr("PSNAP_CONFIG", ""), "ignored: the reference has no plugins")
	flag.String("log-level", envOr("PSNAP_LOG_LEVEL", "information"), "ignored")
	flag.Parse()

	if err := run(*root, *address); err != nil {
		fmt.Fprintf(os.Stderr, "refsnapshotter: %v\n", err)
		os.Exit(1)
	}
}

func run(root, address string) error {
	sn, err := overlay.NewSnapshotter(root)
	if err != nil {
		return fmt.Errorf("create overlay snapshotter under %s: %w", root, err)
	}
	defer sn.Close()

	if err := os.MkdirAll(filepath.Dir(address), 0o755); err != nil {
		return err
	}
	if err := os.Remove(address); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	l, err := net.Listen("unix", address)
	if err != nil {
		return err
	}
	if err := os.Chmod(address, 0o660); err != nil {
		return err
	}

	server := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(server, listErrorsAsStatus{snapshotservice.FromSnapshotter(sn)})

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		server.GracefulStop()
	}()
	fmt.Fprintf(os.Stderr, "refsnapshotter: serving overlayfs under %s on %s\n", root, address)
	return server.Serve(l)
}

// listErrorsAsStatus fixes containerd 1.6's snapshotservice, whose List returns
// errors without converting them to gRPC codes (a malformed filter would arrive as
// Unknown instead of InvalidArgument, unlike containerd's own snapshots service).
type listErrorsAsStatus struct {
	snapshotsapi.SnapshotsServer
}

func (s listErrorsAsStatus) List(req *snapshotsapi.ListSnapshotsRequest, stream snapshotsapi.Snapshots_ListServer) error {
	return errdefs.ToGRPC(s.SnapshotsServer.List(req, stream))
}
