package conformance

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/namespaces"
	"github.com/gogo/protobuf/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// badInputFixture is a daemon holding a small committed chain, "base" <- "child",
// plus the active snapshot "work" on "base", talked to over raw gRPC so the test
// sees the exact status codes and messages the daemon sends.
type badInputFixture struct {
	daemon *snapshotterDaemon
	client snapshotsapi.SnapshotsClient
	ctx    context.Context
}

func newBadInputFixture(t *testing.T) *badInputFixture {
	t.Helper()
	// Not t.TempDir(): a test name in the path can push the socket past 108 bytes.
	dir, err := os.MkdirTemp("", "badinput-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d, err := startDaemon(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := namespaces.WithNamespace(context.Background(), "badinput")
	conn, err := dial(ctx, d.socket)
	if err != nil {
		t.Fatal(joinErrors(err, d.stop()))
	}
	t.Cleanup(func() {
		conn.Close()
		if err := d.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", d.output)
		}
	})
	f := &badInputFixture{daemon: d, client: snapshotsapi.NewSnapshotsClient(conn), ctx: ctx}
	f.must(t, "prepare base-active", f.prepare("base-active", ""))
	f.must(t, "commit base", f.commit("base", "base-active"))
	f.must(t, "prepare child-active", f.prepare("child-active", "base"))
	f.must(t, "commit child", f.commit("child", "child-active"))
	f.must(t, "prepare work", f.prepare("work", "base"))
	return f
}

func (f *badInputFixture) must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %s: %v", what, err)
	}
}

func (f *badInputFixture) prepare(key, parent string) error {
	_, err := f.client.Prepare(f.ctx, &snapshotsapi.PrepareSnapshotRequest{Key: key, Parent: parent})
	return err
}

func (f *badInputFixture) commit(name, key string) error {
	_, err := f.client.Commit(f.ctx, &snapshotsapi.CommitSnapshotRequest{Name: name, Key: key})
	return err
}

// state is everything a failed call must leave as it was: the snapshot list
// (names, parents, kinds, labels, times) and the tree under <root>/snapshots.
func (f *badInputFixture) state(t *testing.T) string {
	t.Helper()
	stream, err := f.client.List(f.ctx, &snapshotsapi.ListSnapshotsRequest{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var lines []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, info := range resp.Info {
			lines = append(lines, fmt.Sprintf("snapshot %q parent=%q kind=%v labels=%v created=%v updated=%v",
				info.Name, info.Parent, info.Kind, sortedLabels(info.Labels), info.CreatedAt, info.UpdatedAt))
		}
	}
	snapshotsDir := filepath.Join(f.daemon.root, "snapshots")
	err = filepath.Walk(snapshotsDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(snapshotsDir, path)
		st := fi.Sys().(*syscall.Stat_t)
		lines = append(lines, fmt.Sprintf("path %s mode=%v uid=%d gid=%d size=%d", rel, fi.Mode(), st.Uid, st.Gid, dirlessSize(fi)))
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", snapshotsDir, err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// dirlessSize ignores directory sizes, which some filesystems report by capacity.
func dirlessSize(fi os.FileInfo) int64 {
	if fi.IsDir() {
		return 0
	}
	return fi.Size()
}

func sortedLabels(labels map[string]string) string {
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// expectUnchanged runs call, checks its status code and that nothing changed.
func (f *badInputFixture) expectUnchanged(t *testing.T, want codes.Code, call func() error) *status.Status {
	t.Helper()
	before := f.state(t)
	err := call()
	st, _ := status.FromError(err)
	if err == nil || st.Code() != want {
		t.Fatalf("want status %v, got %v", want, err)
	}
	if st.Message() == "" {
		t.Errorf("status %v carries no message", st.Code())
	}
	if after := f.state(t); after != before {
		t.Errorf("state changed by a failed call\n--- before ---\n%s\n--- after ---\n%s", before, after)
	}
	return st
}

func TestPrepare_ExistingKey_AlreadyExists(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.AlreadyExists, func() error { return f.prepare("work", "") })
	f.expectUnchanged(t, codes.AlreadyExists, func() error { return f.prepare("base", "") })
}

func TestView_ExistingKey_AlreadyExists(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.AlreadyExists, func() error {
		_, err := f.client.View(f.ctx, &snapshotsapi.ViewSnapshotRequest{Key: "work", Parent: "base"})
		return err
	})
}

func TestPrepare_UnknownParent_NotFound(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.NotFound, func() error { return f.prepare("orphan", "no-such-parent") })
}

func TestView_UnknownParent_NotFound(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.NotFound, func() error {
		_, err := f.client.View(f.ctx, &snapshotsapi.ViewSnapshotRequest{Key: "orphan-view", Parent: "no-such-parent"})
		return err
	})
}

func TestCommit_ExistingName_AlreadyExists(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.AlreadyExists, func() error { return f.commit("child", "work") })
}

func TestCommit_UnknownKey_NotFound(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.NotFound, func() error { return f.commit("new-name", "no-such-key") })
}

func TestRemove_SnapshotWithChildren_FailedPrecondition(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.FailedPrecondition, func() error {
		_, err := f.client.Remove(f.ctx, &snapshotsapi.RemoveSnapshotRequest{Key: "base"})
		return err
	})
}

func TestRemove_UnknownKey_NotFound(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.NotFound, func() error {
		_, err := f.client.Remove(f.ctx, &snapshotsapi.RemoveSnapshotRequest{Key: "no-such-key"})
		return err
	})
}

func TestStat_UnknownKey_NotFound(t *testing.T) {
	f := newBadInputFixture(t)
	f.expectUnchanged(t, codes.NotFound, func() error {
		_, err := f.client.Stat(f.ctx, &snapshotsapi.StatSnapshotRequest{Key: "no-such-key"})
		return err
	})
}

func TestUpdate_ImmutableField_InvalidArgument(t *testing.T) {
	f := newBadInputFixture(t)
	st := f.expectUnchanged(t, codes.InvalidArgument, func() error {
		_, err := f.client.Update(f.ctx, &snapshotsapi.UpdateSnapshotRequest{
			Info:       snapshotsapi.Info{Name: "base", Parent: "child"},
			UpdateMask: &types.FieldMask{Paths: []string{"parent"}},
		})
		return err
	})
	if !strings.Contains(st.Message(), "parent") {
		t.Errorf("message %q does not name the field path %q", st.Message(), "parent")
	}
}

// TestList_MalformedFilter_InvalidArgument sends filters containerd's parser rejects.
// The message must say it is the filter that is wrong and point at the bad part.
func TestList_MalformedFilter_InvalidArgument(t *testing.T) {
	for _, c := range []struct{ filter, mentions string }{
		{`labels."unterminated`, "labels"},
		{`kind==active,`, "kind"},
		{`name==`, "name"},
		{`name=base`, "="},
		{`==base`, "base"},
	} {
		c := c
		t.Run(c.filter, func(t *testing.T) {
			f := newBadInputFixture(t)
			st := f.expectUnchanged(t, codes.InvalidArgument, func() error { return f.list(c.filter) })
			if msg := st.Message(); !strings.Contains(strings.ToLower(msg), "filter") || !strings.Contains(msg, c.mentions) {
				t.Errorf("message %q should say the filter is malformed and mention %q", msg, c.mentions)
			}
		})
	}
}

func TestList_WellFormedFilter_ReturnsMatches(t *testing.T) {
	f := newBadInputFixture(t)
	stream, err := f.client.List(f.ctx, &snapshotsapi.ListSnapshotsRequest{Filters: []string{`kind==committed,parent==base`}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range resp.Info {
			names = append(names, info.Name)
		}
	}
	if strings.Join(names, ",") != "child" {
		t.Fatalf("want [child], got %v", names)
	}
}

func (f *badInputFixture) list(filters ...string) error {
	stream, err := f.client.List(f.ctx, &snapshotsapi.ListSnapshotsRequest{Filters: filters})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
