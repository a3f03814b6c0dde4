"""Protocol conformance with jupyter_kernel_test, against the installed `go` kernelspec."""

from __future__ import annotations

import unittest

import jupyter_kernel_test as jkt


class GoKernelProtocolTests(jkt.KernelTests):
    kernel_name = "go"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "oops")'
    code_generate_error = 'panic("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": 'strings.ToUpper("go")', "result": '"GO"'},
        {"code": "x := []int{1, 2, 3}\nlen(x)", "result": "3"},
    ]
    completion_samples = [{"text": "strings.ToUpp", "matches": {"ToUpper", "ToUpperSpecial"}}]
    complete_code_samples = ['fmt.Println("hi")', "x := 1", "func f() {}", "type T struct{}"]
    incomplete_code_samples = ["func f() {", "if true {", "x := `raw", "fmt.Println(1,"]
    invalid_code_samples = ["}", "fmt.Println(1))"]
    code_inspect_sample = "strings.Repeat"
    code_display_data = [
        {"code": 'display.HTML("<b>go</b>")', "mime": "text/html"},
        {"code": 'display.Markdown("*go*")', "mime": "text/markdown"},
        {"code": "display.PNG([]byte{0x89, 'P', 'N', 'G'})", "mime": "image/png"},
    ]
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 *"


if __name__ == "__main__":
    unittest.main()
