package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/log"
	"google.golang.org/grpc"
)

// emptyChainConfig makes the daemon a plain overlayfs snapshotter: no backend
// plugins, one chain without backends (containerd fetches and applies every layer).
const emptyChainConfig = "plugins: []\nchains:\n  - name: plain\n    backends: []\n"

// daemonStartTimeout bounds how long we wait for the socket to accept connections.
var daemonStartTimeout = envDuration("PSNAP_START_TIMEOUT", 60*time.Second)

// syncBuffer collects a child's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a child we started and must stop: the snapshotter daemon or containerd.
type process struct {
	name   string
	dir    string // everything under it is unmounted when the process stops
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
	err    error // set when exited is closed
}

func startProcess(name, dir string, argv []string, env []string) (*process, error) {
	p := &process{name: name, dir: dir, output: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	// Its own process group, so a stop reaches helpers it forked (containerd's shims).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, argv[0], err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitForSocket polls until the unix socket accepts connections or the process dies.
func (p *process) waitForSocket(socket string) error {
	deadline := time.Now().Add(daemonStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before serving %s: %v\n--- %s output ---\n%s", p.name, socket, p.err, p.name, p.output)
		default:
		}
		if c, err := net.DialTimeout("unix", socket, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not serve %s within %v\n--- %s output ---\n%s", p.name, socket, daemonStartTimeout, p.name, p.output)
}

// stop sends SIGTERM, escalates to SIGKILL after a grace period, then unmounts
// anything left under the process's directory. A non-zero exit is reported.
func (p *process) stop() error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	var exitErr error
	select {
	case <-p.exited:
		exitErr = p.err
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		exitErr = fmt.Errorf("%s ignored SIGTERM for 15s and was killed", p.name)
	}
	// Helpers forked into the group (shims) may outlive the leader.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	var ee *exec.ExitError
	if errors.As(exitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			exitErr = nil // died of the SIGTERM we sent: an orderly stop
		}
	}
	unmountErr := unmountUnder(p.dir)
	if exitErr != nil {
		return fmt.Errorf("%s did not stop cleanly: %v\n--- %s output ---\n%s", p.name, exitErr, p.name, p.output)
	}
	return unmountErr
}

// unmountUnder lazily unmounts every mount point at or below dir, deepest first.
func unmountUnder(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	prefix := filepath.Clean(dir)
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == prefix || strings.HasPrefix(mp, prefix+"/") {
			points = append(points, mp)
		}
	}
	var errs []string
	for i := len(points) - 1; i >= 0; i-- { // mountinfo lists parents before children
		if err := syscall.Unmount(points[i], syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			errs = append(errs, fmt.Sprintf("unmount %s: %v", points[i], err))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// unescapeMountPath decodes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// daemonCommand is how to run the snapshotter under test: PSNAP_DAEMON names an
// executable or a .dll (run with dotnet); the default is the published daemon.
func daemonCommand() []string {
	path := os.Getenv("PSNAP_DAEMON")
	if path == "" {
		path = filepath.Join(repoRoot(), "out", "host", "pluggable-snapshotter")
	}
	if strings.HasSuffix(path, ".dll") {
		return []string{"dotnet", path}
	}
	return []string{path}
}

func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// snapshotterDaemon is one running daemon with a private root and socket.
type snapshotterDaemon struct {
	*process
	root   string
	socket string
}

// startDaemon runs the daemon with its root, socket and plugins.yaml under dir.
func startDaemon(dir string) (*snapshotterDaemon, error) {
	root := filepath.Join(dir, "psnap")
	socket := filepath.Join(dir, "psnap.sock")
	config := os.Getenv("PSNAP_DAEMON_CONFIG")
	if config == "" {
		config = filepath.Join(dir, "plugins.yaml")
		if err := os.WriteFile(config, []byte(emptyChainConfig), 0o644); err != nil {
			return nil, err
		}
	}
	argv := append(daemonCommand(), "--root", root, "--address", socket, "--config", config, "--log-level", "debug")
	p, err := startProcess("pluggable-snapshotter", dir, argv, nil)
	if err != nil {
		return nil, err
	}
	if err := p.waitForSocket(socket); err != nil {
		_ = p.stop()
		return nil, err
	}
	return &snapshotterDaemon{process: p, root: root, socket: socket}, nil
}

// dial opens a gRPC connection to a unix socket (HTTP/2 without TLS).
func dial(ctx context.Context, socket string) (*grpc.ClientConn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return grpc.DialContext(ctx, "passthrough:///"+socket,
		grpc.WithInsecure(),
		grpc.WithBlock(),
		grpc.WithAuthority("localhost"),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}))
}

func envDuration(name string, fallback time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return fallback
}

// joinErrors keeps every non-nil error (Go 1.19 has no errors.Join).
func joinErrors(errs ...error) error {
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// logOutput copies a child's output, line by line, to the suite's logger, which
// writes into the test log (printed for failed tests, or for all with -v).
func logOutput(ctx context.Context, p *process) {
	for _, line := range strings.Split(strings.TrimRight(p.output.String(), "\n"), "\n") {
		log.G(ctx).WithField("process", p.name).Debug(line)
	}
}
