// Package display sends rich output (HTML, Markdown, images, JSON) from a notebook cell to Jupyter.
//
// gokernel imports it automatically when a cell uses `display.`; each call shows its output at once,
// while the program is still running. Outside the kernel (a binary run by hand) the calls do nothing.
package display

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

var (
	mu      sync.Mutex
	channel = os.NewFile(3, "gokernel-side")
	enabled = func() bool {
		st, err := channel.Stat()
		return err == nil && st.Mode()&os.ModeNamedPipe != 0
	}()
)

// Bundle shows one output with several representations, keyed by MIME type ("text/html", "text/plain", ...).
// Binary MIME types (images) must already be base64-encoded, as Jupyter expects.
func Bundle(data map[string]string) {
	if !enabled {
		return
	}
	payload, err := json.Marshal(data)
	if err != nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(channel, "display %d\n%s", len(payload), payload)
}

// HTML shows an HTML fragment.
func HTML(html string) { Bundle(map[string]string{"text/html": html, "text/plain": "<HTML>"}) }

// Markdown shows Markdown text.
func Markdown(md string) { Bundle(map[string]string{"text/markdown": md, "text/plain": md}) }

// SVG shows an SVG image.
func SVG(svg string) { Bundle(map[string]string{"image/svg+xml": svg, "text/plain": "<SVG image>"}) }

// PNG shows PNG-encoded image bytes.
func PNG(png []byte) {
	Bundle(map[string]string{"image/png": base64.StdEncoding.EncodeToString(png), "text/plain": "<PNG image>"})
}

// JPEG shows JPEG-encoded image bytes.
func JPEG(jpeg []byte) {
	Bundle(map[string]string{"image/jpeg": base64.StdEncoding.EncodeToString(jpeg), "text/plain": "<JPEG image>"})
}

// JSON shows any value as an interactive JSON tree (it is marshalled with encoding/json).
func JSON(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		HTML("<pre>display.JSON: " + err.Error() + "</pre>")
		return
	}
	Bundle(map[string]string{"application/json": string(raw), "text/plain": string(raw)})
}
