package cli

import (
	"flag"
	"io"
)

// flagsOf returns store flags as a command line sets them: pairs of flag
// name (without dashes) and value.
func flagsOf(pairs ...string) storeFlags {
	var sf storeFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addStoreFlags(fs, &sf)
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := fs.Set(pairs[i], pairs[i+1]); err != nil {
			panic(err)
		}
	}
	return sf
}
