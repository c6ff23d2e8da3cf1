package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"6.5840/mr/auth"
	"github.com/stretchr/testify/require"
)

const (
	// childEnv makes the test binary a child of a peer-credential test:
	// "listen" on $PROTOCOL_TEST_ADDR until stdin closes, "dial" it and
	// wait for the far end to close the connection, or "worker-dial" it
	// with Dial and print the error.
	childEnv     = "PROTOCOL_TEST_CHILD"
	childAddrEnv = "PROTOCOL_TEST_ADDR"
	// childWait bounds a child's wait for the far end to hang up, so that
	// a broken test fails rather than hangs.
	childWait = 30 * time.Second
	// childReady is what a listening child prints when it listens.
	childReady = "ready"
	// childClosed is what a dialing child prints when the far end hung up.
	childClosed = "closed"
	// sharedMode lets the other user into a folder of the tests.
	sharedMode = 0o755
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "listen":
		os.Exit(childListen(os.Getenv(childAddrEnv)))
	case "dial":
		os.Exit(childDial(os.Getenv(childAddrEnv)))
	case "worker-dial":
		// What a worker does: print Dial's error.
		conn, err := Dial(context.Background(), Addr{"unix", os.Getenv(childAddrEnv)}, auth.Secret{}, nil)
		if err == nil {
			conn.Close()
		}
		fmt.Println(err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childListen listens on path, keeping every connection open, until
// stdin closes.
func childListen(path string) int {
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	go func() {
		var conns []net.Conn
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, conn)
		}
	}()
	fmt.Println(childReady)
	io.Copy(io.Discard, os.Stdin)
	l.Close()
	return 0
}

// childDial connects to path and prints childClosed once the far end
// hangs up.
func childDial(path string) int {
	conn, err := net.Dial("unix", path)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(childWait))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		fmt.Println("the connection stayed open:", err)
		return 1
	}
	fmt.Println(childClosed)
	return 0
}

// sharedDir makes a folder that the other user may enter, and copies the
// test binary there for it to run; it returns the folder and the copy.
func sharedDir(t *testing.T) (dir, exe string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "protocol-peer-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, sharedMode))
	self, err := os.Executable()
	require.NoError(t, err)
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	exe = filepath.Join(dir, "child.test")
	require.NoError(t, os.WriteFile(exe, data, sharedMode))
	return dir, exe
}

// startAsOther runs exe as the other user, in mode ("listen" or "dial")
// on path, and stops it when the test ends.
func startAsOther(t *testing.T, exe, mode, path string) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childAddrEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID}}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(stdout), stdin
}

// TestDialRefusesACoordinatorOfAnotherUser runs a listener as another
// user: Dial must refuse it, naming that user, with ErrOtherUser, which
// the worker does not retry.
func TestDialRefusesACoordinatorOfAnotherUser(t *testing.T) {
	needRoot(t, "run a process as another user")
	dir, exe := sharedDir(t)
	sockDir := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(sockDir, sharedMode))
	require.NoError(t, os.Chown(sockDir, otherUID, otherUID))
	path := filepath.Join(sockDir, "mr.sock")
	_, out, _ := startAsOther(t, exe, "listen", path)
	line, err := out.ReadString('\n')
	require.NoError(t, err, "the child did not start listening")
	require.Equal(t, childReady+"\n", line)

	conn, err := Dial(context.Background(), Addr{"unix", path}, auth.Secret{}, nil)
	if err == nil {
		conn.Close()
	}
	require.ErrorIs(t, err, ErrOtherUser)
	require.ErrorContains(t, err, "uid "+strconv.Itoa(otherUID))
	require.ErrorContains(t, err, path)
}

// TestListenRefusesAWorkerOfAnotherUser lets another user's process reach
// the socket (as if its mode were open): the listener must close that
// connection, log why, and never hand it to Accept.
func TestListenRefusesAWorkerOfAnotherUser(t *testing.T) {
	needRoot(t, "run a process as another user")
	dir, exe := sharedDir(t)
	a := Addr{"unix", filepath.Join(dir, "mr.sock")}
	var logs bytes.Buffer
	l, err := ListenAuthenticated(a, auth.Secret{}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, os.Chmod(a.Address, 0o777))
	accepted := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err == nil {
			conn.Close()
			err = errors.New("accepted a connection of another user")
		}
		accepted <- err
	}()

	cmd, out, _ := startAsOther(t, exe, "dial", a.Address)
	line, _ := out.ReadString('\n')
	require.NoError(t, cmd.Wait(), "the child's connection: %s", line)
	require.Equal(t, childClosed+"\n", line)

	require.NoError(t, l.Close())
	require.ErrorIs(t, <-accepted, net.ErrClosed)
	require.Contains(t, logs.String(), "runs as another user")
	require.Contains(t, logs.String(), "uid "+strconv.Itoa(otherUID))
}

// TestSameUserConnects checks that the checks let this user's own worker
// and coordinator talk.
func TestSameUserConnects(t *testing.T) {
	a := Addr{"unix", filepath.Join(t.TempDir(), "mr.sock")}
	l, err := ListenAuthenticated(a, auth.Secret{}, nil, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err == nil {
			conn.Close()
		}
		accepted <- err
	}()
	conn, err := Dial(context.Background(), a, auth.Secret{}, nil)
	require.NoError(t, err)
	conn.Close()
	require.NoError(t, <-accepted)
}

func TestSamePeerUser(t *testing.T) {
	require.NoError(t, samePeerUser(peerCreds{pid: 7, uid: 1000}, 1000))
	err := samePeerUser(peerCreds{pid: 7, uid: otherUID}, 0)
	require.ErrorIs(t, err, ErrOtherUser)
	require.ErrorContains(t, err, "process 7 runs as")
	require.ErrorContains(t, err, "uid "+strconv.Itoa(otherUID))
	require.ErrorContains(t, err, "not as you, root (uid 0)")
}

// TestDialSaysWhoseSocketItMayNotUse runs a worker as another user against
// this user's private socket: the connection is not allowed at all, and
// Dial must say whose the socket is, with ErrOtherUser, not retry.
func TestDialSaysWhoseSocketItMayNotUse(t *testing.T) {
	needRoot(t, "run a process as another user")
	dir, exe := sharedDir(t)
	a := Addr{"unix", filepath.Join(dir, "mr.sock")}
	l, err := ListenAuthenticated(a, auth.Secret{}, nil, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer l.Close()

	cmd, out, _ := startAsOther(t, exe, "worker-dial", a.Address)
	line, _ := out.ReadString('\n')
	require.NoError(t, cmd.Wait())
	require.Contains(t, line, ErrOtherUser.Error())
	require.Contains(t, line, a.Address+" is a socket owned by "+userName(os.Geteuid()))
}
