package main

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/reports/htmlreport"
)

// writeBatchReport writes dir/report.html for a suite, repeat or sweep: a
// verdict matrix over every run recorded below dir, each row linking that
// run's own report.html.
func writeBatchReport(dir string) error {
	var runs []htmlreport.Run
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "results.json" {
			return err
		}
		r, err := reports.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		link, err := filepath.Rel(dir, filepath.Join(filepath.Dir(path), "report.html"))
		if err != nil {
			return err
		}
		runs = append(runs, htmlreport.Run{Result: r, Link: filepath.ToSlash(link)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	if len(runs) == 0 {
		return nil
	}
	return writeOutput(filepath.Join(dir, "report.html"), func(w io.Writer) error { return htmlreport.WriteSuite(w, runs) })
}
