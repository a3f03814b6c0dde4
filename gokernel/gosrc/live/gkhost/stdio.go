package main

import (
	"errors"
	"os"
	"syscall"
)

// A cell that closes os.Stdout or os.Stderr (as a program about to end may) would silence every later
// cell of the session: each run starts with both back on the kernel's pipes.
var savedStdio = map[int]int{}

func saveStdio() {
	for _, fd := range []int{1, 2} {
		if c, err := syscall.Dup(fd); err == nil {
			syscall.CloseOnExec(c)
			savedStdio[fd] = c
		}
	}
}

func restoreStdio() {
	restore(1, &os.Stdout, "/dev/stdout")
	restore(2, &os.Stderr, "/dev/stderr")
}

func restore(fd int, f **os.File, name string) {
	saved, ok := savedStdio[fd]
	if !ok {
		return
	}
	var st syscall.Stat_t
	if errors.Is(syscall.Fstat(fd, &st), syscall.EBADF) {
		if dup2(saved, fd) != nil {
			return
		}
	}
	if _, err := (*f).Stat(); errors.Is(err, os.ErrClosed) {
		*f = os.NewFile(uintptr(fd), name)
	}
}
