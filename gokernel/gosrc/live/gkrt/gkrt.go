// Package gkrt is the runtime support of gokernel's live session: it lives in the host process and in
// every cell plugin (they share one copy), and connects cell code to the host.
//
// Cell code calls Check at loop heads and function entries (inserted by the rewriter) so an interrupt can
// stop the cell's goroutine without touching any other goroutine; Show reports a trailing expression's value.
package gkrt

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Interrupted is the panic value Check raises in the interrupted cell's goroutine.
var Interrupted = &interruptSignal{}

type interruptSignal struct{}

func (*interruptSignal) Error() string { return "interrupted" }

var (
	interrupting  atomic.Bool
	cellGoroutine atomic.Int64
	pending       func()
	pendingMu     sync.Mutex
	sideMu        sync.Mutex
	side          = os.NewFile(3, "gokernel-side")
)

// Check is inlined at loop heads and function entries: one atomic load unless an interrupt is pending.
func Check() {
	if interrupting.Load() {
		checkSlow()
	}
}

func checkSlow() {
	if GoroutineID() == cellGoroutine.Load() {
		panic(Interrupted)
	}
}

// Register is called by a cell package's initialisation with the function that runs the cell's statements.
func Register(run func()) bool {
	pendingMu.Lock()
	pending = run
	pendingMu.Unlock()
	return true
}

// TakeRun returns the function the last loaded cell registered (nil when it registered none).
func TakeRun() func() {
	pendingMu.Lock()
	defer pendingMu.Unlock()
	run := pending
	pending = nil
	return run
}

// BeginCell marks the calling goroutine as the running cell's and returns its id.
func BeginCell() int64 {
	id := GoroutineID()
	cellGoroutine.Store(id)
	return id
}

// EndCell forgets goroutine `id` as the cell's (if it still is) and clears a pending interrupt.
// An abandoned cell that finishes late must not clear the state of the cell running after it.
func EndCell(id int64) {
	if cellGoroutine.CompareAndSwap(id, 0) {
		interrupting.Store(false)
	}
}

// Interrupt asks the cell goroutine to stop at its next Check.
func Interrupt() { interrupting.Store(true) }

// GoroutineID parses the current goroutine's id from its stack header ("goroutine 18 [running]:").
func GoroutineID() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := string(buf[:n])
	const prefix = "goroutine "
	if len(s) < len(prefix) {
		return -1
	}
	s = s[len(prefix):]
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	id, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return -1
	}
	return id
}

// Send writes one `<tag> <length>\n<payload>` record to the kernel's side channel (fd 3).
func Send(tag, payload string) {
	sideMu.Lock()
	defer sideMu.Unlock()
	fmt.Fprintf(side, "%s %d\n%s", tag, len(payload), payload)
}

// Show reports a trailing expression's value(s): strings quoted, everything else as %+v.
func Show(values ...interface{}) {
	text := ""
	for i, v := range values {
		if i > 0 {
			text += " "
		}
		if s, ok := v.(string); ok {
			text += strconv.Quote(s)
		} else {
			text += fmt.Sprintf("%+v", v)
		}
	}
	Send("result", text)
}

// Addr gives an addressable copy of a value, for reading fields of non-addressable struct values.
func Addr[T any](v T) *T { return &v }
