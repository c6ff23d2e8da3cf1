package s3job

import (
	"context"
	"fmt"
	"strings"

	"6.5840/mr/s3"
	"6.5840/mr/task"
)

// Object is one input object as planning found it.
type Object struct {
	// Name is its location, s3://BUCKET/KEY.
	Name string
	Size int64
	ETag string
}

// Objects returns the objects that name (s3://BUCKET/KEY, or
// s3://BUCKET/PREFIX/ for every object under PREFIX/) stands for, in key
// order. Keys ending in "/" are folder markers, not inputs. An error
// names the input and S3's reason; a prefix with no objects is one.
func Objects(ctx context.Context, c *s3.Client, name string) ([]Object, error) {
	loc, err := s3.ParseLocation(name)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", name, err)
	}
	if !loc.IsPrefix() {
		info, err := c.HeadObject(ctx, loc.Bucket, loc.Key)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		return []Object{{Name: name, Size: info.Size, ETag: info.ETag}}, nil
	}
	listed, err := c.ListObjects(ctx, loc.Bucket, loc.Key)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", name, err)
	}
	var objects []Object
	for _, o := range listed {
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		objects = append(objects, Object{Name: s3.Location{Bucket: loc.Bucket, Key: o.Key}.String(), Size: o.Size, ETag: o.ETag})
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("input %s: no objects under the prefix", name)
	}
	return objects, nil
}

// Split cuts o into map task inputs as task.Split cuts a file, each
// carrying o's ETag.
func (o Object) Split(splitSize int64) []task.Input {
	inputs := task.Split(o.Name, o.Size, splitSize)
	for i := range inputs {
		inputs[i].ETag = o.ETag
	}
	return inputs
}
