//go:build !unix

package pgtest

import "errors"

type cluster struct{ binDir, root, url, ownerName string }

func startCluster() (*cluster, error) {
	return nil, errors.New("throwaway PostgreSQL clusters need a Unix system; set " + EnvDatabaseURL)
}

func (c *cluster) stop() error { return nil }
