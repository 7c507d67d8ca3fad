package storetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// startCluster starts a throwaway PostgreSQL cluster from Debian's binaries
// in a temporary directory on a free port. initdb refuses to run as root,
// so as root the cluster runs as the postgres system user. The server is a
// child of the test binary and receives SIGINT (fast shutdown) when the
// binary exits.
func startCluster(ctx context.Context) (string, error) {
	bin, err := postgresBin()
	if err != nil && os.Geteuid() == 0 {
		out, ierr := exec.CommandContext(ctx, "apt-get", "install", "-y", "postgresql").CombinedOutput()
		if ierr != nil {
			return "", fmt.Errorf("apt-get install postgresql: %v: %s", ierr, tail(out))
		}
		bin, err = postgresBin()
	}
	if err != nil {
		return "", err
	}

	var cred *syscall.Credential
	dir, err := os.MkdirTemp("", "vms-pg-")
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, tail(out))
	}

	port, err := freePort()
	if err != nil {
		return "", err
	}
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off")
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
	srv.Dir = dir
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return "", err
	}
	if cred != nil {
		os.Chown(logFile.Name(), int(cred.Uid), int(cred.Gid))
	}
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return "", fmt.Errorf("start postgres: %w", err)
	}
	go srv.Wait()

	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ping(ctx, u)
		if err == nil {
			return u, nil
		}
		if time.Now().After(deadline) {
			srv.Process.Signal(syscall.SIGINT)
			return "", fmt.Errorf("throwaway postgres did not answer (log in %s): %w", logFile.Name(), err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// postgresBin returns the bin directory of the newest installed version.
func postgresBin() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(m) == 0 {
		return "", errors.New("no /usr/lib/postgresql/*/bin/initdb")
	}
	sort.Slice(m, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return vi < vj
	})
	return filepath.Dir(m[len(m)-1]), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte) string {
	if len(b) > 500 {
		b = b[len(b)-500:]
	}
	return string(b)
}
