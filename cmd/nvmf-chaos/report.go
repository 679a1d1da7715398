package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/reports/htmlreport"
)

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report RESULTS.json...",
		Short: "Render results.json files as a self-contained report.html",
		Long: `report renders saved runs as HTML that opens offline (inline SVG plots, no scripts).

One file: report.html beside it, or in --out.
Several files: a suite report (a verdict matrix linking each run) at --out/report.html
(default: the current folder), and each run's report at --out/<run folder>/report.html.

Exit codes: 0 written, 2 an input could not be read (the error names the file).`,
		Example: `  nvmf-chaos report nvmf-chaos-results/target-kill-1a2b3c/results.json
  nvmf-chaos report nvmf-chaos-results/*/results.json --out site`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, args, out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder to write report.html into")
	return cmd
}

func runReport(cmd *cobra.Command, paths []string, out string) error {
	results := make([]*reports.Result, len(paths))
	for i, p := range paths {
		r, err := readResult(p)
		if err != nil {
			return err
		}
		results[i] = r
	}
	if len(paths) == 1 {
		dir := out
		if dir == "" {
			dir = filepath.Dir(paths[0])
		}
		return writeReportFile(cmd, filepath.Join(dir, "report.html"), results[0])
	}
	if out == "" {
		out = "."
	}
	runs := make([]htmlreport.Run, len(paths))
	for i, slug := range runSlugs(paths, results) {
		if err := writeReportFile(cmd, filepath.Join(out, slug, "report.html"), results[i]); err != nil {
			return err
		}
		runs[i] = htmlreport.Run{Result: results[i], Link: slug + "/report.html"}
	}
	return writeHTML(cmd, filepath.Join(out, "report.html"), func(f *os.File) error { return htmlreport.WriteSuite(f, runs) })
}

// readResult reads one results.json; any failure is exit 2 and names the
// file (reports.ReadFile does for decode errors, os.Open for the rest).
func readResult(path string) (*reports.Result, error) {
	r, err := reports.ReadFile(path)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, &exitError{code: exitCannotRun, err: err}
	}
	return r, nil
}

// writeRunReport writes report.html into a run folder beside results.json;
// run calls it so every run leaves a page a person can open.
func writeRunReport(dir string, r *reports.Result) error {
	return writeOutput(filepath.Join(dir, "report.html"), func(w io.Writer) error { return htmlreport.Write(w, r) })
}

func writeReportFile(cmd *cobra.Command, path string, r *reports.Result) error {
	return writeHTML(cmd, path, func(f *os.File) error { return htmlreport.Write(f, r) })
}

// writeHTML creates path (and its folder) and prints where it went.
func writeHTML(cmd *cobra.Command, path string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("report: %w", err)}
	}
	f, err := os.Create(path)
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("report: %w", err)}
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("%s: %w", path, err)}
	}
	fmt.Fprintln(cmd.OutOrStdout(), "wrote", path)
	return nil
}

var unsafeSlug = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// runSlugs names each run's sub-folder of a suite report after the folder
// its results.json is in (run folders are named scenario-runid), falling
// back to the run name, made unique with a counter.
func runSlugs(paths []string, results []*reports.Result) []string {
	seen := map[string]int{}
	out := make([]string, len(paths))
	for i, p := range paths {
		s := filepath.Base(filepath.Dir(p))
		if s == "." || s == "/" || s == ".." {
			s = reports.RunName(results[i])
		}
		s = strings.Trim(unsafeSlug.ReplaceAllString(s, "_"), "._")
		if s == "" {
			s = "run"
		}
		seen[s]++
		if n := seen[s]; n > 1 {
			s = fmt.Sprintf("%s-%d", s, n)
		}
		out[i] = s
	}
	return out
}
