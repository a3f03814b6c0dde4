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
