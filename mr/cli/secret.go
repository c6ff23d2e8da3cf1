package cli

import (
	"fmt"

	"6.5840/mr/auth"
	"6.5840/mr/transport"
)

// Secret loads the secret a program needs for addr from the file named by
// the -secret-file flag, path: required over TCP (without it anyone who can
// reach the port could take part in the job), unused on a Unix socket,
// whose folder's permissions guard it. Errors name the flag or the file.
func Secret(addr transport.Addr, path string) (auth.Secret, error) {
	if path == "" {
		if addr.Network == "tcp" {
			return auth.Secret{}, fmt.Errorf("-addr %s: %w: anyone who can reach the port could "+
				"join the job; make a file of at least %d random bytes, readable by you only, on every machine, "+
				"and pass it with -secret-file", addr, transport.ErrNeedSecret, auth.MinSecretLen)
		}
		return auth.Secret{}, nil
	}
	s, err := auth.LoadSecret(path)
	if err != nil {
		return auth.Secret{}, fmt.Errorf("-secret-file: %w", err)
	}
	return s, nil
}
