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
	cellStop.Store(new(atomic.Bool))
	return id
}

// cellStop is the running cell's own stop flag. The rewriter makes a cell's run function take it first
// (Stop) and test it before each of its statements and at its loop heads (Stopped): a cell that was
// interrupted while blocked outside its code (and so abandoned, its goroutine left waiting) stops there if
// it is ever unblocked, instead of running the rest of its statements in the middle of later cells.
var cellStop atomic.Pointer[atomic.Bool]

// Stop returns the running cell's stop flag.
func Stop() *atomic.Bool { return cellStop.Load() }

// Stopped panics with Interrupted once the cell owning flag was abandoned.
func Stopped(flag *atomic.Bool) {
	if flag != nil && flag.Load() {
		panic(Interrupted)
	}
}

// Abandon sets the running cell's stop flag (the host gives up waiting for it).
func Abandon() {
	if f := cellStop.Load(); f != nil {
		f.Store(true)
	}
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
// ShowError shows a trailing error value only when there is an error.
func ShowError(err error) {
	if err != nil {
		Show(err)
	}
}

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

var kept []interface{}

// Keep holds v for the life of the process: a cell's package initialisation passes what the plugin must
// keep (the linker drops what nothing reachable refers to).
func Keep(v interface{}) bool {
	kept = append(kept, v)
	return true
}

// Addr gives an addressable copy of a value, for reading fields of non-addressable struct values.
func Addr[T any](v T) *T { return &v }

// ---- main's deferred calls ---------------------------------------------------------------------------
//
// The notebook's statements are main's body spread over cells. A defer among other statements runs when
// its cell ends (the cell is a function body, as in a REPL). A cell made only of defer statements would
// then do nothing a plain call would not; it is main's `defer f.Close()` / `defer func() { recover() }()`
// written as a cell of its own, so its calls wait for main's end instead: the cell's goroutine parks at
// the end of its run function (Park) with the calls registered. Main ends when a later cell panics: the
// panic then unwinds through the parked frames, newest first, running their deferred calls, and a
// deferred recover() stops it as in `go run` (the panicking cell then ends normally). A session that ends
// (%reset, restart) drops them, as os.Exit would.

// Unwind is how a frame of main ends: normally, or panicking with Value (Stack: where it was raised).
type Unwind struct {
	Panicking bool
	Value     interface{}
	Stack     string
}

type mainFrame struct {
	resume chan Unwind
	result chan Unwind
}

var (
	framesMu  sync.Mutex
	frames    []*mainFrame
	parkHooks = map[int64]func(){}
	parked    = map[int64]*mainFrame{}
)

// SetParkHook tells gkrt what ends cell goroutine gid for the kernel if it parks.
func SetParkHook(gid int64, hook func()) {
	framesMu.Lock()
	parkHooks[gid] = hook
	framesMu.Unlock()
}

// Park ends a cell made only of defer statements (the rewriter calls it last): the cell is over, its
// deferred calls wait in this goroutine until main ends.
func Park() {
	gid := GoroutineID()
	f := &mainFrame{resume: make(chan Unwind), result: make(chan Unwind, 1)}
	framesMu.Lock()
	hook := parkHooks[gid]
	delete(parkHooks, gid)
	if hook != nil {
		frames = append(frames, f)
		parked[gid] = f
	}
	framesMu.Unlock()
	if hook == nil { // not run by the host as a cell: the defers run now, as in any function
		return
	}
	hook()
	if u := <-f.resume; u.Panicking {
		panic(u.Value)
	}
}

// Unparked reports how the run function of goroutine gid ended; true when that goroutine had parked (its
// end belongs to EndMain, not to a cell).
func Unparked(gid int64, u Unwind) bool {
	framesMu.Lock()
	f := parked[gid]
	delete(parked, gid)
	delete(parkHooks, gid)
	framesMu.Unlock()
	if f == nil {
		return false
	}
	f.result <- u
	return true
}

// EndMain runs main's parked deferred calls, newest frame first, with the state u of the panic that ends
// main; it returns the state after them (recovered: not panicking).
func EndMain(u Unwind) Unwind {
	for {
		framesMu.Lock()
		if len(frames) == 0 {
			framesMu.Unlock()
			return u
		}
		f := frames[len(frames)-1]
		frames = frames[:len(frames)-1]
		framesMu.Unlock()
		f.resume <- u
		next := <-f.result
		if next.Panicking && u.Panicking && samePanic(next.Value, u.Value) {
			next.Stack = u.Stack // the same panic going on: where it was raised is what matters
		}
		u = next
	}
}

func samePanic(a, b interface{}) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}
