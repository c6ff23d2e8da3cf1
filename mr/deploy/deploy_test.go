package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Files checked: every unit and manifest in deploy/ must be listed here,
// so that a new one is not left out of the checks by accident.
var (
	unitFiles = []string{
		"deploy/systemd/mrcoordinator@.service",
		"deploy/systemd/mrworker@.service",
	}
	manifestFiles = []string{
		"deploy/k8s/coordinator.yaml",
		"deploy/k8s/workers.yaml",
	}
	// otherK8sFiles hold no command.
	otherK8sFiles = []string{
		"deploy/k8s/kustomization.yaml",
		"deploy/k8s/secret.yaml",
	}
	// wantKinds are the objects kubectl kustomize deploy/k8s renders.
	wantKinds = []string{"Job", "Job", "PersistentVolumeClaim", "Secret", "Service"}
	// storageSecretEnv are the environment variables that would put
	// storage credentials in a unit's or a manifest's plain text.
	storageSecretEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
)

// root is the repository's root; bin holds the binaries built for the
// tests; help is what each binary's -h lists.
var (
	root string
	bin  string
	help = map[string]flagSet{}
)

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if bin != "" {
		os.RemoveAll(bin)
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return 1, err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return 1, fmt.Errorf("the repository's root: %w", err)
	}
	root = dir
	if bin, err = os.MkdirTemp("", "mr-deploy-bin-"); err != nil {
		return 1, err
	}
	args := []string{"build", "-o", bin + "/"}
	for _, b := range binaries {
		args = append(args, "6.5840/cmd/"+b)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, b := range binaries {
		flags, err := helpFlags(filepath.Join(bin, b))
		if err != nil {
			return 1, err
		}
		help[b] = flags
	}
	return m.Run(), nil
}

// TestDeployFilesListed fails when deploy/ has a unit or a manifest that
// the tests do not know about.
func TestDeployFilesListed(t *testing.T) {
	var found []string
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".service", ".yaml", ".yml":
			rel, err := filepath.Rel(root, path)
			found = append(found, filepath.ToSlash(rel))
			return err
		}
		return nil
	})
	require.NoError(t, err)
	known := slices.Concat(unitFiles, manifestFiles, otherK8sFiles)
	slices.Sort(found)
	slices.Sort(known)
	require.Equal(t, known, found, "every unit and manifest in deploy/ is listed in deploy_test.go")
}

// allCommands returns the mr commands of every unit and manifest, and
// fails the test if a file that should run one runs none.
func allCommands(t *testing.T) []command {
	t.Helper()
	var all []command
	for _, files := range []struct {
		names []string
		parse func(root, rel string) ([]command, error)
	}{{unitFiles, unitCommands}, {manifestFiles, manifestCommands}} {
		for _, rel := range files.names {
			cmds, err := files.parse(root, rel)
			require.NoError(t, err)
			n := 0
			for _, c := range cmds {
				if c.binary() != "" {
					all = append(all, c)
					n++
				}
			}
			require.NotZero(t, n, "%s runs no mrcoordinator or mrworker", rel)
		}
	}
	return all
}

// TestFlagsExist checks that every flag the units and the manifests pass
// to mrcoordinator and mrworker is one that binary's -h lists, with a
// value where it takes one, before the first positional argument; that
// every such command has a positional argument (an input, a plugin); and
// that every command over TCP reads the secret from a file.
func TestFlagsExist(t *testing.T) {
	for _, c := range allCommands(t) {
		t.Logf("%v: %s", c, strings.Join(c.argv, " "))
		p, errs := parseArgs(c, help[c.binary()])
		for _, err := range errs {
			t.Error(err)
		}
		if len(p.positional) == 0 {
			t.Errorf("%v: %s without an input or a plugin", c, c.binary())
		}
		if strings.HasPrefix(p.flags["addr"], "tcp:") && p.flags["secret-file"] == "" {
			t.Errorf("%v: -addr %s without -secret-file", c, p.flags["addr"])
		}
	}
}

// TestNoPlainSecrets checks that no unit or manifest other than the
// Secret sets storage credentials in the environment.
func TestNoPlainSecrets(t *testing.T) {
	for _, rel := range slices.Concat(unitFiles, manifestFiles) {
		data, err := os.ReadFile(filepath.Join(root, rel))
		require.NoError(t, err)
		for _, name := range storageSecretEnv {
			require.NotContains(t, string(data), name, "%s names %s: credentials go in the credentials file", rel, name)
		}
	}
}

// TestSystemdVerify runs systemd-analyze verify on an instance of each
// unit, the binaries' path pointed at the ones just built, and fails on
// any complaint, warnings included (systemd-analyze exits 0 on those).
func TestSystemdVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("SKIP: systemd-analyze not on PATH: the units were not verified by systemd")
	}
	dir := t.TempDir()
	var instances []string
	for _, rel := range unitFiles {
		data, err := os.ReadFile(filepath.Join(root, rel))
		require.NoError(t, err)
		data = bytes.ReplaceAll(data, []byte("/usr/local/bin/"), []byte(bin+"/"))
		name := strings.Replace(filepath.Base(rel), "@.", "@test1.", 1)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		instances = append(instances, path)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, instances...)...).CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify:\n%s", out)
	require.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify complained")
}

// kubectl returns kubectl's path, or skips the test.
func kubectl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("SKIP: kubectl not on PATH: the manifests were not rendered")
	}
	return path
}

// runKubectl runs kubectl offline: with no configuration, so that
// nothing can reach a cluster.
func runKubectl(t *testing.T, path string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+os.DevNull)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "kubectl %s:\n%s", strings.Join(args, " "), stderr.String())
	return out
}

// TestKustomize renders deploy/k8s with kubectl kustomize (offline),
// checks that it splits into YAML documents of the expected kinds, then
// has kubectl read them (annotate --local, which contacts no server)
// and print them as JSON, and checks the objects: the same commands as
// the files hold, secrets mounted and copied with modes the binaries
// accept, the restart policies docs/CLUSTER.md explains.
func TestKustomize(t *testing.T) {
	kc := kubectl(t)
	rendered := runKubectl(t, kc, nil, "kustomize", filepath.Join(root, "deploy", "k8s"))

	var kinds []string
	for i, doc := range strings.Split(string(rendered), "\n---\n") {
		var kind, apiVersion string
		for _, line := range strings.Split(doc, "\n") {
			if v, ok := strings.CutPrefix(line, "kind: "); ok {
				kind = v
			}
			if v, ok := strings.CutPrefix(line, "apiVersion: "); ok {
				apiVersion = v
			}
		}
		require.NotEmpty(t, kind, "document %d has no kind:\n%s", i, doc)
		require.NotEmpty(t, apiVersion, "document %d has no apiVersion:\n%s", i, doc)
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	require.Equal(t, wantKinds, kinds, "kinds of the rendered documents")

	asJSON := runKubectl(t, kc, rendered, "annotate", "--local", "-f", "-", "-o", "json", "mr.test/checked=true")
	objs := decodeObjects(t, asJSON)
	kinds = kinds[:0]
	for _, o := range objs {
		kinds = append(kinds, o.Kind)
	}
	slices.Sort(kinds)
	require.Equal(t, wantKinds, kinds, "kinds of the objects kubectl read")

	var fromFiles, fromObjects []string
	for _, c := range allCommands(t) {
		if strings.HasSuffix(c.file, ".yaml") {
			fromFiles = append(fromFiles, strings.Join(c.argv, " "))
		}
	}
	restart := map[string]string{}
	for _, o := range objs {
		if o.Kind != "Job" {
			continue
		}
		pod := o.Spec.Template.Spec
		restart[o.Metadata.Name] = pod.RestartPolicy
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			require.Empty(t, c.Args, "%s %s: the whole argv is in command", o.Metadata.Name, c.Name)
			cmd := command{file: "rendered " + o.Metadata.Name, argv: c.Command}
			if cmd.binary() != "" {
				fromObjects = append(fromObjects, strings.Join(c.Command, " "))
				checkSecretFiles(t, o.Metadata.Name, c, pod)
			} else if slices.Contains(c.Command, "install") {
				require.Equal(t, []string{"install", "-m", "0400"}, c.Command[:3], "%s %s copies the secrets private", o.Metadata.Name, c.Name)
			}
			for _, e := range c.Env {
				require.NotContains(t, storageSecretEnv, e.Name, "%s %s", o.Metadata.Name, c.Name)
			}
		}
	}
	slices.Sort(fromFiles)
	slices.Sort(fromObjects)
	require.Equal(t, fromFiles, fromObjects, "the commands kubectl read are those the manifest parser found")
	require.Equal(t, map[string]string{"mrcoordinator": "Never", "mrworkers": "OnFailure"}, restart, "restart policies")
}

// checkSecretFiles checks that the files container c reads secrets from
// are in a memory-backed folder filled by an init container, not the
// Secret's own volume, which is root's and, with fsGroup, mode 0440: a
// mode the binaries refuse.
func checkSecretFiles(t *testing.T, job string, c container, pod podSpec) {
	t.Helper()
	volumes := map[string]volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		v := volumes[m.Name]
		require.Nil(t, v.Secret, "%s %s mounts the Secret volume %s itself", job, c.Name, m.Name)
		if m.MountPath == "/run/mr" {
			require.NotNil(t, v.EmptyDir, "%s: /run/mr is an emptyDir", job)
			require.Equal(t, "Memory", v.EmptyDir.Medium, "%s: /run/mr is memory-backed", job)
		}
	}
	var src *secretVolume
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			src = v.Secret
		}
	}
	require.NotNil(t, src, "%s has a Secret volume for its init container", job)
	require.Equal(t, 0o440, src.DefaultMode, "%s: the Secret's files are readable by the pod's group, to be copied", job)
	require.Greater(t, pod.SecurityContext.FSGroup, 0, "%s: fsGroup lets the init container read the Secret", job)
}

// The fields of the rendered objects that the test reads.
type (
	object struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Spec podSpec `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	podSpec struct {
		RestartPolicy   string `json:"restartPolicy"`
		SecurityContext struct {
			FSGroup int `json:"fsGroup"`
		} `json:"securityContext"`
		InitContainers []container `json:"initContainers"`
		Containers     []container `json:"containers"`
		Volumes        []volume    `json:"volumes"`
	}
	container struct {
		Name    string   `json:"name"`
		Command []string `json:"command"`
		Args    []string `json:"args"`
		Env     []struct {
			Name string `json:"name"`
		} `json:"env"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
		} `json:"volumeMounts"`
	}
	volume struct {
		Name     string        `json:"name"`
		Secret   *secretVolume `json:"secret"`
		EmptyDir *struct {
			Medium string `json:"medium"`
		} `json:"emptyDir"`
	}
	secretVolume struct {
		SecretName  string `json:"secretName"`
		DefaultMode int    `json:"defaultMode"`
	}
)

// decodeObjects reads kubectl's JSON: one object after another, or a
// List of them.
func decodeObjects(t *testing.T, data []byte) []object {
	t.Helper()
	var objs []object
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "kubectl's JSON")
		var list struct {
			Kind  string   `json:"kind"`
			Items []object `json:"items"`
		}
		require.NoError(t, json.Unmarshal(raw, &list))
		if list.Kind == "List" {
			objs = append(objs, list.Items...)
			continue
		}
		var o object
		require.NoError(t, json.Unmarshal(raw, &o))
		objs = append(objs, o)
	}
	return objs
}

// TestParseArgs checks the flag reader on command lines with each kind
// of mistake it must find.
func TestParseArgs(t *testing.T) {
	flags := flagSet{"addr": true, "q": false, "nreduce": true}
	for _, tc := range []struct {
		argv []string
		errs int
	}{
		{[]string{"mrcoordinator", "-addr", "tcp:h:1", "-q", "--nreduce=3", "in"}, 0},
		{[]string{"mrcoordinator", "-nope", "in"}, 1},
		{[]string{"mrcoordinator", "in", "-q"}, 1},
		{[]string{"mrcoordinator", "-addr"}, 1},
	} {
		_, errs := parseArgs(command{file: "t", argv: tc.argv}, flags)
		require.Len(t, errs, tc.errs, "%q: %v", tc.argv, errs)
	}
	p, errs := parseArgs(command{file: "t", argv: []string{"mrworker", "-q", "-addr", "tcp:h:1", "x.so"}}, flags)
	require.Empty(t, errs)
	require.Equal(t, map[string]string{"q": "true", "addr": "tcp:h:1"}, p.flags)
	require.Equal(t, []string{"x.so"}, p.positional)

	m := helpFlag.FindStringSubmatch("  -q\tdo not show progress")
	require.Equal(t, []string{"  -q\t", "q", "", "\t"}, m)
	m = helpFlag.FindStringSubmatch("  -split-size value")
	require.Equal(t, "split-size", m[1])
	require.NotEmpty(t, m[2])
}
