// Command callloop times the snapshotter calls containerd makes for one container, against a proxy snapshotter's
// socket: Stat of the image's top layer, Prepare of the container's root, Mounts twice (as containerd 1.6 asks before
// the task starts), and Remove at its end. It prints each call's percentiles and those of the four before the start
// ("start"), for ROUNDS containers run back to back and ROUNDS run with a pause between them (a node starting a container now and then, whose server's
// threads have gone idle in between).
//
// Usage: callloop SOCKET [ROUNDS] [PAUSE_MS]
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/pkg/dialer"
	"github.com/containerd/containerd/snapshots/proxy"
	"google.golang.org/grpc"
)

var calls = []string{"Stat", "Prepare", "Mounts", "Mounts again", "start", "Remove"}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: callloop SOCKET [ROUNDS] [PAUSE_MS]")
		os.Exit(2)
	}
	socket, rounds, pause := os.Args[1], 500, 5
	if len(os.Args) > 2 {
		rounds = atoi(os.Args[2])
	}
	if len(os.Args) > 3 {
		pause = atoi(os.Args[3])
	}
	conn, err := grpc.Dial(dialer.DialAddress(socket), grpc.WithInsecure(), grpc.WithContextDialer(dialer.ContextDialer))
	check(err)
	defer conn.Close()
	sn := proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "callloop")
	ctx := context.Background()

	// The image's top layer: a committed snapshot every container's root is prepared on.
	stamp := time.Now().UnixNano()
	parent := fmt.Sprintf("callloop-layer-%d", stamp)
	active := parent + "-active"
	_, err = sn.Prepare(ctx, active, "")
	check(err)
	check(sn.Commit(ctx, parent, active))
	defer sn.Remove(ctx, parent)

	container := 0
	sequence := func(times map[string][]time.Duration) {
		container++
		key := fmt.Sprintf("callloop-%d-%d", stamp, container)
		start := time.Now()
		timed(times, "Stat", func() error { _, err := sn.Stat(ctx, parent); return err })
		timed(times, "Prepare", func() error { _, err := sn.Prepare(ctx, key, parent); return err })
		timed(times, "Mounts", func() error { _, err := sn.Mounts(ctx, key); return err })
		timed(times, "Mounts again", func() error { _, err := sn.Mounts(ctx, key); return err })
		times["start"] = append(times["start"], time.Since(start))
		timed(times, "Remove", func() error { return sn.Remove(ctx, key) })
	}
	for i := 0; i < 50; i++ { // the server's first calls (JIT, pools) are not what is measured
		sequence(map[string][]time.Duration{})
	}
	for _, mode := range []struct {
		name  string
		pause time.Duration
	}{{"back to back", 0}, {fmt.Sprintf("%d ms apart", pause), time.Duration(pause) * time.Millisecond}} {
		times := map[string][]time.Duration{}
		for i := 0; i < rounds; i++ {
			sequence(times)
			time.Sleep(mode.pause)
		}
		fmt.Printf("%s, %d containers %s:\n", socket, rounds, mode.name)
		for _, call := range calls {
			d := times[call]
			sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
			fmt.Printf("  %-13s p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms\n", call, ms(d[len(d)/2]), ms(d[len(d)*9/10]), ms(d[len(d)*99/100]))
		}
	}
}

func timed(times map[string][]time.Duration, call string, f func() error) {
	start := time.Now()
	check(f())
	times[call] = append(times[call], time.Since(start))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	check(err)
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "callloop:", err)
		os.Exit(1)
	}
}
