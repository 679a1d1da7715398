package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// parseBenchArgs parses bench's command line as fio's is read: every option
// takes "--opt=value" or "--opt value", and a boolean option given alone
// means 1 ("--direct", "--direct 1", "--direct=0"). pflag cannot give a
// flag an optional value that follows a space, so bench parses its own
// flags (DisableFlagParsing) after joining "--bool value" into
// "--bool=value". It reports whether --help was asked for.
func parseBenchArgs(cmd *cobra.Command, args []string) (help bool, err error) {
	f := cmd.Flags()
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
