package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

// ownBinary finds the nvmf-chaos executable the runner starts targets
// with; tests point it at a built binary (a test binary is not one).
var ownBinary = os.Executable

// runBatch runs a repeated or swept scenario: each run in its own
// sub-folder of out/NAME-ID, then the aggregate views beside them.
func runBatch(cmd *cobra.Command, s *scenarios.Scenario, source, out string, bo batchOptions) error {
	b, err := scenarios.NewBatch(s, source)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	dir := filepath.Join(out, fmt.Sprintf("%s-%06x", s.Metadata.Name, rand.Uint32()&0xFFFFFF))
	aggs, err := executeBatch(cmd, b, dir, bo)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	werr := errors.Join(writeBatchOutputs(dir, b, aggs), writeBatchReport(dir))
	if len(b.Axes) > 0 {
		_ = reports.WriteSweepTable(cmd.OutOrStdout(), b.Name, b.Axes, aggs)
	} else {
		_ = reports.WriteAggregateSummary(cmd.OutOrStdout(), "repeat "+b.Name, aggs)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nresults: %s (seeds from %d)\n", dir, b.Seed)
	return verdictExit(b.Name, aggs, werr)
}

// batchOptions are what every run of a batch shares.
type batchOptions struct {
	quiet   bool
	mode    cluster.Mode
	metrics *batchMetrics
}

// executeBatch runs b into dir and judges each cell.
func executeBatch(cmd *cobra.Command, b *scenarios.Batch, dir string, bo batchOptions) ([]*reports.Aggregate, error) {
	bin, err := ownBinary()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	progress := cmd.ErrOrStderr()
	if bo.quiet {
		progress = io.Discard
	}
	eo := scenarios.ExecOptions{Binary: bin, Dir: dir, Progress: progress, Mode: bo.mode, Save: writeRunOutputs}
	if bo.metrics != nil {
		eo.Observe = bo.metrics.observe
	}
	results, err := b.Execute(cmd.Context(), eo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name, err)
	}
	return b.Aggregate(results), nil
}

// writeBatchOutputs writes summary.md, junit.xml and repeat.json (or
// sweep.md and sweep.json) into a batch folder.
func writeBatchOutputs(dir string, b *scenarios.Batch, aggs []*reports.Aggregate) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		"summary.md": func(w io.Writer) error { return reports.WriteAggregateSummary(w, "repeat "+b.Name, aggs) },
		"junit.xml":  func(w io.Writer) error { return reports.WriteJUnit(w, aggregateResults(aggs)) },
	}
	if len(b.Axes) > 0 {
		files["sweep.md"] = func(w io.Writer) error { return reports.WriteSweepTable(w, b.Name, b.Axes, aggs) }
		files["sweep.json"] = jsonWriter(map[string]any{"name": b.Name, "axes": b.Axes, "repeat": b.Repeat, "seed": b.Seed, "cells": aggs})
	} else {
		files["repeat.json"] = jsonWriter(aggs[0])
	}
	var errs []error
	for name, write := range files {
		errs = append(errs, writeOutput(filepath.Join(dir, name), write))
	}
	return errors.Join(errs...)
}

func aggregateResults(aggs []*reports.Aggregate) []*reports.Result {
	out := make([]*reports.Result, len(aggs))
	for i, a := range aggs {
		out[i] = a.Result()
	}
	return out
}

func jsonWriter(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// writeOutput creates path and fills it with write, reporting either's error.
func writeOutput(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// verdictExit maps aggregates to the exit code: 2 if any could not run
// (or its outputs could not be written), else 1 if any SLO failed.
func verdictExit(name string, aggs []*reports.Aggregate, writeErr error) error {
	failed, broken := 0, 0
	for _, a := range aggs {
		switch a.Status() {
		case "ERROR":
			broken++
		case "FAIL":
			failed++
		}
	}
	switch {
	case broken > 0:
		return &exitError{code: exitCannotRun, err: errors.Join(fmt.Errorf("%s: %d of %d could not run", name, broken, len(aggs)), writeErr)}
	case writeErr != nil:
		return &exitError{code: exitCannotRun, err: fmt.Errorf("%s: writing outputs: %w", name, writeErr)}
	case failed > 0:
		return &exitError{code: exitSLOFailed, err: fmt.Errorf("%s: %d of %d failed an SLO", name, failed, len(aggs))}
	}
	return nil
}
