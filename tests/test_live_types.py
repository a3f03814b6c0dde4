"""The notebook as one Go package, in the live session: a type declared again (to add a method, or by running
its cell again) brings its methods and everything that mentions it along, and values made before are read
through the new declaration when its layout is the same (same memory: pointers and aliases still agree)."""

from __future__ import annotations

from .kernel_client import GoKernelDriver, kernel_fixture, ok

kernel = kernel_fixture({"GOKERNEL_MODE": "live", "JPY_SESSION_NAME": "/notebooks/live-types.ipynb"}, scope="function")


def test_a_method_added_later_reaches_values_made_before(kernel: GoKernelDriver) -> None:
    ok(kernel, "type Point struct{ X, Y float64 }")
    ok(kernel, 'p := Point{3, 4}\nq := &p\npts := []Point{{0, 1}, p}\nbyName := map[string]*Point{"q": q}')
    ex = ok(kernel, "func (p Point) Dist() float64 { return math.Hypot(p.X, p.Y) }")
    assert ex.stream("stderr") == ""  # nothing is lost: no notice
    assert ok(kernel, "p.Dist()").result == "5"
    assert ok(kernel, "pts[1].Dist() + pts[0].Dist()").result == "6"
    ok(kernel, "func (p *Point) Scale(k float64) { p.X *= k; p.Y *= k }")
    # Same memory: scaling through the pointer made before the methods existed changes p itself.
    assert ok(kernel, 'q.Scale(2)\nbyName["q"].Dist()').result == "10"
    assert ok(kernel, "p").result == "{X:6 Y:8}"
    ok(kernel, 'func (p Point) String() string { return fmt.Sprintf("(%g, %g)", p.X, p.Y) }')
    assert ok(kernel, "fmt.Println(p, pts)").stream() == "(6, 8) [(0, 1) (3, 4)]\n"


def test_types_and_functions_that_mention_a_redeclared_type_come_along(kernel: GoKernelDriver) -> None:
    ok(kernel, "type Point struct{ X, Y float64 }")
    ok(
        kernel,
        "type Line struct{ A, B Point }\n\n"
        "func length(l Line) float64 { return math.Hypot(l.B.X-l.A.X, l.B.Y-l.A.Y) }\n\n"
        "ln := Line{Point{0, 0}, Point{3, 4}}",
    )
    ok(kernel, 'func (p Point) String() string { return fmt.Sprintf("(%g, %g)", p.X, p.Y) }')
    # length was compiled against the old Point; it is declared again with the new one, and ln is viewed.
    assert ok(kernel, "length(ln)").result == "5"
    assert ok(kernel, "length(Line{B: Point{6, 8}})").result == "10"
    assert ok(kernel, "ln.B").result == "(3, 4)"
    # Running the type's own cell again keeps the methods other cells declared.
    ok(kernel, "type Point struct{ X, Y float64 }")
    assert ok(kernel, "fmt.Sprint(ln.A, Point{1, 2})").result == '"(0, 0) (1, 2)"'


def test_values_of_a_type_whose_layout_changed_keep_their_type_and_say_so(kernel: GoKernelDriver) -> None:
    ok(kernel, "type Point struct{ X, Y float64 }")
    ok(kernel, "p := Point{3, 4}\nq := &p")
    ex = ok(kernel, "type Point struct{ X, Y, Z float64 }\n\nfunc (p Point) Norm() float64 { return p.X + p.Y + p.Z }")
    notice = ex.stream("stderr")
    assert "p, q were made with an earlier declaration of Point" in notice and "make them again" in notice
    gone = kernel.execute("p.Norm()")
    assert gone.status == "error" and gone.error is not None
    assert gone.error["evalue"] == (
        "cell[4] line 1: p.Norm undefined (type Point (an earlier declaration) has no field or method Norm)"
    )
    assert ok(kernel, "p").result == "{X:3 Y:4}"  # the value itself is intact
    assert ok(kernel, "Point{1, 2, 3}.Norm()").result == "6"


def test_an_interface_with_unexported_methods_is_satisfied_by_types_of_later_cells(kernel: GoKernelDriver) -> None:
    """Go by Example's interfaces program, a declaration per cell (Go qualifies unexported method names by
    package, so without care a cell's rect could never be another cell's geometry)."""
    ok(kernel, "type geometry interface {\n\tarea() float64\n\tperim() float64\n}")
    ok(kernel, "type rect struct{ width, height float64 }")
    ok(
        kernel,
        "func (r rect) area() float64 { return r.width * r.height }\n"
        "func (r rect) perim() float64 { return 2*r.width + 2*r.height }",
    )
    ok(
        kernel,
        "type circle struct{ radius float64 }\n\n"
        "func (c circle) area() float64 { return math.Pi * c.radius * c.radius }\n\n"
        "func (c circle) perim() float64 { return 2 * math.Pi * c.radius }",
    )
    ok(kernel, "func measure(g geometry) {\n\tfmt.Println(g)\n\tfmt.Println(g.area())\n\tfmt.Println(g.perim())\n}")
    ex = ok(kernel, "r := rect{width: 3, height: 4}\nc := circle{radius: 5}\nmeasure(r)\nmeasure(c)")
    assert ex.stream() == "{3 4}\n12\n14\n{5}\n78.53981633974483\n31.41592653589793\n"
    # Method values and expressions of those methods, and the names a panic inside one shows.
    assert ok(kernel, "f := r.area\ng := rect.perim\nf(), g(rect{1, 1})").result == "12 4"
    ok(kernel, 'func (c circle) boom() float64 { panic("boom in boom") }')
    ex = kernel.execute("c.boom()")
    assert ex.status == "error" and ex.error is not None
    trace = "\n".join(ex.error["traceback"])
    assert "circle.boom" in trace and "GKm_" not in trace


def test_a_declaration_broken_by_a_new_layout_is_named_and_can_be_removed(kernel: GoKernelDriver) -> None:
    ok(kernel, "type Point struct{ X, Y float64 }")
    ok(kernel, "func (p Point) Dist() float64 { return math.Hypot(p.X, p.Y) }")
    ex = kernel.execute("type Point struct{ Lat, Lng float64 }")
    assert ex.status == "error" and ex.error is not None
    assert ex.error["evalue"].startswith("cell[2] line 1")  # the method that no longer compiles, where it was written
    assert "Point.Dist (cell [2]) mention a type this cell declares again" in ex.stream("stderr")
    ok(kernel, "%rm Point.Dist")
    ok(kernel, "type Point struct{ Lat, Lng float64 }")
    assert ok(kernel, "Point{1, 2}").result == "{Lat:1 Lng:2}"


def test_a_cell_of_only_an_init_func_runs_it(kernel: GoKernelDriver) -> None:
    ok(kernel, "func check(x int) { if x != 1 { panic(x) } }")
    assert ok(kernel, 'func init() {\n\tcheck(1)\n\tfmt.Println("init ran")\n}').stream() == "init ran\n"


def test_an_anonymous_struct_with_lowercase_fields_is_one_type_across_cells(kernel: GoKernelDriver) -> None:
    """Go ties lowercase field names to their package and each cell is its own package: the first cell that
    writes such a struct type publishes an alias of it, and later cells that write the same type use it."""
    ok(kernel, 'tests := []struct {\n\tin   string\n\twant int\n}{{"a", 1}}')
    ok(kernel, 'tests = append(tests, struct {\n\tin   string\n\twant int\n}{"bb", 2})')
    ok(kernel, 'var extra struct{ in string; want int }\nextra.in = "ccc"\ntests = append(tests, extra)')
    ok(kernel, "func firstIn(ts []struct {\n\tin   string\n\twant int\n}) string { return ts[0].in }")
    assert ok(kernel, "len(tests), firstIn(tests), tests[1]").result == '3 "a" {in:bb want:2}'
    listing = ok(kernel, "%ls").displays()[0]["content"]["data"]["text/plain"]
    assert "[]struct{in string; want int}" in listing and "GKS_" not in listing
    # A named type works across cells too.
    ok(kernel, "type row struct {\n\tin   string\n\twant int\n}")
    ok(kernel, 'rows := []row{{"a", 1}}')
    assert ok(kernel, 'rows = append(rows, row{"bb", 2})\nlen(rows), rows[1]').result == "2 {in:bb want:2}"
