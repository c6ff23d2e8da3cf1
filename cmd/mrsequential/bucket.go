package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"6.5840/mr/jobfiles"
	"6.5840/mr/s3"
	"6.5840/mr/s3job"
)

// bucket reads inputs and writes the output in a bucket, through a
// client made from the environment on first use.
type bucket struct {
	client *s3.Client
}

// open returns the client, made from the environment (AWS_* variables,
// the AWS profile) the first time.
func (b *bucket) open() (*s3.Client, error) {
	if b.client != nil {
		return b.client, nil
	}
	cfg, err := s3.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	b.client, err = s3.New(cfg)
	return b.client, err
}

// expand returns the inputs with each s3://BUCKET/PREFIX/ replaced by the
// objects under it, as the coordinator lists them.
func (b *bucket) expand(inputs []string) ([]string, error) {
	var names []string
	for _, in := range inputs {
		if !s3.IsLocation(in) {
			names = append(names, in)
			continue
		}
		c, err := b.open()
		if err != nil {
			return nil, err
		}
		objects, err := s3job.Objects(context.Background(), c, in)
		if err != nil {
			return nil, err
		}
		for _, o := range objects {
			names = append(names, o.Name)
		}
	}
	return names, nil
}

// read returns the contents of a file or an object.
func (b *bucket) read(name string) ([]byte, error) {
	if !s3.IsLocation(name) {
		return os.ReadFile(name)
	}
	c, err := b.open()
	if err != nil {
		return nil, err
	}
	r, size, err := s3job.OpenInput(context.Background(), c, name, "")
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return data, nil
}

// upload copies the finished local output at path to mr-out-0 under the
// output prefix.
func (b *bucket) upload(output, path string) error {
	c, err := b.open()
	if err != nil {
		return err
	}
	out, err := s3job.ParseOutput(c, output)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := out.Create(context.Background(), 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		w.Abort()
		return fmt.Errorf("upload %s: %w", out.Name(0), err)
	}
	if err := w.Close(); err != nil {
		w.Abort()
		return err
	}
	return nil
}

// localOutput returns where the answer is written: mr-out-0 here, or a
// file in a temporary folder (which clean removes) for an output in a
// bucket.
func localOutput(output string) (path string, clean func(), err error) {
	if output == "" {
		return jobfiles.Output(0), func() {}, nil
	}
	dir, err := os.MkdirTemp("", "mrsequential-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, jobfiles.Output(0)), func() { os.RemoveAll(dir) }, nil
}
