// gkrewrite turns one notebook cell into a Go package that a live-session plugin can load.
//
// It reads one JSON request per line on stdin and writes one JSON response per line on stdout. The cell is
// type-checked with go/types together with every declaration the session holds (all in one package, as the
// user thinks of the notebook), and then emitted as its own package `main` (so %T prints main.T) in which:
//   - top-level `x := ...` / `var x = ...` become package variables assigned in order by the cell's run function;
//   - references to earlier cells' names become references into their packages (through accessor methods on
//     an exported GK type, exported aliases, or exported generic names: nothing exported that a plugin would
//     have to publish as a symbol);
//   - unexported fields and methods of earlier cells' types are reached through layout-identical mirror
//     structs (unsafe) and exported method expressions;
//   - loop heads and function entries call gkrt.Check(), so an interrupt stops the cell's goroutine only.
//
// Built with the user's toolchain (go/types and the export data format then match the compiler).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type Segment struct {
	Src  string `json:"src"`
	Cell int    `json:"cell"`
	Line int    `json:"line"`
}

type Var struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	Imports map[string]string `json:"imports,omitempty"` // package name -> path used by Type
	// View: the variable was made with earlier declarations of its notebook types, which a later cell
	// declared again with the same layout (to add a method, say). It is read through a pointer of the
	// current type, so the value gains the new methods and keeps its identity.
	View bool `json:"view,omitempty"`
}

type Prior struct {
	Pkg   string    `json:"pkg"`
	Decls []Segment `json:"decls"`
	Vars  []Var     `json:"vars"`
	// Structs: anonymous struct types with lowercase fields this cell wrote, published as exported aliases
	// (Name "GKS_…", Type in the notebook's terms). Go ties lowercase field names to their package, so the
	// same struct type written in a later cell is another type; the later cell is made to use the alias.
	Structs []Var `json:"structs,omitempty"`
}

type Import struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Cell   bool   `json:"cell"`   // written in this cell (blank imports are kept for their side effects)
	Origin int    `json:"origin"` // the cell that wrote it, 0 for imports the kernel added
	Line   int    `json:"line"`   // its line there
}

type Request struct {
	Env      []string  `json:"env"`      // the go command's environment for this cell (%env, offline mode)
	Volatile []string  `json:"volatile"` // module paths whose packages may have changed (an attached project)
	Pkg      string    `json:"pkg"`
	Cell     int       `json:"cell"`
	Imports  []Import  `json:"imports"`
	Prior    []Prior   `json:"prior"`
	Decls    []Segment `json:"decls"`
	Stmts    []Segment `json:"stmts"`
}

type Diag struct {
	Cell int    `json:"cell"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
}

type Response struct {
	Errors    []Diag   `json:"errors,omitempty"`
	Source    string   `json:"source,omitempty"`
	Imports   []string `json:"imports,omitempty"` // import paths of the emitted package (earlier cells included)
	Vars      []Var    `json:"vars,omitempty"`
	Structs   []Var    `json:"structs,omitempty"` // see Prior.Structs
	Names     []string `json:"names,omitempty"`   // package-level names this cell declares ("T.m" for methods)
	HasResult bool     `json:"has_result"`
	// ResultIsError: the trailing value is a call's error, shown only when it is not nil (f.Close(),
	// json.Unmarshal(...), t.Execute(...) would otherwise end every cell with <nil>).
	ResultIsError bool   `json:"result_is_error,omitempty"`
	Internal      string `json:"internal,omitempty"`
}

const (
	rtPath   = "scratch/gkrt"
	runName  = "gkRun"
	initName = "gkInit"
	mainName = "gkMain"
)

// ---- export data -------------------------------------------------------------------------------------

type exports struct {
	env    []string
	goBin  string
	files  map[string]string
	errors map[string]string // why go list has no export data for a path (module lookup disabled, ...)
	fset   *token.FileSet
	imp    types.Importer
}

func newExports(fset *token.FileSet) *exports {
	e := &exports{goBin: os.Getenv("GOKERNEL_GO"), files: map[string]string{}, errors: map[string]string{}, fset: fset}
	if e.goBin == "" {
		e.goBin = "go"
	}
	e.newImporter()
	return e
}

// refresh forgets the packages of modules whose sources may have changed: their export data is listed
// again, and a new importer (its cache holds every package it read) reads it.
func (e *exports) refresh(modules []string) {
	if len(modules) == 0 {
		return
	}
	for p := range e.files {
		for _, m := range modules {
			if p == m || strings.HasPrefix(p, m+"/") {
				delete(e.files, p)
			}
		}
	}
	e.newImporter()
}

func (e *exports) newImporter() {
	e.imp = importer.ForCompiler(e.fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := e.files[path]
		if !ok {
			e.list([]string{path})
			file, ok = e.files[path]
		}
		if !ok || file == "" {
			if why := e.errors[path]; why != "" {
				return nil, fmt.Errorf("%s", why)
			}
			return nil, fmt.Errorf("package %s is not available (go list found no export data)", path)
		}
		return os.Open(file)
	})
}

// list asks the go command for the compiled export data of paths and their dependencies.
func (e *exports) list(paths []string) {
	var missing []string
	for _, p := range paths {
		if _, ok := e.files[p]; !ok && p != "unsafe" && p != "C" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	format := "{{.ImportPath}}={{.Export}}{{if .Error}}\t{{.Error}}{{end}}"
	args := append([]string{"list", "-mod=mod", "-e", "-export", "-deps", "-f", format}, missing...)
	cmd := exec.Command(e.goBin, args...)
	if len(e.env) > 0 {
		cmd.Env = e.env
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	for _, line := range strings.Split(string(out), "\n") {
		line, why, _ := strings.Cut(line, "\t")
		if path, file, ok := strings.Cut(line, "="); ok {
			if file != "" {
				e.files[path] = file
			} else if why != "" {
				e.errors[path] = strings.ReplaceAll(why, "\n", " ")
			}
		}
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		for _, p := range missing {
			if _, ok := e.files[p]; !ok && e.errors[p] == "" {
				e.errors[p] = strings.ReplaceAll(msg, "\n", " ")
			}
		}
	}
	for _, p := range missing {
		if _, ok := e.files[p]; !ok {
			e.files[p] = "" // remember the miss for this request only
		}
	}
}

func (e *exports) forget() {
	for p, f := range e.files {
		if f == "" {
			delete(e.files, p)
			delete(e.errors, p)
		}
	}
}

// ---- edits on source text ----------------------------------------------------------------------------

type edit struct {
	start, end int // byte offsets; start == end inserts
	text       string
	span       int // size of the enclosing expression, orders insertions at one offset (outermost first)
}

type editor struct{ edits []edit }

func (ed *editor) replace(start, end int, text string) {
	ed.edits = append(ed.edits, edit{start: start, end: end, text: text, span: -1})
}

func (ed *editor) insert(at int, text string, span int) {
	ed.edits = append(ed.edits, edit{start: at, end: at, text: text, span: span})
}

// apply returns src with the edits; an edit inside a region that another edit replaces is dropped.
func (ed *editor) apply(src string) string {
	edits := append([]edit(nil), ed.edits...)
	sort.SliceStable(edits, func(i, j int) bool {
		a, b := edits[i], edits[j]
		if a.start != b.start {
			return a.start < b.start
		}
		aIns, bIns := a.start == a.end, b.start == b.end
		if aIns != bIns {
			return aIns // insertions before a replacement that starts at the same place
		}
		if aIns {
			return a.span > b.span
		}
		return a.end > b.end
	})
	var out strings.Builder
	pos := 0
	for _, e := range edits {
		if e.start < pos { // inside a region an earlier edit replaced
			continue
		}
		out.WriteString(src[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.WriteString(src[pos:])
	return out.String()
}

// ---- type printing -----------------------------------------------------------------------------------

// printer writes types as Go source in some package's terms: typeName names the notebook's own types,
// pkgName qualifies (and records the import of) every other package.
type printer struct {
	notebook *types.Package
	typeName func(*types.TypeName) string
	imports  map[string]string // name -> path
	byPath   map[string]string // path -> name
	reserved map[string]bool   // names already taken in the file (session imports)
	methods  bool              // the emitted package's terms: notebook methods by their emitted names
	aliases  map[string]string // struct text -> an earlier cell's alias of it (Prior.Structs)
}

func newPrinter(nb *types.Package, typeName func(*types.TypeName) string, taken map[string]string) *printer {
	p := &printer{notebook: nb, typeName: typeName, imports: map[string]string{}, byPath: map[string]string{}, reserved: map[string]bool{}}
	for name, path := range taken {
		p.byPath[path] = name
		p.reserved[name] = true
	}
	return p
}

func (p *printer) pkgName(pkg *types.Package) string {
	if name, ok := p.byPath[pkg.Path()]; ok {
		p.imports[name] = pkg.Path()
		return name
	}
	name := pkg.Name()
	for i := 2; p.reserved[name] || p.imports[name] != ""; i++ {
		name = fmt.Sprintf("gkp_%s%d", pkg.Name(), i)
	}
	p.byPath[pkg.Path()] = name
	p.imports[name] = pkg.Path()
	return name
}

type objNamed interface {
	Obj() *types.TypeName
}

func (p *printer) typ(t types.Type) string {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return "unsafe.Pointer"
		}
		if t.Kind() == types.UntypedNil {
			return "interface{}"
		}
		return types.Default(t).String()
	case *types.Pointer:
		return "*" + p.typ(t.Elem())
	case *types.Slice:
		return "[]" + p.typ(t.Elem())
	case *types.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), p.typ(t.Elem()))
	case *types.Map:
		return "map[" + p.typ(t.Key()) + "]" + p.typ(t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return "chan<- " + p.typ(t.Elem())
		case types.RecvOnly:
			return "<-chan " + p.typ(t.Elem())
		}
		elem := p.typ(t.Elem())
		if strings.HasPrefix(elem, "<-") {
			elem = "(" + elem + ")"
		}
		return "chan " + elem
	case *types.Signature:
		return "func" + p.signature(t)
	case *types.Struct:
		var b strings.Builder
		b.WriteString("struct{")
		for i := 0; i < t.NumFields(); i++ {
			if i > 0 {
				b.WriteString("; ")
			}
			f := t.Field(i)
			ft := p.typ(f.Type())
			// An embedded field stays embedded (its methods are promoted, its struct type is another one)
			// where its type is spelled with the field's name (not through an alias like GKT_name).
			if !f.Embedded() || embeddedName(ft) != f.Name() {
				b.WriteString(f.Name() + " ")
			}
			b.WriteString(ft)
			if tag := t.Tag(i); tag != "" {
				b.WriteString(" " + strconv.Quote(tag))
			}
		}
		b.WriteString("}")
		if name := p.aliases[b.String()]; name != "" {
			return name
		}
		return b.String()
	case *types.Interface:
		if t.Empty() {
			return "interface{}"
		}
		var parts []string
		for i := 0; i < t.NumEmbeddeds(); i++ {
			parts = append(parts, p.typ(t.EmbeddedType(i)))
		}
		for i := 0; i < t.NumExplicitMethods(); i++ {
			m := t.ExplicitMethod(i)
			name := m.Name()
			if p.methods && m.Pkg() == p.notebook {
				name = methodName(name) // as the emitted interface literal spells it
			}
			parts = append(parts, name+p.signature(m.Type().(*types.Signature)))
		}
		return "interface{" + strings.Join(parts, "; ") + "}"
	case *types.Union:
		var parts []string
		for i := 0; i < t.Len(); i++ {
			term := t.Term(i)
			s := p.typ(term.Type())
			if term.Tilde() {
				s = "~" + s
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " | ")
	case *types.TypeParam:
		return t.Obj().Name()
	case *types.Tuple:
		var parts []string
		for i := 0; i < t.Len(); i++ {
			parts = append(parts, p.typ(t.At(i).Type()))
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case *types.Named:
		return p.named(t.Obj(), t.TypeArgs())
	}
	if n, ok := t.(objNamed); ok && !p.methods && n.Obj().IsAlias() && strings.HasPrefix(n.Obj().Name(), "GKS_") {
		// In the notebook's terms an earlier cell's alias of an anonymous struct is the struct (with p.aliases,
		// the alias again); the emitted package names the alias itself.
		return p.typ(n.Obj().Type().Underlying())
	}
	if n, ok := t.(objNamed); ok { // type aliases (types.Alias, Go 1.22+)
		var args *types.TypeList
		if ta, ok := t.(interface{ TypeArgs() *types.TypeList }); ok {
			args = ta.TypeArgs()
		}
		return p.named(n.Obj(), args)
	}
	return types.TypeString(t, func(pkg *types.Package) string { return p.pkgName(pkg) })
}

// embeddedName is the field name Go gives an embedded field of type t (as spelled): T for *pkg.T[int].
func embeddedName(t string) string {
	t = strings.TrimPrefix(t, "*")
	if i := strings.Index(t, "["); i >= 0 {
		t = t[:i]
	}
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = t[i+1:]
	}
	return t
}

func (p *printer) named(obj *types.TypeName, args *types.TypeList) string {
	var name string
	switch {
	case obj.Pkg() == nil: // error, comparable, any
		if obj.Name() == "any" {
			return "interface{}"
		}
		name = obj.Name()
	case obj.Pkg() == p.notebook:
		name = p.typeName(obj)
	default:
		name = p.pkgName(obj.Pkg()) + "." + obj.Name()
	}
	if args != nil && args.Len() > 0 {
		var parts []string
		for i := 0; i < args.Len(); i++ {
			parts = append(parts, p.typ(args.At(i)))
		}
		name += "[" + strings.Join(parts, ", ") + "]"
	}
	return name
}

func (p *printer) signature(s *types.Signature) string {
	params := make([]string, 0, s.Params().Len())
	for i := 0; i < s.Params().Len(); i++ {
		t := s.Params().At(i).Type()
		if s.Variadic() && i == s.Params().Len()-1 {
			params = append(params, "..."+p.typ(t.(*types.Slice).Elem()))
		} else {
			params = append(params, p.typ(t))
		}
	}
	out := "(" + strings.Join(params, ", ") + ")"
	switch s.Results().Len() {
	case 0:
	case 1:
		out += " " + p.typ(s.Results().At(0).Type())
	default:
		out += " " + p.typ(s.Results())
	}
	return out
}

// importLines: every import the printed types use; fresh: only those the session does not import already.
func (p *printer) importLines(fresh bool) []string {
	var lines []string
	for name, path := range p.imports {
		if fresh && p.reserved[name] {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s %q", name, path))
	}
	sort.Strings(lines)
	return lines
}

// ---- the rewrite ---------------------------------------------------------------------------------------

type unit struct {
	req      *Request
	fset     *token.FileSet
	exp      *exports
	files    []*ast.File
	fileSrc  map[*token.File]string
	priorOf  map[*token.File]*Prior
	current  *ast.File
	curTok   *token.File
	bodyOff  int // offset in the current file where the cell's own text starts (after the header)
	pkg      *types.Package
	info     *types.Info
	errs     []types.Error
	runFunc  *ast.FuncDecl
	runScope *types.Scope
}

func sessionImports(req *Request) map[string]string {
	m := map[string]string{}
	for _, imp := range req.Imports {
		if imp.Name == "_" || imp.Name == "." || imp.Path == "C" {
			continue
		}
		name := imp.Name
		if name == "" {
			name = guessName(imp.Path)
		}
		m[name] = imp.Path
	}
	return m
}

var versionSuffix = regexp.MustCompile(`^v[0-9]+$`)

func guessName(path string) string {
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if versionSuffix.MatchString(last) && len(parts) > 1 {
		last = parts[len(parts)-2]
	}
	last = regexp.MustCompile(`\.v[0-9]+$`).ReplaceAllString(last, "")
	last = strings.TrimPrefix(last, "go-")
	last = regexp.MustCompile(`[-.]go$`).ReplaceAllString(last, "")
	return regexp.MustCompile(`\W`).ReplaceAllString(last, "_")
}

func header(imports []Import, extra []string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, imp := range imports {
		if imp.Path == "C" {
			continue
		}
		if imp.Origin > 0 && imp.Line > 0 { // errors about an import point at the cell that wrote it
			fmt.Fprintf(&b, "//line cell%d.go:%d:1\n", imp.Origin, imp.Line)
		}
		if imp.Name != "" {
			fmt.Fprintf(&b, "\t%s %q\n", imp.Name, imp.Path)
		} else {
			fmt.Fprintf(&b, "\t%q\n", imp.Path)
		}
	}
	for _, line := range extra {
		b.WriteString("\t" + line + "\n")
	}
	b.WriteString("//line gokernel-header.go:1\n)\n\n")
	return b.String()
}

func segmentText(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		fmt.Fprintf(&b, "//line cell%d.go:%d:1\n%s\n", s.Cell, s.Line, s.Src)
	}
	return b.String()
}

func priorSource(p *Prior, imports []Import) string {
	var extra []string
	have := map[string]bool{}
	for _, imp := range imports {
		have[imp.Path] = true
	}
	for _, v := range append(append([]Var(nil), p.Vars...), p.Structs...) {
		for name, path := range v.Imports {
			if !have[path] {
				have[path] = true
				extra = append(extra, fmt.Sprintf("%s %q", name, path))
			}
		}
	}
	var b strings.Builder
	b.WriteString(header(imports, extra))
	b.WriteString(segmentText(p.Decls))
	b.WriteString("//line gokernel-session.go:1\n")
	for _, v := range p.Vars {
		fmt.Fprintf(&b, "var %s %s\n", v.Name, v.Type)
	}
	for _, st := range p.Structs {
		fmt.Fprintf(&b, "type %s = %s\n", st.Name, st.Type)
	}
	return b.String()
}

// check type-checks the prior files plus one current file (header + body) and keeps everything needed.
func (u *unit) check(currentHeader, body string) error {
	u.fset = u.exp.fset // one file set: imported objects' positions must never alias the cells' files
	u.files = nil
	u.fileSrc = map[*token.File]string{}
	u.priorOf = map[*token.File]*Prior{}
	for i := range u.req.Prior {
		p := &u.req.Prior[i]
		src := priorSource(p, u.req.Imports)
		f, err := parser.ParseFile(u.fset, fmt.Sprintf("prior%d.go", i), src, parser.SkipObjectResolution)
		if f == nil {
			return err
		}
		tf := u.fset.File(f.Pos())
		u.fileSrc[tf] = src
		u.priorOf[tf] = p
		u.files = append(u.files, f)
	}
	src := currentHeader + body
	f, err := parser.ParseFile(u.fset, "current.go", src, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	u.current = f
	u.curTok = u.fset.File(f.Pos())
	u.fileSrc[u.curTok] = src
	u.bodyOff = len(currentHeader)
	u.files = append(u.files, f)
	u.info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	u.errs = nil
	conf := types.Config{
		Importer: u.exp.imp,
		Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				u.errs = append(u.errs, te)
			}
		},
	}
	u.pkg, _ = conf.Check("main", u.fset, u.files, u.info)
	u.runFunc = nil
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == runName {
			u.runFunc = fd
		}
	}
	u.runScope = nil
	if u.runFunc != nil {
		u.runScope = u.info.Scopes[u.runFunc.Type]
	}
	return nil
}

func (u *unit) off(p token.Pos) int { return u.curTok.Offset(p) - u.bodyOff }

func (u *unit) inCurrent(p token.Pos) bool { return p.IsValid() && u.fset.File(p) == u.curTok }

func (u *unit) inRun(p token.Pos) bool {
	return u.runFunc != nil && p >= u.runFunc.Body.Lbrace && p <= u.runFunc.Body.Rbrace
}

// topVar: a variable declared at the top level of the cell's statements.
func (u *unit) topVar(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	return ok && u.runScope != nil && v.Parent() == u.runScope
}

func (u *unit) packageLevel(obj types.Object) bool {
	return obj != nil && u.pkg != nil && obj.Parent() == u.pkg.Scope()
}

func isGeneric(obj types.Object) bool {
	switch o := obj.(type) {
	case *types.Func:
		sig, _ := o.Type().(*types.Signature)
		return sig != nil && sig.TypeParams().Len() > 0
	case *types.TypeName:
		if n, ok := o.Type().(*types.Named); ok {
			return n.TypeParams().Len() > 0
		}
	}
	return false
}

var importNotUsed = regexp.MustCompile(`imported (?:as \S+ )?and not used`)

var diagNoise = regexp.MustCompile(`\b(?:gkv_|gkx_|GKG_|GKT_|GKC_)`)

func (u *unit) diags(keep func(types.Error) bool) []Diag {
	var out []Diag
	seen := map[string]bool{}
	for _, e := range u.errs {
		if !keep(e) {
			continue
		}
		pos := e.Fset.Position(e.Pos)
		cell := 0
		if m := regexp.MustCompile(`^cell(\d+)\.go$`).FindStringSubmatch(pos.Filename); m != nil {
			cell, _ = strconv.Atoi(m[1])
		}
		d := Diag{Cell: cell, Line: pos.Line, Col: pos.Column, Msg: diagNoise.ReplaceAllString(e.Msg, "")}
		key := fmt.Sprint(d)
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}

// noise: errors that the emitted program does not have (it uses every name it keeps) or that are about
// prior cells (whose packages are already compiled and loaded).
func (u *unit) noise(e types.Error, trailing ast.Stmt) bool {
	if !u.inCurrent(e.Pos) {
		return true
	}
	if importNotUsed.MatchString(e.Msg) { // `"reflect" imported as reflect1 and not used` too
		return true
	}
	if strings.Contains(e.Msg, "declared and not used") || strings.Contains(e.Msg, "declared but not used") {
		for id, obj := range u.info.Defs {
			if id.Pos() == e.Pos && obj != nil && u.topVar(obj) {
				return true
			}
		}
	}
	if trailing != nil && e.Pos >= trailing.Pos() && e.Pos <= trailing.End() && strings.Contains(e.Msg, "is not used") {
		return true
	}
	return false
}

func (u *unit) trailing() *ast.ExprStmt {
	if u.runFunc == nil || len(u.runFunc.Body.List) == 0 {
		return nil
	}
	es, _ := u.runFunc.Body.List[len(u.runFunc.Body.List)-1].(*ast.ExprStmt)
	return es
}

func isShowMany(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == showManyName
}

// isErrorCall: a call whose one result is an error (f.Close()): shown only when there is an error. A
// variable of type error asked for by name is shown, nil or not.
func isErrorCall(e ast.Expr, info *types.Info) bool {
	inner := e
	for {
		p, ok := inner.(*ast.ParenExpr)
		if !ok {
			break
		}
		inner = p.X
	}
	if _, ok := inner.(*ast.CallExpr); !ok {
		return false
	}
	t := info.Types[e].Type
	return t != nil && types.Identical(t, types.Universe.Lookup("error").Type())
}

func hasValue(tv types.TypeAndValue) bool {
	if !tv.IsValue() || tv.IsVoid() {
		return false
	}
	if tup, ok := tv.Type.(*types.Tuple); ok {
		// (n int, err error) is what writers return (fmt.Println, w.Write): a byte count, not the value a
		// cell is after. strconv.Atoi's unnamed (int, error) is.
		if tup.Len() == 2 && tup.At(0).Name() == "n" && tup.At(1).Name() == "err" &&
			types.Identical(tup.At(0).Type(), types.Typ[types.Int]) &&
			types.Identical(tup.At(1).Type(), types.Universe.Lookup("error").Type()) {
			return false
		}
		return tup.Len() > 0
	}
	return true
}

// renamed is the name an object of this cell gets in its package (plugins must not export vars or funcs).
func renamed(obj types.Object, isTopVar bool) string {
	name := obj.Name()
	switch {
	case isTopVar:
		return "gkv_" + name
	case obj.Name() == "main":
		if _, ok := obj.(*types.Func); ok {
			return mainName
		}
	}
	switch obj.(type) {
	case *types.Func:
		if isGeneric(obj) {
			if !obj.Exported() {
				return "GKG_" + name
			}
			return name
		}
		if obj.Exported() {
			return "gkx_" + name
		}
	case *types.TypeName:
		if isGeneric(obj) && !obj.Exported() {
			return "GKT_" + name
		}
	case *types.Var:
		if obj.Exported() {
			return "gkx_" + name
		}
	}
	return name
}

// pass1 rewrites the cell so its top-level variables are package variables assigned in order.
func (u *unit) pass1() (body string, vars []*types.Var, hasResult bool, hasMain bool) {
	ed := &editor{}
	// Renames of this cell's package-level objects and top-level variables.
	for id, obj := range u.info.Defs {
		if obj == nil || !u.inCurrent(id.Pos()) {
			continue
		}
		if _, isMethod := obj.(*types.Func); isMethod && obj.(*types.Func).Type().(*types.Signature).Recv() != nil {
			continue
		}
		top := u.topVar(obj)
		if !top && !u.packageLevel(obj) {
			continue
		}
		if top {
			vars = append(vars, obj.(*types.Var))
		}
		if n := renamed(obj, top); n != obj.Name() {
			ed.replace(u.off(id.Pos()), u.off(id.End()), n)
			if n == mainName {
				hasMain = true
			}
		}
	}
	for id, obj := range u.info.Uses {
		if obj == nil || !u.inCurrent(id.Pos()) || !u.inCurrent(obj.Pos()) {
			continue
		}
		top := u.topVar(obj)
		if !top && !u.packageLevel(obj) {
			continue
		}
		if n := renamed(obj, top); n != obj.Name() {
			ed.replace(u.off(id.Pos()), u.off(id.End()), n)
		}
	}
	// An anonymous struct type an earlier cell published (Prior.Structs) is written as that cell's alias here.
	published := u.publishedStructs()
	if len(published) > 0 {
		ast.Inspect(u.current, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok || !u.inCurrent(st.Pos()) || u.off(st.Pos()) < 0 {
				return true
			}
			if t := u.info.Types[st].Type; t != nil && sharedStruct(t) {
				if key, _ := u.structKey(t); published[key] != "" {
					ed.replace(u.off(st.Pos()), u.off(st.End()), published[key])
					return false
				}
			}
			return true
		})
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Pos() < vars[j].Pos() })
	// The cell's own declarations see its top-level variables (they are package variables in the emitted
	// package): a name pass 1 could not resolve there, or resolved to an earlier cell, is the cell's variable.
	top := map[string]bool{}
	for _, v := range vars {
		top[v.Name()] = true
	}
	for _, d := range u.current.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == runName && fd.Recv == nil {
			continue
		}
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		ast.Inspect(d, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				ast.Inspect(x.X, func(m ast.Node) bool { return u.renameTopUse(ed, m, top) })
				return false
			case *ast.KeyValueExpr:
				if _, isIdent := x.Key.(*ast.Ident); isIdent {
					ast.Inspect(x.Value, func(m ast.Node) bool { return u.renameTopUse(ed, m, top) })
					return false
				}
			}
			return u.renameTopUse(ed, n, top)
		})
	}
	// Top-level := and var become assignments.
	if u.runFunc != nil {
		for _, st := range u.runFunc.Body.List {
			switch s := st.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					ed.replace(u.off(s.TokPos), u.off(s.TokPos)+2, " =")
				}
			case *ast.DeclStmt:
				gd, ok := s.Decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				u.varToAssign(ed, gd)
			}
		}
	}
	// The cell's func init runs after its leading vars (its package-level variables, as Go initialises
	// them first) and before its other statements, not when the plugin loads.
	if u.runFunc != nil {
		var inits []string
		for _, d := range u.current.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
				name := fmt.Sprintf("%s%d", initName, len(inits)+1)
				ed.replace(u.off(fd.Name.Pos()), u.off(fd.Name.End()), name)
				inits = append(inits, name+"()")
			}
		}
		if len(inits) > 0 {
			at := u.off(u.runFunc.Body.Lbrace) + 1
			for _, st := range u.runFunc.Body.List {
				ds, ok := st.(*ast.DeclStmt)
				if !ok {
					break
				}
				if gd, isGen := ds.Decl.(*ast.GenDecl); !isGen || gd.Tok != token.VAR {
					break
				}
				at = u.off(st.End())
			}
			ed.insert(at, "; "+strings.Join(inits, "; "), 0)
		}
	}
	if es := u.trailing(); es != nil && isShowMany(es.X) {
		hasResult = true
		fun := es.X.(*ast.CallExpr).Fun
		ed.replace(u.off(fun.Pos()), u.off(fun.End()), "gkrt.Show")
	} else if es != nil && hasValue(u.info.Types[es.X]) {
		hasResult = true
		show := "gkrt.Show("
		if isErrorCall(es.X, u.info) {
			show = "gkrt.ShowError("
		}
		ed.insert(u.off(es.X.Pos()), show, 1<<30)
		ed.insert(u.off(es.X.End()), ")", 1<<30)
	}
	src := u.fileSrc[u.curTok][u.bodyOff:]
	return ed.apply(src), vars, hasResult, hasMain
}

func (u *unit) renameTopUse(ed *editor, n ast.Node, top map[string]bool) bool {
	id, ok := n.(*ast.Ident)
	if !ok || !top[id.Name] || u.info.Defs[id] != nil {
		return true
	}
	if obj := u.info.Uses[id]; obj == nil || u.packageLevel(obj) {
		ed.replace(u.off(id.Pos()), u.off(id.End()), "gkv_"+id.Name)
	}
	return true
}

func blank(src string) string {
	var b strings.Builder
	for _, r := range src {
		if r == '\n' {
			b.WriteRune('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func (u *unit) varToAssign(ed *editor, gd *ast.GenDecl) {
	src := u.fileSrc[u.curTok][u.bodyOff:]
	span := func(a, b token.Pos) { ed.replace(u.off(a), u.off(b), blank(src[u.off(a):u.off(b)])) }
	// `var` (and the parentheses of a group) go; each spec becomes `names = values` or nothing.
	span(gd.TokPos, gd.TokPos+3)
	if gd.Lparen.IsValid() {
		span(gd.Lparen, gd.Lparen+1)
		span(gd.Rparen, gd.Rparen+1)
	}
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		if len(vs.Values) == 0 {
			span(vs.Pos(), vs.End())
			continue
		}
		if vs.Type != nil {
			// `x = v` must stay one statement: a type over several lines leaves its newlines after the spec.
			text := src[u.off(vs.Type.Pos()):u.off(vs.Type.End())]
			ed.replace(u.off(vs.Type.Pos()), u.off(vs.Type.End()), strings.Repeat(" ", len(text)))
			if n := strings.Count(text, "\n"); n > 0 {
				ed.insert(u.off(vs.End()), strings.Repeat("\n", n), 0)
			}
		}
	}
}

// ---- pass 2: emit the package -------------------------------------------------------------------------

type emitter struct {
	u        *unit
	ed       *editor
	final    *printer
	priors   map[*Prior]string // prior package -> import alias
	used     map[string]bool   // import lines of the emitted file
	mirrors  map[string]string // struct type string -> mirror name
	mirrorTy []string
	needsUns bool
}

func (em *emitter) priorAlias(p *Prior) string {
	if a, ok := em.priors[p]; ok {
		return a
	}
	parts := strings.Split(p.Pkg, "/")
	a := "gk_" + parts[len(parts)-1]
	em.priors[p] = a
	em.used[fmt.Sprintf("%s %q", a, p.Pkg)] = true
	return a
}

func (em *emitter) priorOf(obj types.Object) *Prior {
	if obj == nil || !obj.Pos().IsValid() || obj.Pkg() != em.u.pkg {
		return nil
	}
	return em.u.priorOf[em.u.fset.File(obj.Pos())]
}

// typeName names a notebook type in the emitted package.
func (em *emitter) typeName(obj *types.TypeName) string {
	if p := em.priorOf(obj); p != nil {
		if obj.Exported() {
			return em.priorAlias(p) + "." + obj.Name()
		}
		return em.priorAlias(p) + ".GKT_" + obj.Name()
	}
	return renamed(obj, false)
}

// ref is how the emitted package spells a prior cell's package-level object.
func (em *emitter) ref(obj types.Object, p *Prior) string {
	a := em.priorAlias(p)
	switch o := obj.(type) {
	case *types.Var:
		// Parenthesised: a composite literal in an if/for/switch header would open the block.
		acc := "(" + a + ".GK{}).V_" + o.Name() + "()"
		for _, v := range p.Vars {
			if v.Name == o.Name() && v.View {
				em.needsUns = true
				return "(*(*" + em.final.typ(o.Type()) + ")(unsafe.Pointer(" + acc + ")))"
			}
		}
		return "(*" + acc + ")"
	case *types.Func:
		if isGeneric(o) {
			if o.Exported() {
				return a + "." + o.Name()
			}
			return a + ".GKG_" + o.Name()
		}
		return "(" + a + ".GK{}).F_" + o.Name() + "()"
	case *types.TypeName:
		return em.typeName(o)
	case *types.Const:
		if o.Exported() {
			return a + "." + o.Name()
		}
		return a + ".GKC_" + o.Name()
	}
	return obj.Name()
}

// mirror names a struct type of the same layout as t's, declared in the emitted package; inside a generic
// function the struct may use its type parameters (pair[K, V]{k, v}), so the mirror is generic over them
// and the name returned is its instantiation (gkm1[K, V]).
func (em *emitter) mirror(t types.Type) string {
	st := t.Underlying().(*types.Struct)
	text := em.final.typ(st)
	var tparams []*types.TypeParam
	collectTypeParams(st, map[types.Type]bool{}, &tparams)
	args := ""
	if len(tparams) > 0 {
		names := make([]string, len(tparams))
		for i, tp := range tparams {
			names[i] = tp.Obj().Name()
		}
		args = "[" + strings.Join(names, ", ") + "]"
	}
	if name, ok := em.mirrors[text]; ok {
		return name + args
	}
	name := fmt.Sprintf("gkm%d", len(em.mirrors)+1)
	em.mirrors[text] = name
	decl := "type " + name
	if len(tparams) > 0 {
		params := make([]string, len(tparams))
		for i, tp := range tparams {
			params[i] = tp.Obj().Name() + " " + em.final.typ(tp.Constraint())
		}
		decl += "[" + strings.Join(params, ", ") + "]"
	}
	em.mirrorTy = append(em.mirrorTy, decl+" "+text)
	em.needsUns = true
	return name + args
}

// collectTypeParams appends the type parameters t mentions, each once, in the order met.
func collectTypeParams(t types.Type, seen map[types.Type]bool, out *[]*types.TypeParam) {
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	switch x := t.(type) {
	case *types.TypeParam:
		*out = append(*out, x)
	case *types.Named:
		for i := 0; i < x.TypeArgs().Len(); i++ {
			collectTypeParams(x.TypeArgs().At(i), seen, out)
		}
	case *types.Pointer:
		collectTypeParams(x.Elem(), seen, out)
	case *types.Slice:
		collectTypeParams(x.Elem(), seen, out)
	case *types.Array:
		collectTypeParams(x.Elem(), seen, out)
	case *types.Chan:
		collectTypeParams(x.Elem(), seen, out)
	case *types.Map:
		collectTypeParams(x.Key(), seen, out)
		collectTypeParams(x.Elem(), seen, out)
	case *types.Struct:
		for i := 0; i < x.NumFields(); i++ {
			collectTypeParams(x.Field(i).Type(), seen, out)
		}
	case *types.Signature:
		for _, tup := range []*types.Tuple{x.Params(), x.Results()} {
			for i := 0; i < tup.Len(); i++ {
				collectTypeParams(tup.At(i).Type(), seen, out)
			}
		}
	}
}

// foreignStruct: a struct type (named or not) with unexported fields declared in an earlier cell, which
// this cell's package cannot name.
func (em *emitter) foreignStruct(t types.Type) bool {
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		if f := st.Field(i); !f.Exported() && em.priorOf(f) != nil {
			return true
		}
	}
	return false
}

func (em *emitter) addrOf(e ast.Expr, t types.Type) (string, string) {
	if _, ok := t.Underlying().(*types.Pointer); ok {
		return "", ""
	}
	if em.u.info.Types[e].Addressable() {
		return "&", ""
	}
	return "gkrt.Addr(", ")"
}

// fieldPath spells the field path `indices` from an operand of type t: ".f" steps, or a mirror cast around
// the expression so far where a field is an earlier cell's unexported one. It returns the text to put
// before the operand, the text after it, the type reached and whether the result is addressable/a pointer.
func (em *emitter) fieldPath(t types.Type, addressable bool, indices []int) (prefix, suffix string, cur types.Type, needs bool) {
	cur = t
	_, isPtr := t.Underlying().(*types.Pointer)
	for _, idx := range indices {
		base := cur
		if p, ok := base.Underlying().(*types.Pointer); ok {
			base = p.Elem()
		}
		st, ok := base.Underlying().(*types.Struct)
		if !ok {
			return "", "", nil, false
		}
		f := st.Field(idx)
		if !f.Exported() && em.foreignStruct(base) {
			needs = true
			m := em.mirror(base)
			var pre, post string
			switch {
			case isPtr:
			case addressable:
				pre = "&"
			default:
				pre, post = "gkrt.Addr(", ")"
			}
			prefix = "(*" + m + ")(unsafe.Pointer(" + pre + prefix
			suffix += post + "))." + f.Name()
			addressable = true
		} else {
			suffix += "." + f.Name()
			addressable = addressable || isPtr
		}
		cur = f.Type()
		_, isPtr = cur.Underlying().(*types.Pointer)
	}
	return prefix, suffix, cur, needs
}

func (em *emitter) selection(sel *ast.SelectorExpr, s *types.Selection) {
	u := em.u
	between := u.fileSrc[u.curTok][u.curTok.Offset(sel.X.End()):u.curTok.Offset(sel.Sel.End())]
	keepLines := strings.Repeat("\n", strings.Count(between, "\n"))
	switch s.Kind() {
	case types.FieldVal:
		prefix, suffix, _, needs := em.fieldPath(s.Recv(), u.info.Types[sel.X].Addressable(), s.Index())
		if !needs {
			return
		}
		span := u.off(sel.End()) - u.off(sel.X.Pos())
		em.ed.insert(u.off(sel.X.Pos()), prefix, span)
		em.ed.replace(u.off(sel.X.End()), u.off(sel.Sel.End()), suffix+keepLines)
	case types.MethodVal, types.MethodExpr:
		// Every notebook method is emitted exported (methodName): an earlier cell's is then a plain selector.
		if m := s.Obj().(*types.Func); m.Pkg() == u.pkg && !m.Exported() {
			em.ed.replace(u.off(sel.Sel.Pos()), u.off(sel.Sel.End()), methodName(m.Name()))
		}
	}
}

// sharedStruct: an anonymous struct type with a lowercase field whose type can be named at package level
// (no type parameters, no types local to a function): what a cell publishes as a GKS_ alias.
func sharedStruct(t types.Type) bool {
	st, ok := t.(*types.Struct)
	if !ok {
		return false
	}
	lower := false
	for i := 0; i < st.NumFields(); i++ {
		if !st.Field(i).Exported() {
			lower = true
		}
	}
	return lower && nameable(t, map[types.Type]bool{})
}

func nameable(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch x := t.(type) {
	case *types.Basic:
		return true
	case *types.TypeParam:
		return false
	case *types.Named:
		obj := x.Obj()
		if obj.Pkg() != nil && obj.Parent() != obj.Pkg().Scope() {
			return false
		}
		for i := 0; i < x.TypeArgs().Len(); i++ {
			if !nameable(x.TypeArgs().At(i), seen) {
				return false
			}
		}
		return true
	case *types.Pointer:
		return nameable(x.Elem(), seen)
	case *types.Slice:
		return nameable(x.Elem(), seen)
	case *types.Array:
		return nameable(x.Elem(), seen)
	case *types.Chan:
		return nameable(x.Elem(), seen)
	case *types.Map:
		return nameable(x.Key(), seen) && nameable(x.Elem(), seen)
	case *types.Struct:
		for i := 0; i < x.NumFields(); i++ {
			if !nameable(x.Field(i).Type(), seen) {
				return false
			}
		}
		return true
	case *types.Signature:
		for _, tup := range []*types.Tuple{x.Params(), x.Results()} {
			for i := 0; i < tup.Len(); i++ {
				if !nameable(tup.At(i).Type(), seen) {
					return false
				}
			}
		}
		return true
	case *types.Interface:
		return x.NumMethods() == 0 && x.NumEmbeddeds() == 0
	}
	return false
}

// structKey spells a struct type in the notebook's terms (as variables' types are), with the imports it uses.
func (u *unit) structKey(t types.Type) (string, map[string]string) {
	pr := newPrinter(u.pkg, func(tn *types.TypeName) string { return tn.Name() }, sessionImports(u.req))
	return pr.typ(t), pr.imports
}

// publishedStructs: struct text (notebook terms) -> the alias an earlier cell published for it.
func (u *unit) publishedStructs() map[string]string {
	published := map[string]string{}
	for _, p := range u.req.Prior {
		for _, st := range p.Structs {
			published[st.Type] = st.Name
		}
	}
	return published
}

func structAliasName(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("GKS_%08x", h.Sum32())
}

// methodName: the notebook's unexported methods are emitted with exported names. Go qualifies an unexported
// method name by its package, so an interface declared in one cell (type shape interface{ area() float64 })
// could never be satisfied by a type of another cell; exported names are the same in every package.
func methodName(name string) string {
	if name == "_" || token.IsExported(name) {
		return name
	}
	return "GKm_" + name
}

func (u *unit) runFuncOrFile() ast.Node { return u.current }

func (em *emitter) compositeLit(lit *ast.CompositeLit, parentElemPtr bool) {
	u := em.u
	t := u.info.Types[lit].Type
	if t == nil {
		return
	}
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), true
	}
	if !em.foreignStruct(t) {
		return
	}
	m := em.mirror(t)
	tname := em.final.typ(t)
	span := u.off(lit.End()) - u.off(lit.Pos())
	if ptr || parentElemPtr {
		em.ed.insert(u.off(lit.Pos()), "(*"+tname+")(unsafe.Pointer(&", span)
	} else {
		em.ed.insert(u.off(lit.Pos()), "*(*"+tname+")(unsafe.Pointer(&", span)
	}
	if lit.Type != nil {
		em.ed.replace(u.off(lit.Type.Pos()), u.off(lit.Type.End()), m)
	} else {
		em.ed.insert(u.off(lit.Lbrace), m, 0)
	}
	em.ed.insert(u.off(lit.End()), "))", span)
}

// foldConstant: len(a) or cap(a) of an array (or a pointer to one) is a constant in Go as long as a has no
// calls or receives; an earlier cell's variable is reached through an accessor call, which would make it
// a non-constant (`[len(a)]int` would not compile), so the rewriter writes the value go/types computed.
func (em *emitter) foldConstant(call *ast.CallExpr) (string, bool) {
	u := em.u
	tv, ok := u.info.Types[call]
	if !ok || tv.Value == nil {
		return "", false
	}
	fun := call.Fun
	for {
		pe, ok := fun.(*ast.ParenExpr)
		if !ok {
			break
		}
		fun = pe.X
	}
	id, ok := fun.(*ast.Ident)
	if !ok {
		return "", false
	}
	if b, ok := u.info.Uses[id].(*types.Builtin); !ok || (b.Name() != "len" && b.Name() != "cap") {
		return "", false
	}
	prior := false
	ast.Inspect(call, func(n ast.Node) bool {
		if x, ok := n.(*ast.Ident); ok {
			if obj := u.info.Uses[x]; obj != nil && em.priorOf(obj) != nil && u.packageLevel(obj) {
				if _, isVar := obj.(*types.Var); isVar {
					prior = true
				}
			}
		}
		return !prior
	})
	if !prior {
		return "", false
	}
	if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return "(" + tv.Value.ExactString() + ")", true
	}
	return em.final.typ(tv.Type) + "(" + tv.Value.ExactString() + ")", true
}

// onlyDefers: the cell's statements are all defer statements.
func (u *unit) onlyDefers() bool {
	if u.runFunc == nil {
		return false
	}
	n := 0
	for _, st := range u.runFunc.Body.List {
		switch st.(type) {
		case *ast.DeferStmt:
			n++
		case *ast.EmptyStmt:
		default:
			return false
		}
	}
	return n > 0
}

func (u *unit) emit(r *Response, hasMain bool) error {
	em := &emitter{u: u, ed: &editor{}, priors: map[*Prior]string{}, used: map[string]bool{}, mirrors: map[string]string{}}
	em.final = newPrinter(u.pkg, em.typeName, sessionImports(u.req))
	em.final.methods = true
	em.used[fmt.Sprintf("gkrt %q", rtPath)] = true

	// Selections and literals that reach into earlier cells' unexported fields and methods; interrupt checks.
	var folded [][2]token.Pos // len/cap of earlier cells' arrays: constants, spelled as their values
	ast.Inspect(u.current, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if text, ok := em.foldConstant(x); ok {
				em.ed.replace(u.off(x.Pos()), u.off(x.End()), text)
				folded = append(folded, [2]token.Pos{x.Pos(), x.End()})
				return false
			}
		case *ast.SelectorExpr:
			if s, ok := u.info.Selections[x]; ok {
				em.selection(x, s)
			}
		case *ast.CompositeLit:
			elemPtr := false
			if lt := u.info.Types[x].Type; lt != nil {
				if t, ok := lt.Underlying().(interface{ Elem() types.Type }); ok {
					_, elemPtr = t.Elem().(*types.Pointer)
				}
			}
			for _, el := range x.Elts {
				v := el
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					v = kv.Value
				}
				if inner, ok := v.(*ast.CompositeLit); ok && inner.Type == nil {
					em.compositeLit(inner, elemPtr)
				}
			}
			if x.Type != nil {
				em.compositeLit(x, false)
			}
		case *ast.ForStmt:
			em.check(x.Body)
		case *ast.RangeStmt:
			em.check(x.Body)
		case *ast.FuncLit:
			em.check(x.Body)
		case *ast.FuncDecl:
			if x.Recv != nil && methodName(x.Name.Name) != x.Name.Name {
				em.ed.replace(u.off(x.Name.Pos()), u.off(x.Name.End()), methodName(x.Name.Name))
			}
			if x.Body != nil {
				em.check(x.Body)
			}
		case *ast.InterfaceType:
			for _, f := range x.Methods.List {
				if _, isMethod := f.Type.(*ast.FuncType); isMethod {
					for _, id := range f.Names {
						if methodName(id.Name) != id.Name {
							em.ed.replace(u.off(id.Pos()), u.off(id.End()), methodName(id.Name))
						}
					}
				}
			}
		}
		return true
	})
	// The cell's own statements and loops stop once it is abandoned (see gkrt.Stop); code the cell declares
	// (funcs, goroutines' function literals) runs on unchecked.
	if rf := u.runFunc; rf != nil && len(rf.Body.List) > 0 {
		em.ed.insert(u.off(rf.Body.Lbrace)+1, " gkStop := gkrt.Stop(); _ = gkStop;", 1<<41) // before a first statement starting at once
		for _, st := range rf.Body.List {
			em.ed.insert(u.off(st.Pos()), "gkrt.Stopped(gkStop); ", 1<<40)
		}
		ast.Inspect(rf.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				em.ed.insert(u.off(x.Body.Lbrace)+1, " gkrt.Stopped(gkStop);", 0)
			case *ast.RangeStmt:
				em.ed.insert(u.off(x.Body.Lbrace)+1, " gkrt.Stopped(gkStop);", 0)
			}
			return true
		})
	}
	// Prior cells' names, and the imports the cell really uses.
	dotUsed := map[string]bool{}
	inFolded := func(p token.Pos) bool {
		for _, r := range folded {
			if p >= r[0] && p < r[1] {
				return true
			}
		}
		return false
	}
	// An embedded field's name is its type's name as written: an earlier cell's unexported type embedded here
	// is spelled through a local alias of its own name (type base = gk_c1.GKT_base), so the field is `base`.
	embedded := map[*ast.Ident]bool{}
	ast.Inspect(u.current, func(n ast.Node) bool {
		if st, ok := n.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				t := f.Type
				if star, ok := t.(*ast.StarExpr); ok {
					t = star.X
				}
				if id, ok := t.(*ast.Ident); ok && len(f.Names) == 0 {
					embedded[id] = true
				}
			}
		}
		return true
	})
	aliases := map[string]string{}
	for id, obj := range u.info.Uses {
		if !u.inCurrent(id.Pos()) || obj == nil || inFolded(id.Pos()) {
			continue
		}
		if pn, ok := obj.(*types.PkgName); ok {
			if pn.Imported().Path() != rtPath {
				em.used[importLine(pn)] = true
			}
			continue
		}
		if p := em.priorOf(obj); p != nil && u.packageLevel(obj) {
			ref := em.ref(obj, p)
			if tn, ok := obj.(*types.TypeName); ok && embedded[id] && !tn.Exported() && !tn.IsAlias() && !isGeneric(tn) {
				aliases[tn.Name()] = ref
				ref = tn.Name()
			}
			em.ed.replace(u.off(id.Pos()), u.off(id.End()), ref)
			continue
		}
		if obj.Pkg() != nil && obj.Pkg() != u.pkg && obj.Parent() == obj.Pkg().Scope() && !isSelected(u.current, id) {
			dotUsed[obj.Pkg().Path()] = true
		}
	}
	for _, imp := range u.req.Imports {
		if (imp.Name == "_" && imp.Cell) || (imp.Name == "." && dotUsed[imp.Path]) {
			em.used[fmt.Sprintf("%s %q", imp.Name, imp.Path)] = true
		}
	}
	body := em.ed.apply(u.fileSrc[u.curTok][u.bodyOff:])

	// Package variables, registration and the accessors later cells use.
	var gen strings.Builder
	gen.WriteString("\n//line gokernel-generated.go:1\n")
	// Anonymous struct types with lowercase fields this cell writes first: aliases later cells use (Prior.Structs).
	have := map[string]bool{}
	for _, p := range u.req.Prior {
		for _, st := range p.Structs {
			have[st.Type] = true
		}
	}
	ast.Inspect(u.current, func(n ast.Node) bool {
		st, ok := n.(*ast.StructType)
		if !ok || !u.inCurrent(st.Pos()) {
			return true
		}
		t := u.info.Types[st].Type
		if t == nil || !sharedStruct(t) {
			return true
		}
		key, imports := u.structKey(t)
		if !have[key] {
			have[key] = true
			name := structAliasName(key)
			fmt.Fprintf(&gen, "type %s = %s\n\n", name, em.final.typ(t))
			r.Structs = append(r.Structs, Var{Name: name, Type: key, Imports: imports})
		}
		return true
	})
	for _, name := range sortedKeys(aliases) {
		fmt.Fprintf(&gen, "type %s = %s\n\n", name, aliases[name])
	}
	scope := u.pkg.Scope()
	var varNames []string
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !u.inCurrent(obj.Pos()) {
			continue
		}
		if v, ok := obj.(*types.Var); ok && strings.HasPrefix(name, "gkv_") {
			varNames = append(varNames, name)
			_ = v
		}
	}
	if hasMain {
		// The cell's own `func main` runs after its statements, as in a program.
		body = strings.Replace(body, "\n}\n//line gokernel-end", "\n\t"+mainName+"()\n}\n//line gokernel-end", 1)
	}
	if u.onlyDefers() {
		// main's deferred calls, written as a cell of their own: they wait for main's end (see gkrt.Park).
		body = strings.Replace(body, "\n}\n//line gokernel-end", "\n\tgkrt.Park()\n}\n//line gokernel-end", 1)
	}
	fmt.Fprintf(&gen, "var _ = gkrt.Register(%s)\n\ntype GK struct{}\n\n", runName)
	for _, name := range varNames {
		obj := scope.Lookup(name)
		t := em.final.typ(obj.Type())
		user := strings.TrimPrefix(name, "gkv_")
		fmt.Fprintf(&gen, "func (GK) V_%s() *%s { return &%s }\n\n", user, t, name)
	}
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !u.inCurrent(obj.Pos()) || strings.HasPrefix(name, "gkv_") || name == runName || name == "GK" || name == showManyName {
			continue
		}
		user := userName(name)
		switch o := obj.(type) {
		case *types.Func:
			if isGeneric(o) || name == mainName || name == "init" || strings.HasPrefix(name, initName) {
				continue
			}
			fmt.Fprintf(&gen, "func (GK) F_%s() %s { return %s }\n\n", user, em.final.typ(o.Type()), name)
		case *types.TypeName:
			if !o.Exported() && !isGeneric(o) && !o.IsAlias() {
				fmt.Fprintf(&gen, "type GKT_%s = %s\n\n", name, name)
			} else if o.IsAlias() && !o.Exported() {
				fmt.Fprintf(&gen, "type GKT_%s = %s\n\n", name, name)
			}
		case *types.Const:
			if !o.Exported() {
				fmt.Fprintf(&gen, "const GKC_%s = %s\n\n", name, name)
			}
		}
	}
	em.itabSeeds(&gen)
	for _, m := range em.mirrorTy {
		gen.WriteString(m + "\n\n")
	}
	for _, line := range em.final.importLines(false) {
		em.used[line] = true
	}
	if em.needsUns {
		em.used[`unsafe "unsafe"`] = true
	}
	var imports []string
	for line := range em.used {
		imports = append(imports, line)
		path := line[strings.Index(line, `"`):]
		p, _ := strconv.Unquote(path)
		r.Imports = append(r.Imports, p)
	}
	sort.Strings(imports)
	sort.Strings(r.Imports)
	var out strings.Builder
	out.WriteString("// Code generated by gokernel from a notebook cell. DO NOT EDIT.\n\npackage main\n\nimport (\n")
	for _, line := range imports {
		out.WriteString("\t" + line + "\n")
	}
	out.WriteString(")\n\n")
	out.WriteString(body)
	out.WriteString(gen.String())
	r.Source = out.String()

	// What later cells will see of this one (in the notebook's own terms).
	for _, name := range varNames {
		obj := scope.Lookup(name)
		pr := newPrinter(u.pkg, func(tn *types.TypeName) string { return tn.Name() }, sessionImports(u.req))
		typ := pr.typ(obj.Type())
		r.Vars = append(r.Vars, Var{Name: strings.TrimPrefix(name, "gkv_"), Type: typ, Imports: pr.imports})
	}
	return nil
}

// itabSeeds: each cell is its own plugin, and the runtime makes an itab (interface, concrete type) the
// first time a value of the type is converted to the interface dynamically (i1.(I2), any(s).(I2)) if no
// loaded module has one. A later cell that converts statically (var i I2 = s) or asserts back (i2.(*S),
// a type switch, ==) compiles its own copy of that itab, and itabs are compared by address: i2.(*S) was
// false, a type switch took default. So the cell that declares a type or an interface also compiles every
// pair with the notebook's interfaces and types (and error, fmt.Stringer) in a variable its initialisation
// keeps (gkrt.Keep): later cells then resolve to those itabs, as a program's code does to its one copy.
func (em *emitter) itabSeeds(gen *strings.Builder) {
	u := em.u
	var ifaces, concrete []*types.TypeName
	isNew := map[*types.TypeName]bool{}
	scope := u.pkg.Scope()
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok || tn.IsAlias() || isGeneric(tn) || strings.HasPrefix(name, "gk") {
			continue
		}
		if _, named := tn.Type().(*types.Named); !named {
			continue
		}
		cur := u.inCurrent(tn.Pos())
		if !cur && em.priorOf(tn) == nil {
			continue
		}
		isNew[tn] = cur
		if it, ok := tn.Type().Underlying().(*types.Interface); ok {
			if it.NumMethods() > 0 && it.IsMethodSet() {
				ifaces = append(ifaces, tn)
			}
			continue
		}
		concrete = append(concrete, tn)
	}
	std := []*types.TypeName{types.Universe.Lookup("error").(*types.TypeName)}
	for _, imp := range u.pkg.Imports() {
		if imp.Path() == "fmt" {
			if tn, ok := imp.Scope().Lookup("Stringer").(*types.TypeName); ok {
				std = append(std, tn)
			}
		}
	}
	var fields, values []string
	// Only what is printed is imported: types are spelled once a pair is known to be one.
	seed := func(iface *types.TypeName, t types.Type) {
		if len(fields) >= 1000 || !types.Implements(t, iface.Type().Underlying().(*types.Interface)) {
			return
		}
		fields = append(fields, fmt.Sprintf("f%d %s", len(fields), em.final.typ(iface.Type())))
		if p, ok := t.(*types.Pointer); ok {
			values = append(values, "(*"+em.final.typ(p.Elem())+")(nil)")
		} else {
			values = append(values, "*new("+em.final.typ(t)+")")
		}
	}
	defer func() {
		if len(fields) > 0 { // kept in this cell's plugin: package initialisation refers to them
			fmt.Fprintf(gen, "var gkItabs = struct{ %s }{%s}\n\nvar _ = gkrt.Keep(&gkItabs)\n\n",
				strings.Join(fields, "; "), strings.Join(values, ", "))
		}
	}()
	for _, t := range concrete {
		for _, lists := range [][]*types.TypeName{ifaces, std} {
			for _, iface := range lists {
				if !isNew[t] && !isNew[iface] {
					continue
				}
				seed(iface, t.Type())
				seed(iface, types.NewPointer(t.Type()))
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func userName(name string) string {
	for _, p := range []string{"gkx_", "GKG_", "GKT_"} {
		if strings.HasPrefix(name, p) {
			return strings.TrimPrefix(name, p)
		}
	}
	return name
}

func importLine(pn *types.PkgName) string {
	return fmt.Sprintf("%s %q", pn.Name(), pn.Imported().Path())
}

func isSelected(f *ast.File, id *ast.Ident) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok && s.Sel == id {
			found = true
		}
		return !found
	})
	return found
}

func (em *emitter) check(b *ast.BlockStmt) {
	if b == nil {
		return
	}
	em.ed.insert(em.u.off(b.Lbrace)+1, "gkrt.Check(); ", 0)
}

// ---- request handling ----------------------------------------------------------------------------------

const showManyName = "gkShowMany"

// showMany wraps a last statement that is a list of expressions in a call that shows them all.
func showMany(req *Request) (string, bool) {
	if len(req.Stmts) == 0 {
		return "", false
	}
	stmts := append([]Segment(nil), req.Stmts...)
	last := &stmts[len(stmts)-1]
	if _, err := parser.ParseExpr(showManyName + "(" + last.Src + ")"); err != nil || !strings.Contains(last.Src, ",") {
		return "", false
	}
	trimmed := strings.TrimLeft(last.Src, " ")
	pad := last.Src[:len(last.Src)-len(trimmed)]
	last.Src = pad + showManyName + "(" + trimmed + ")"
	return cellBody(req, segmentText(stmts)) + "func " + showManyName + "(...interface{}) {}\n", true
}

func cellBody(req *Request, stmts string) string {
	var b strings.Builder
	b.WriteString(segmentText(req.Decls))
	b.WriteString("//line gokernel-run.go:1\nfunc " + runName + "() {\n")
	b.WriteString(stmts)
	b.WriteString("}\n//line gokernel-end.go:1\n")
	return b.String()
}

func handle(exp *exports, req *Request) (r Response) {
	defer func() {
		if p := recover(); p != nil {
			r = Response{Internal: fmt.Sprint(p)}
		}
	}()
	defer exp.forget()
	exp.env = req.Env
	exp.refresh(req.Volatile)
	var paths []string
	for _, imp := range req.Imports {
		paths = append(paths, imp.Path)
	}
	for _, p := range req.Prior {
		for _, v := range append(append([]Var(nil), p.Vars...), p.Structs...) {
			for _, path := range v.Imports {
				paths = append(paths, path)
			}
		}
	}
	exp.list(append(paths, rtPath))
	u := &unit{req: req, exp: exp}
	u.orderLeadingVars()

	// Pass 1: the cell as Go sees it (statements in a function), to learn its variables' types.
	body1 := cellBody(req, segmentText(req.Stmts))
	if err := u.check(header(req.Imports, nil), body1); err != nil {
		// `a, b` as the last line shows both values, as in a REPL; Go has no such statement.
		many, ok := showMany(req)
		if !ok {
			return Response{Errors: []Diag{parseDiag(err)}}
		}
		body1 = many
		if err2 := u.check(header(req.Imports, nil), body1); err2 != nil {
			return Response{Errors: []Diag{parseDiag(err)}}
		}
	}
	es := u.trailing()
	var trailing ast.Stmt
	if es != nil {
		trailing = es
	}
	inRunErr := false
	for _, e := range u.errs {
		if !u.noise(e, trailing) && u.inRun(e.Pos) {
			inRunErr = true
		}
	}
	if inRunErr {
		return Response{Errors: u.diags(func(e types.Error) bool { return !u.noise(e, trailing) })}
	}
	body2, vars, hasResult, hasMain := u.pass1()
	resultIsError := hasResult && es != nil && !isShowMany(es.X) && isErrorCall(es.X, u.info)
	// Pass 2: the package as it will be emitted (variables at package level), in the notebook's terms.
	pr := newPrinter(u.pkg, func(tn *types.TypeName) string {
		if u.inCurrent(tn.Pos()) {
			return renamed(tn, false)
		}
		return tn.Name()
	}, sessionImports(req))
	pr.aliases = u.publishedStructs() // a top-level var of such a struct type is declared with the alias
	var decls strings.Builder
	decls.WriteString("\n//line gokernel-vars.go:1\n")
	for _, v := range vars {
		fmt.Fprintf(&decls, "var gkv_%s %s\n", v.Name(), pr.typ(v.Type()))
	}
	extra := append(pr.importLines(true), fmt.Sprintf("gkrt %q", rtPath))
	names := u.declaredNames()
	if err := u.check(header(req.Imports, extra), body2+decls.String()); err != nil {
		return Response{Errors: []Diag{parseDiag(err)}}
	}
	if errs := u.diags(func(e types.Error) bool { return !u.noise(e, nil) }); len(errs) > 0 {
		return Response{Errors: errs}
	}
	r = Response{HasResult: hasResult, ResultIsError: resultIsError, Names: names}
	if err := u.emit(&r, hasMain); err != nil {
		return Response{Internal: err.Error()}
	}
	return r
}

// orderLeadingVars: the `var`s a cell starts with are its package-level variables as Go sees them, and Go
// initialises those in dependency order (`var n = len(<-c)` before `var c = ...` reads c first), not as
// written. They become statements run in order, so they are put in the order go/types computes (one
// statement per spec; a spec keeps its cell position). Vars after the first statement run as written.
func (u *unit) orderLeadingVars() {
	req := u.req
	lead, specs := 0, 0
	for _, seg := range req.Stmts {
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+seg.Src, parser.SkipObjectResolution)
		if err != nil || len(f.Decls) != 1 {
			break
		}
		gd, ok := f.Decls[0].(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			break
		}
		lead++
		specs += len(gd.Specs)
	}
	if specs < 2 {
		return
	}
	if err := u.check(header(req.Imports, nil), segmentText(req.Decls)+segmentText(req.Stmts[:lead])); err != nil {
		return
	}
	rank := map[types.Object]int{}
	for i, init := range u.info.InitOrder {
		for _, v := range init.Lhs {
			rank[v] = i
		}
	}
	type spec struct {
		seg  Segment
		text string
		pos  token.Position
		rank int
	}
	var all []spec
	src := u.fileSrc[u.curTok]
	for _, d := range u.current.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			r := -1 // zero values first: nothing to compute
			if len(vs.Values) > 0 {
				r = len(u.info.InitOrder)
				for _, name := range vs.Names {
					obj := u.info.Defs[name]
					i, ok := rank[obj]
					if !ok {
						return // not something go/types could order: leave the cell as written
					}
					if i < r {
						r = i
					}
				}
			}
			pos := u.fset.Position(vs.Pos())
			all = append(all, spec{text: src[u.curTok.Offset(vs.Pos()):u.curTok.Offset(vs.End())], pos: pos, rank: r})
		}
	}
	if len(all) != specs || sort.SliceIsSorted(all, func(i, j int) bool { return all[i].rank < all[j].rank }) {
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].rank < all[j].rank })
	cell := req.Stmts[0].Cell
	stmts := make([]Segment, 0, len(all)+len(req.Stmts)-lead)
	for _, s := range all {
		stmts = append(stmts, Segment{
			Src:  fmt.Sprintf("var /*line %s:%d:%d*/%s", s.pos.Filename, s.pos.Line, s.pos.Column, s.text),
			Cell: cell,
			Line: s.pos.Line,
		})
	}
	req.Stmts = append(stmts, req.Stmts[lead:]...)
}

// declaredNames: the package-level names of this cell (its declarations and top-level variables).
func (u *unit) declaredNames() []string {
	var names []string
	for id, obj := range u.info.Defs {
		if obj == nil || !u.inCurrent(id.Pos()) {
			continue
		}
		if f, ok := obj.(*types.Func); ok {
			if recv := f.Type().(*types.Signature).Recv(); recv != nil {
				t := recv.Type()
				if p, ok := t.(*types.Pointer); ok {
					t = p.Elem()
				}
				if n, ok := t.(*types.Named); ok {
					names = append(names, n.Obj().Name()+"."+f.Name())
				}
				continue
			}
		}
		if (u.packageLevel(obj) || u.topVar(obj)) && obj.Name() != runName && obj.Name() != "init" && obj.Name() != "_" &&
			obj.Name() != showManyName {
			names = append(names, obj.Name())
		}
	}
	sort.Strings(names)
	return names
}

var parsePos = regexp.MustCompile(`^cell(\d+)\.go:(\d+)(?::(\d+))?: (.*)$`)

func parseDiag(err error) Diag {
	msg := err.Error()
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		msg = list[0].Error()
	}
	if m := parsePos.FindStringSubmatch(msg); m != nil {
		cell, _ := strconv.Atoi(m[1])
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		return Diag{Cell: cell, Line: line, Col: col, Msg: m[4]}
	}
	return Diag{Msg: msg}
}

func main() {
	fset := token.NewFileSet()
	exp := newExports(fset)
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req Request
			var resp Response
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				resp = Response{Internal: "bad request: " + jerr.Error()}
			} else {
				resp = handle(exp, &req)
			}
			data, _ := json.Marshal(resp)
			out.Write(append(data, '\n'))
			out.Flush()
		}
		if err != nil {
			return
		}
	}
}
