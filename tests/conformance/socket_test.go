package conformance

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/namespaces"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Checks of the daemon's serving contract: socket mode, stale sockets, and the
// PSNAP_* environment variables standing in for the flags.

func TestServe_FreshRoot_SocketIsMode0660(t *testing.T) {
	dir := shortTempDir(t)
	d, err := startDaemon(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stopOrFail(t, d.process)
	// One served request first: a daemon may chmod just after it starts accepting
	// (harmless: until then the socket is owner-only, stricter than 0660).
	ctx := namespaces.WithNamespace(context.Background(), "serve")
	conn, err := dial(ctx, d.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := snapshotsapi.NewSnapshotsClient(conn).Stat(ctx, &snapshotsapi.StatSnapshotRequest{Key: "absent"}); status.Code(err) != codes.NotFound {
		t.Fatalf("Stat of an absent key: want NotFound, got %v", err)
	}

	fi, err := os.Stat(d.socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket %s has mode %v, want a socket with 0660", d.socket, fi.Mode())
	}
}

func TestServe_StaleSocketLeftByACrash_IsReplaced(t *testing.T) {
	dir := shortTempDir(t)
	// A socket file nobody listens on, as a killed daemon leaves behind.
	stale := filepath.Join(dir, "psnap.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()

	d, err := startDaemon(dir)
	if err != nil {
		t.Fatalf("daemon did not start over a stale socket: %v", err)
	}
	defer stopOrFail(t, d.process)
}

func TestServe_EnvironmentVariablesInsteadOfFlags_ServesThere(t *testing.T) {
	dir := shortTempDir(t)
	root := filepath.Join(dir, "env-root")
	socket := filepath.Join(dir, "env.sock")
	config := filepath.Join(dir, "plugins.yaml")
	if err := os.WriteFile(config, []byte(emptyChainConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess("pluggable-snapshotter", dir, daemonCommand(), []string{
		"PSNAP_ROOT=" + root, "PSNAP_ADDRESS=" + socket, "PSNAP_CONFIG=" + config, "PSNAP_LOG_LEVEL=debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stopOrFail(t, p)
	if err := p.waitForSocket(socket); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("PSNAP_ROOT %s not used: %v", root, err)
	}
}

// shortTempDir is a fresh directory with a short path: unix socket paths must stay under 108 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "serve-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func stopOrFail(t *testing.T, p *process) {
	t.Helper()
	if err := p.stop(); err != nil {
		t.Error(err)
	}
}
