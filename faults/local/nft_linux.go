package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// tableRoot starts every nftables table the harness creates.
const tableRoot = "nvmfchaos_"

// TablePrefix is the name prefix of every nftables table run runID
// creates: give it to CleanupNetns to sweep what the run left behind.
func TablePrefix(runID string) string {
	return tableRoot + ident(runID, 32) + "_"
}

var tableSeq atomic.Uint64

// newTableName names a new table of a fault: unique, so two faults on one
// node never share (and delete) each other's rules.
func newTableName(runID string, kind string) string {
	return fmt.Sprintf("%s%s_%d", TablePrefix(runID), ident(kind, 32), tableSeq.Add(1))
}

// ident maps s to an nftables identifier fragment: lower-case letters,
// digits and underscores, at most n bytes, never empty.
func ident(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= n {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// nftTable is one inet table with an input and an output filter chain.
type nftTable struct {
	name          string
	input, output []string
}

// script is the nft -f input creating the table with its rules, atomically.
func (t nftTable) script() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", t.name)
	for _, c := range []struct {
		hook  string
		rules []string
	}{{"input", t.input}, {"output", t.output}} {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority -10; policy accept;\n", c.hook, c.hook)
		for _, r := range c.rules {
			fmt.Fprintf(&b, "\t\t%s\n", r)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// deleteScript deletes a table whether or not it exists ("add" of an
// existing table is a no-op), so recovery is idempotent.
func deleteScript(family, name string) string {
	return fmt.Sprintf("add table %s %s\ndelete table %s %s\n", family, name, family, name)
}

// nftFault installs one table in a node's namespace on Inject and deletes it
// on Recover. The concrete network faults are built on it.
type nftFault struct {
	kind   string
	net    NodeNet
	table  nftTable
	detail string
}

func newNFTFault(kind string, n NodeNet, input, output []string, detail string) (nftFault, error) {
	if err := n.check(); err != nil {
		return nftFault{}, fmt.Errorf("%s: %w", kind, err)
	}
	t := nftTable{name: newTableName(n.RunID, kind), input: input, output: output}
	return nftFault{kind: kind, net: n, table: t, detail: detail}, nil
}

// Available needs root, ip and nft.
func (f *nftFault) Available() error {
	return errors.Join(needRoot("nftables rules in the node's network namespace"), needBinaries("ip", "nft"))
}

// Describe names the fault, node and what it cuts.
func (f *nftFault) Describe() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", f.kind, f.net.Node, f.detail))
}

// Inject installs the table.
func (f *nftFault) Inject(ctx context.Context) error {
	if _, err := runIn(ctx, f.net.Netns, f.table.script(), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("%s: add nft table %s: %w", f.Describe(), f.table.name, err)
	}
	return nil
}

// Recover deletes the table; a table already gone is not an error.
func (f *nftFault) Recover(ctx context.Context) error {
	if _, err := runIn(ctx, f.net.Netns, deleteScript("inet", f.table.name), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("%s: delete nft table %s: %w", f.Describe(), f.table.name, err)
	}
	return nil
}

// nftTables lists "family name" of the tables in a namespace.
func nftTables(ctx context.Context, ns string) ([][2]string, error) {
	out, err := runIn(ctx, ns, "", "nft", "list", "tables")
	if err != nil {
		return nil, err
	}
	return parseTables(out), nil
}

// parseTables reads `nft list tables` output: lines "table FAMILY NAME".
func parseTables(out string) [][2]string {
	var tables [][2]string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "table" {
			tables = append(tables, [2]string{f[1], f[2]})
		}
	}
	return tables
}
