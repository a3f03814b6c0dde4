"""The live session: one long-lived Go process per notebook that loads each cell as a plugin.

tools.py     build the rewriter helper and the host binary with the user's toolchain (cached)
rewriter.py  client of the Go helper that turns a cell into a package (go/parser + go/types)
builder.py   compile + link a cell package into a plugin (.so) with a cached importcfg
host.py      the host process: start, commands, output routing, interrupt, stdin, death
store.py     what the session holds: each loaded cell's declarations and variables
session.py   LiveSession, the execution strategy the executor uses in live mode
"""
