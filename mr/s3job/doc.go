// Package s3job is what a MapReduce job does with an S3 bucket: it plans
// map tasks over objects, reads them in byte ranges, and commits reduce
// outputs without a rename. The engine names an object by its location,
// s3://BUCKET/KEY, exactly as the user gave it or as a listing found it;
// everything else (local files) goes the old way.
//
// # Inputs
//
// s3://BUCKET/KEY is one object; s3://BUCKET/PREFIX/ (trailing slash)
// every object under PREFIX/, listed page by page, in key order, keys
// ending in "/" (folder markers) left out. A prefix with no objects is an
// error naming it. Each object is one map task, or one per split of
// -split-size bytes, each carrying the ETag the listing saw: every read
// of a task is conditional on it (If-Match), so a task never reads two
// versions of an object, and an object replaced or deleted since the
// listing fails its task with an error naming it (the poison-input path).
// Reads are ranged (OpenInput returns an io.ReaderAt), so a split costs
// its own bytes and the scans past its ends, not the object.
//
// # Outputs
//
// With an output prefix, reduce task R's output is the object
// PREFIX/mr-out-R. A reduce attempt streams it as a multipart upload and
// leaves the upload pending (s3.Writer.Finish): an upload is invisible
// until completed. The coordinator completes the committed attempt's
// upload, conditionally (If-None-Match: *: a second completion of the key
// fails), and aborts every other attempt's. See Output.
package s3job
