package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// parseBenchArgs parses bench's command line as fio's is read: every option
// takes "--opt=value" or "--opt value", and a boolean option given alone
// means 1 ("--direct", "--direct 1", "--direct=0"). pflag cannot give a
// flag an optional value that follows a space, so bench parses its own
// flags (DisableFlagParsing) after joining "--bool value" into
// "--bool=value". A fio option bench has no flag for goes to o.extra, in
// order. It reports whether --help was asked for.
func parseBenchArgs(cmd *cobra.Command, args []string, o *benchOptions) (help bool, err error) {
	f := cmd.Flags()
	args, o.extra, err = splitFioOptions(f, args)
	if err != nil {
		return false, err
	}
	if err := f.Parse(joinBoolValues(f, args)); err != nil {
		return false, fmt.Errorf("%w (see nvmf-chaos bench --help)", err)
	}
	if help, _ = f.GetBool("help"); help {
		return true, nil
	}
	if f.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q: bench takes only flags (--opt=value or --opt value)", f.Arg(0))
	}
	return false, nil
}

// joinBoolValues rewrites "--opt value" as "--opt=value" for the flags that
// may be given alone (those with a NoOptDefVal), when the next argument is
// not a flag itself. Arguments after "--" are left as they are.
func joinBoolValues(f *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, ok := strings.CutPrefix(a, "--")
		if ok && !strings.Contains(name, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			if fl := f.Lookup(name); fl != nil && fl.NoOptDefVal != "" {
				a = a + "=" + args[i+1]
				i++
			}
		}
		out = append(out, a)
	}
	return out
}

// fioOption is a fio option given on the command line without a flag of
// its own (--ioengine=libaio, --group_reporting).
type fioOption struct{ name, value string }

// splitFioOptions takes out of args the "--opt[=value]" of fio options
// that are not flags of f, with their value: after "=", else the next
// argument (for a boolean, only when it is not a flag), else none for a
// boolean. The other arguments are returned for f to parse.
func splitFioOptions(f *pflag.FlagSet, args []string) (rest []string, opts []fioOption, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), opts, nil
		}
		name, ok := strings.CutPrefix(a, "--")
		name, value, hasValue := strings.Cut(name, "=")
		known, boolean := workloads.LookupOption(name)
		if !ok || name == "" || f.Lookup(name) != nil || !known {
			rest = append(rest, a)
			continue
		}
		if !hasValue && i+1 < len(args) && (!boolean || !strings.HasPrefix(args[i+1], "-")) {
			value, hasValue = args[i+1], true
			i++
		}
		if !hasValue && !boolean {
			return nil, nil, fmt.Errorf("--%s needs a value (--%s=VALUE or --%s VALUE)", name, name, name)
		}
		opts = append(opts, fioOption{name, value})
	}
	return rest, opts, nil
}
