// Package conformance runs containerd's snapshotter conformance suite
// (github.com/containerd/containerd/snapshots/testsuite, from Debian's
// golang-github-containerd-containerd-dev) against pluggable-snapshotter:
// once over the daemon's socket and once through a private containerd 1.6 that
// loads the daemon as a proxy snapshotter. It also checks the daemon's answers to
// bad input. Build in GOPATH mode; see run.sh.
package conformance
