module gokernel/rewrite

go 1.21
