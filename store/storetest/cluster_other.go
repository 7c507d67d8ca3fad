//go:build !linux

package storetest

import (
	"context"
	"errors"
)

func startCluster(ctx context.Context) (string, error) {
	return "", errors.New("a throwaway cluster is only started on Linux")
}
