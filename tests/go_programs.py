"""Real multi-function Go programs for the "cell by cell like go run" tests (written for them, in the style of
Go by Example). Each is a complete `package main`; none depends on timing, randomness or the environment."""

from __future__ import annotations

GEOMETRY = """package main

import (
	"fmt"
	"math"
)

type geometry interface {
	area() float64
	perim() float64
}

type rect struct {
	width, height float64
}

type circle struct {
	radius float64
}

func (r rect) area() float64  { return r.width * r.height }
func (r rect) perim() float64 { return 2*r.width + 2*r.height }

func (c circle) area() float64  { return math.Pi * c.radius * c.radius }
func (c circle) perim() float64 { return 2 * math.Pi * c.radius }

func measure(g geometry) {
	fmt.Println(g)
	fmt.Printf("%.3f %.3f\\n", g.area(), g.perim())
}

func detectCircle(g geometry) {
	if c, ok := g.(circle); ok {
		fmt.Println("circle with radius", c.radius)
	}
}

func main() {
	r := rect{width: 3, height: 4}
	c := circle{radius: 5}
	measure(r)
	measure(c)
	detectCircle(r)
	detectCircle(c)
	shapes := []geometry{r, c, rect{1, 1}}
	total := 0.0
	for _, s := range shapes {
		total += s.area()
	}
	fmt.Printf("total %.2f %T %v\\n", total, shapes[0], len(shapes))
	r.width = 10
	fmt.Printf("%+v %#v\\n", r, c)
}
"""

CLOSURES = """package main

import "fmt"

func intSeq() func() int {
	i := 0
	return func() int {
		i++
		return i
	}
}

func fact(n int) int {
	if n == 0 {
		return 1
	}
	return n * fact(n-1)
}

var memo = map[int]int{}

func fib(n int) int {
	if n < 2 {
		return n
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = fib(n-1) + fib(n-2)
	return memo[n]
}

func main() {
	next := intSeq()
	fmt.Println(next(), next(), next())
	newInts := intSeq()
	fmt.Println(newInts())
	fmt.Println(fact(7), fib(50))
	var visit func(depth int) int
	visit = func(depth int) int {
		if depth == 0 {
			return 0
		}
		return 1 + visit(depth-1)
	}
	fmt.Println(visit(10), next(), len(memo))
}
"""

WORDS = """package main

import (
	"fmt"
	"sort"
	"strings"
)

type wordCount struct {
	word  string
	count int
}

func countWords(text string) map[string]int {
	counts := make(map[string]int)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		counts[strings.Trim(w, ".,;!")]++
	}
	return counts
}

func top(counts map[string]int, n int) []wordCount {
	var list []wordCount
	for w, c := range counts {
		list = append(list, wordCount{w, c})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].count != list[j].count {
			return list[i].count > list[j].count
		}
		return list[i].word < list[j].word
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}

func main() {
	text := "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs!"
	counts := countWords(text)
	fmt.Println(len(counts), counts["the"], counts)
	best := top(counts, 3)
	for i, wc := range best {
		fmt.Printf("%d. %-5s %d\\n", i+1, wc.word, wc.count)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println(strings.Join(keys, ","))
	var b strings.Builder
	for _, wc := range best {
		fmt.Fprintf(&b, "[%s]", wc.word)
	}
	fmt.Println(b.String(), best[0])
}
"""

ERRORS = """package main

import (
	"errors"
	"fmt"
	"strconv"
)

type argError struct {
	arg     int
	message string
}

func (e *argError) Error() string {
	return fmt.Sprintf("%d - %s", e.arg, e.message)
}

var errOutOfTea = errors.New("no more tea available")

func makeTea(arg int) error {
	if arg == 2 {
		return errOutOfTea
	}
	if arg == 4 {
		return fmt.Errorf("making tea: %w", errOutOfTea)
	}
	return nil
}

func parse(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &argError{-1, "not a number: " + s}
	}
	if n == 42 {
		return 0, &argError{n, "can't work with it"}
	}
	return n + 3, nil
}

func main() {
	for _, s := range []string{"7", "42", "x"} {
		if r, err := parse(s); err != nil {
			fmt.Println("parse failed:", err)
		} else {
			fmt.Println("parse worked:", r)
		}
	}
	_, err := parse("42")
	var ae *argError
	if errors.As(err, &ae) {
		fmt.Println(ae.arg, ae.message)
	}
	for i := range 5 {
		if err := makeTea(i); err != nil {
			if errors.Is(err, errOutOfTea) {
				fmt.Println("We should buy new tea!", err)
			}
			continue
		}
		fmt.Println("Tea is ready!", i)
	}
}
"""

WORKERS = """package main

import (
	"fmt"
	"sort"
	"sync"
)

type job struct {
	id, n int
}

type result struct {
	id, square int
}

func worker(jobs <-chan job, results chan<- result, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		results <- result{j.id, j.n * j.n}
	}
}

func main() {
	jobs := make(chan job, 100)
	results := make(chan result, 100)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go worker(jobs, results, &wg)
	}
	for i := 1; i <= 9; i++ {
		jobs <- job{i, i + 10}
	}
	close(jobs)
	wg.Wait()
	close(results)
	var all []result
	for r := range results {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	fmt.Println(len(all), all[0], all[len(all)-1])
	var mu sync.Mutex
	sum := 0
	var wg2 sync.WaitGroup
	for _, r := range all {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			mu.Lock()
			sum += r.square
			mu.Unlock()
		}()
	}
	wg2.Wait()
	fmt.Println("sum", sum)
}
"""

GENERICS = """package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

type Number interface {
	~int | ~int64 | ~float64
}

func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func Sum[T Number](xs []T) T {
	var total T
	for _, x := range xs {
		total += x
	}
	return total
}

type stack[T any] struct {
	items []T
}

func (s *stack[T]) push(v T) { s.items = append(s.items, v) }

func (s *stack[T]) pop() (T, bool) {
	var zero T
	if len(s.items) == 0 {
		return zero, false
	}
	v := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return v, true
}

type pair[K cmp.Ordered, V any] struct {
	key K
	val V
}

func sortedPairs[K cmp.Ordered, V any](m map[K]V) []pair[K, V] {
	var ps []pair[K, V]
	for k, v := range m {
		ps = append(ps, pair[K, V]{k, v})
	}
	slices.SortFunc(ps, func(a, b pair[K, V]) int { return cmp.Compare(a.key, b.key) })
	return ps
}

type celsius float64

func main() {
	words := []string{"go", "kernel", "notebook"}
	lengths := Map(words, func(s string) int { return len(s) })
	fmt.Println(lengths, Sum(lengths), Sum([]celsius{1.5, 2.25}))
	upper := Map(words, strings.ToUpper)
	fmt.Println(upper)
	s := &stack[string]{}
	s.push("a")
	s.push("b")
	top, ok := s.pop()
	fmt.Println(top, ok, len(s.items))
	ps := sortedPairs(map[string]int{"b": 2, "a": 1, "c": 3})
	fmt.Printf("%v %+v\\n", ps, ps[0])
	fmt.Println(slices.Max(lengths), slices.Index(words, "kernel"))
}
"""

EMBEDDING = """package main

import "fmt"

type base struct {
	num int
}

func (b base) describe() string {
	return fmt.Sprintf("base with num=%v", b.num)
}

type container struct {
	base
	str string
}

type describer interface {
	describe() string
}

type point struct {
	x, y int
}

func (p point) String() string { return fmt.Sprintf("(%d,%d)", p.x, p.y) }

func main() {
	co := container{
		base: base{num: 1},
		str:  "some name",
	}
	fmt.Printf("co={num: %v, str: %v}\\n", co.num, co.str)
	fmt.Println("also num:", co.base.num)
	fmt.Println("describe:", co.describe())
	var d describer = co
	fmt.Println("describer:", d.describe())
	co.num = 7
	fmt.Printf("%+v | %v\\n", co, co.base)
	p := point{1, 2}
	ptr := &p
	ptr.x = 5
	fmt.Println(p, *ptr, []point{{3, 4}})
	fmt.Printf("%v %+v %#v %T %q %x %8.2f|\\n", p, p, p, p, "hi", 255, 3.14159)
	type local struct{ a, b int }
	l := local{1, 2}
	fmt.Printf("%+v %v\\n", l, l.a+l.b)
}
"""

PROGRAMS = {
    "geometry": GEOMETRY,
    "closures": CLOSURES,
    "words": WORDS,
    "errors": ERRORS,
    "workers": WORKERS,
    "generics": GENERICS,
    "embedding": EMBEDDING,
}


# Programs from the Go team's own test suite (GOROOT/test of go1.26, `// run` tests: each panics or prints BUG on a
# failure), kept verbatim with their license headers (BSD-style, see the Go distribution's LICENSE). Each one
# once failed cell by cell: a defer-only cell, len of an earlier cell's array, vars initialised in dependency
# order, init after the package variables, an itab made at run time.
GOROOT_DEFERNIL = r"""// run

// Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Check that deferring a nil function causes a proper
// panic when the deferred function is invoked (not
// when the function is deferred).
// See Issue #8047 and #34926.

package main

var x = 0

func main() {
	defer func() {
		err := recover()
		if err == nil {
			panic("did not panic")
		}
		if x != 1 {
			panic("FAIL")
		}
	}()
	f()
}

func f() {
	var nilf func()
	defer nilf()
	x = 1
}
"""

GOROOT_CONST4 = r"""// run

// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test len constants and non-constants, https://golang.org/issue/3244.

package main

var b struct {
	a [10]int
}

var m map[string][20]int

var s [][30]int

const (
	n1 = len(b.a)
	n2 = len(m[""])
	n3 = len(s[10])
)

// Non-constants (see also const5.go).
var (
	n4 = len(f())
	n5 = len(<-c)
	n6 = cap(g())
	n7 = cap(<-c1)
)

var calledF = false

func f() *[40]int {
	calledF = true
	return nil
}

var c = func() chan *[50]int {
	c := make(chan *[50]int, 2)
	c <- nil
	c <- new([50]int)
	return c
}()

var calledG = false

func g() *[60]int {
	calledG = true
	return nil
}

var c1 = func() chan *[70]int {
	c := make(chan *[70]int, 2)
	c <- nil
	c <- new([70]int)
	return c
}()

func main() {
	if n1 != 10 || n2 != 20 || n3 != 30 || n4 != 40 || n5 != 50 || n6 != 60 || n7 != 70 {
		println("BUG:", n1, n2, n3, n4, n5, n6, n7)
		panic("fail")
	}
	if !calledF {
		println("BUG: did not call f")
		panic("fail")
	}
	if <-c == nil {
		println("BUG: did not receive from c")
		panic("fail")
	}
	if !calledG {
		println("BUG: did not call g")
		panic("fail")
	}
	if <-c1 == nil {
		println("BUG: did not receive from c1")
		panic("fail")
	}
}
"""

GOROOT_COMPLIT = r"""// run

// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test composite literals.

package main

type T struct {
	i    int
	f    float64
	s    string
	next *T
}

type R struct {
	num int
}

func itor(a int) *R {
	r := new(R)
	r.num = a
	return r
}

func eq(a []*R) {
	for i := 0; i < len(a); i++ {
		if a[i].num != i {
			panic("bad")
		}
	}
}

func teq(t *T, n int) {
	for i := 0; i < n; i++ {
		if t == nil || t.i != i {
			panic("bad")
		}
		t = t.next
	}
	if t != nil {
		panic("bad")
	}
}

type P struct {
	a, b int
}

func NewP(a, b int) *P {
	return &P{a, b}
}

func main() {
	var t T
	t = T{0, 7.2, "hi", &t}

	var tp *T
	tp = &T{0, 7.2, "hi", &t}

	tl := &T{i: 0, next: &T{i: 1, next: &T{i: 2, next: &T{i: 3, next: &T{i: 4}}}}}
	teq(tl, 5)

	a1 := []int{1, 2, 3}
	if len(a1) != 3 {
		panic("a1")
	}
	a2 := [10]int{1, 2, 3}
	if len(a2) != 10 || cap(a2) != 10 {
		panic("a2")
	}

	a3 := [10]int{1, 2, 3}
	if len(a3) != 10 || a2[3] != 0 {
		panic("a3")
	}

	var oai []int
	oai = []int{1, 2, 3}
	if len(oai) != 3 {
		panic("oai")
	}

	at := [...]*T{&t, tp, &t}
	if len(at) != 3 {
		panic("at")
	}

	c := make(chan int)
	ac := []chan int{c, c, c}
	if len(ac) != 3 {
		panic("ac")
	}

	aat := [][len(at)]*T{at, at}
	if len(aat) != 2 || len(aat[1]) != 3 {
		panic("aat")
	}

	s := string([]byte{'h', 'e', 'l', 'l', 'o'})
	if s != "hello" {
		panic("s")
	}

	m := map[string]float64{"one": 1.0, "two": 2.0, "pi": 22. / 7.}
	if len(m) != 3 {
		panic("m")
	}

	eq([]*R{itor(0), itor(1), itor(2), itor(3), itor(4), itor(5)})
	eq([]*R{{0}, {1}, {2}, {3}, {4}, {5}})

	p1 := NewP(1, 2)
	p2 := NewP(1, 2)
	if p1 == p2 {
		panic("NewP")
	}
}
"""

GOROOT_CONVERT4 = r"""// run

// Copyright 2020 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test conversion from slice to array pointer.

package main

func wantPanic(fn func(), s string) {
	defer func() {
		err := recover()
		if err == nil {
			panic("expected panic")
		}
		if got := err.(error).Error(); got != s {
			panic("expected panic " + s + " got " + got)
		}
	}()
	fn()
}

func main() {
	s := make([]byte, 8, 10)
	for i := range s {
		s[i] = byte(i)
	}
	if p := (*[8]byte)(s); &p[0] != &s[0] {
		panic("*[8]byte conversion failed")
	}
	if [8]byte(s) != *(*[8]byte)(s) {
		panic("[8]byte conversion failed")
	}
	wantPanic(
		func() {
			_ = (*[9]byte)(s)
		},
		"runtime error: cannot convert slice with length 8 to array or pointer to array with length 9",
	)
	wantPanic(
		func() {
			_ = [9]byte(s)
		},
		"runtime error: cannot convert slice with length 8 to array or pointer to array with length 9",
	)

	var n []byte
	if p := (*[0]byte)(n); p != nil {
		panic("nil slice converted to *[0]byte should be nil")
	}
	_ = [0]byte(n)

	z := make([]byte, 0)
	if p := (*[0]byte)(z); p == nil {
		panic("empty slice converted to *[0]byte should be non-nil")
	}
	_ = [0]byte(z)

	var p *[]byte
	wantPanic(
		func() {
			_ = [0]byte(*p) // evaluating *p should still panic
		},
		"runtime error: invalid memory address or nil pointer dereference",
	)

	// Test with named types
	type Slice []int
	type Int4 [4]int
	type PInt4 *[4]int
	ii := make(Slice, 4)
	if p := (*Int4)(ii); &p[0] != &ii[0] {
		panic("*Int4 conversion failed")
	}
	if p := PInt4(ii); &p[0] != &ii[0] {
		panic("PInt4 conversion failed")
	}
}

// test static variable conversion

var (
	ss  = make([]string, 10)
	s5  = (*[5]string)(ss)
	s10 = (*[10]string)(ss)

	ns  []string
	ns0 = (*[0]string)(ns)

	zs  = make([]string, 0)
	zs0 = (*[0]string)(zs)
)

func init() {
	if &ss[0] != &s5[0] {
		panic("s5 conversion failed")
	}
	if &ss[0] != &s10[0] {
		panic("s5 conversion failed")
	}
	if ns0 != nil {
		panic("ns0 should be nil")
	}
	if zs0 == nil {
		panic("zs0 should not be nil")
	}
}
"""

GOROOT_KEN_INTERFUN = r"""// run

// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test interfaces and methods.

package main

type S struct {
	a,b	int;
}

type I1 interface {
	f	()int;
}

type I2 interface {
	g() int;
	f() int;
}

func (this *S) f()int {
	return this.a;
}

func (this *S) g()int {
	return this.b;
}

func
main() {
	var i1 I1;
	var i2 I2;
	var g *S;

	s := new(S);
	s.a = 5;
	s.b = 6;

	// call structure
	if s.f() != 5 { panic(11); }
	if s.g() != 6 { panic(12); }

	i1 = s;		// convert S to I1
	i2 = i1.(I2);	// convert I1 to I2

	// call interface
	if i1.f() != 5 { panic(21); }
	if i2.f() != 5 { panic(22); }
	if i2.g() != 6 { panic(23); }

	g = i1.(*S);		// convert I1 to S
	if g != s { panic(31); }

	g = i2.(*S);		// convert I2 to S
	if g != s { panic(32); }
}
"""

GOROOT_CLOSURE4 = r"""// run

// Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Check that calling a nil func causes a proper panic.

package main

func main() {
	defer func() {
		err := recover()
		if err == nil {
			panic("panic expected")
		}
	}()

	var f func()
	f()
}
"""

GOROOT_PROGRAMS = {
    "defernil": GOROOT_DEFERNIL,
    "const4": GOROOT_CONST4,
    "complit": GOROOT_COMPLIT,
    "convert4": GOROOT_CONVERT4,
    "ken_interfun": GOROOT_KEN_INTERFUN,
    "closure4": GOROOT_CLOSURE4,
}
