// Package deploy holds the tests of the files in deploy/ at the root of
// the repository: the systemd units and the Kubernetes manifests pass
// mrcoordinator and mrworker only flags that the binaries have, in an
// order the flag package reads as meant, and the manifests render
// (kubectl kustomize, offline) into the objects docs/CLUSTER.md
// describes. It has no code of its own.
package deploy
