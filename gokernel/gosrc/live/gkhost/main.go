// The live-session host: one long-lived process per notebook that loads each cell as a Go plugin, so
// package variables, goroutines, channels and servers outlive the cell that created them.
//
// Commands arrive as JSON lines on fd 4 ({"op":"run","id":7,"path":"/.../c7.so"}, {"op":"interrupt"});
// results go to the kernel as records on fd 3 (the same channel the display package writes). The
// program's stdout and stderr are the cells' stdout and stderr.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"plugin"
	"runtime/debug"
	"sync"
	"time"

	"scratch/gkrt"
)

type command struct {
	Op   string `json:"op"`
	ID   int    `json:"id"`
	Path string `json:"path"`
	Data string `json:"data"`
	Key  string `json:"key"`
}

type doneRecord struct {
	ID      int    `json:"id"`
	Status  string `json:"status"` // ok | panic | interrupted | abandoned | loaderror
	Message string `json:"message,omitempty"`
	Stack   string `json:"stack,omitempty"`
}

// interruptGrace is how long a cell gets to reach a Check after an interrupt before it is abandoned.
const interruptGrace = 400 * time.Millisecond

var (
	mu      sync.Mutex
	current int           // id of the running cell, 0 when idle
	gid     int64         // its goroutine
	done    chan struct{} // closed when the running cell's goroutine finished
	stdinW  *os.File      // write end of the running cell's stdin
)

// freshStdin gives the next cell its own stdin pipe on fd 0: an earlier cell that saw end of input (the
// frontend allowed no stdin) must not leave every later cell without input.
func freshStdin() {
	if stdinW != nil {
		stdinW.Close()
		stdinW = nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	if err := dup2(int(r.Fd()), 0); err != nil {
		r.Close()
		w.Close()
		return
	}
	r.Close()
	stdinW = w
}

func report(rec doneRecord) {
	payload, _ := json.Marshal(rec)
	gkrt.Send("done", string(payload))
}

func panicMessage(r interface{}) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	case string:
		return v
	default:
		return fmt.Sprintf("%v", v)
	}
}

func run(id int, path string) {
	finished := make(chan struct{})
	mu.Lock()
	current, done = id, finished
	mu.Unlock()
	go func() {
		var myGid int64
		var once sync.Once
		rec := doneRecord{ID: id, Status: "ok"}
		finish := func() { // the cell is over for the kernel (also when it parks: gkrt.Park)
			once.Do(func() {
				gkrt.EndCell(myGid)
				mu.Lock()
				stillCurrent := current == id
				if stillCurrent {
					current = 0
				}
				mu.Unlock()
				if stillCurrent { // an abandoned cell that finishes late reports nothing
					report(rec)
				}
				close(finished)
			})
		}
		defer func() {
			r := recover()
			u := gkrt.Unwind{Panicking: r != nil, Value: r}
			if r != nil {
				u.Stack = string(debug.Stack())
			}
			if gkrt.Unparked(myGid, u) { // a parked cell's deferred calls ran: main ended
				return
			}
			if err, ok := r.(error); ok && errors.Is(err, gkrt.Interrupted) {
				rec.Status = "interrupted"
			} else if r != nil {
				// A panic ends main: it unwinds through main's parked deferred calls, which may recover it.
				if u = gkrt.EndMain(u); u.Panicking {
					rec.Status = "panic"
					rec.Message = panicMessage(u.Value)
					rec.Stack = u.Stack
				}
			}
			finish()
		}()
		myGid = gkrt.BeginCell()
		gkrt.SetParkHook(myGid, finish)
		mu.Lock()
		gid = myGid
		mu.Unlock()
		// Package initialisation (the cell's own init funcs included) runs inside Open, on this goroutine.
		if _, err := plugin.Open(path); err != nil {
			rec.Status, rec.Message = "loaderror", err.Error()
			return
		}
		if cell := gkrt.TakeRun(); cell != nil {
			cell()
		}
	}()
}

func interrupt() {
	mu.Lock()
	id, finished, cellGid := current, done, gid
	mu.Unlock()
	if id == 0 {
		return
	}
	gkrt.Interrupt()
	select {
	case <-finished:
	case <-time.After(interruptGrace):
		// Blocked outside cell code (a receive, Sleep, Wait): leave the goroutine where it is.
		mu.Lock()
		if current == id {
			current = 0
			mu.Unlock()
			gkrt.Abandon()
			gkrt.EndCell(cellGid)
			report(doneRecord{ID: id, Status: "abandoned"})
			return
		}
		mu.Unlock()
	}
}

func main() {
	commands := os.NewFile(4, "gokernel-commands")
	if commands == nil {
		fmt.Fprintln(os.Stderr, "gkhost: fd 4 is not open; this program is started by gokernel")
		os.Exit(2)
	}
	saveStdio()
	gkrt.Send("ready", "")
	scanner := bufio.NewScanner(commands)
	scanner.Buffer(make([]byte, 64*1024), 1<<20)
	for scanner.Scan() {
		var cmd command
		if err := json.Unmarshal(scanner.Bytes(), &cmd); err != nil {
			continue
		}
		switch cmd.Op {
		case "run":
			restoreStdio() // first: fds 1 and 2, if closed, are the lowest free ones the stdin pipe would take
			freshStdin()
			// Each cell parses its own command line, as each run of a program does: running a cell that
			// defines flags again must not panic with "flag redefined".
			flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError)
			run(cmd.ID, cmd.Path)
		case "stdin":
			if stdinW != nil {
				stdinW.WriteString(cmd.Data)
			}
		case "setenv": // %env in the notebook: the running session sees it too
			os.Setenv(cmd.Key, cmd.Data)
		case "eof":
			if stdinW != nil {
				stdinW.Close()
				stdinW = nil
			}
		case "interrupt":
			interrupt()
		}
	}
	// The kernel closed the command pipe: the session is over.
	os.Exit(0)
}
