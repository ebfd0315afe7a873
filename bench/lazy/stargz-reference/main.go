// Command stargz-reference serves stargz-snapshotter (the CNCF lazy-pulling snapshotter, built from Debian's
// golang-github-containerd-stargz-snapshotter-dev 0.12 sources) as a containerd proxy snapshotter, with its default
// filesystem settings and every registry reached over plain HTTP: the reference lazy snapshotter that
// bench/lazy/reread-reference.sh measures beside ours and containerd's overlayfs on the same machine.
//
// Usage: stargz-reference --root DIR --address SOCKET
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/contrib/snapshotservice"
	"github.com/containerd/containerd/reference"
	"github.com/containerd/containerd/remotes/docker"
	stargzfs "github.com/containerd/stargz-snapshotter/fs"
	fsconfig "github.com/containerd/stargz-snapshotter/fs/config"
	"github.com/containerd/stargz-snapshotter/fs/layer"
	"github.com/containerd/stargz-snapshotter/fs/source"
	"github.com/containerd/stargz-snapshotter/snapshot"
	"google.golang.org/grpc"
)

func main() {
	root := flag.String("root", "", "state directory")
	address := flag.String("address", "", "unix socket to serve on")
	flag.Parse()
	if *root == "" || *address == "" {
		fmt.Fprintln(os.Stderr, "usage: stargz-reference --root DIR --address SOCKET")
		os.Exit(2)
	}
	// What containerd-stargz-grpc does with an empty config, minus the keychains: the layer's registry comes from the
	// labels `ctr-remote image rpull` passes, over plain HTTP (the bench's registry is on loopback).
	hosts := func(ref reference.Spec) ([]docker.RegistryHost, error) {
		return []docker.RegistryHost{{
			Client:       &http.Client{Transport: http.DefaultTransport},
			Host:         ref.Hostname(),
			Scheme:       "http",
			Path:         "/v2",
			Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve,
		}}, nil
	}
	fs, err := stargzfs.NewFilesystem(filepath.Join(*root, "stargz"), fsconfig.Config{},
		stargzfs.WithGetSources(source.FromDefaultLabels(hosts)), stargzfs.WithOverlayOpaqueType(layer.OverlayOpaqueTrusted))
	check(err)
	snapshotter, err := snapshot.NewSnapshotter(context.Background(), filepath.Join(*root, "snapshotter"), fs, snapshot.AsynchronousRemove)
	check(err)
	server := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(server, snapshotservice.FromSnapshotter(snapshotter))
	_ = os.Remove(*address)
	listener, err := net.Listen("unix", *address)
	check(err)
	check(server.Serve(listener))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "stargz-reference:", err)
		os.Exit(1)
	}
}
