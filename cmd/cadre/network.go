package main

import (
	"context"
	"io"
)

// networkCmd runs `cadre network import [--dry-run] FILE.csv`.
func networkCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError("network: not implemented yet")
}
