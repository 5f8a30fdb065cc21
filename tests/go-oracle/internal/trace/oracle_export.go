// Added to a copy of Go 1.21's source tree by scripts/go-oracle.sh; not part of gotrace.

package trace

import "io"

// ParseWithoutBinary is Parse without its refusal of go 1.5/1.6 traces when no program
// binary is given: the events are parsed the same way, only their PCs stay unsymbolized
// (Go's own parser tests read the 1.5 traces like this).
func ParseWithoutBinary(r io.Reader) (ParseResult, error) {
	_, res, err := parse(r, "")
	return res, err
}
