package htmlreport

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// find returns every node under n (n included) that match accepts, in
// document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), class)
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for _, t := range find(n, func(n *html.Node) bool { return n.Type == html.TextNode }) {
		b.WriteString(t.Data)
		b.WriteString(" ")
	}
	return b.String()
}

// tableRows returns the data rows of the first table whose header row has
// every one of headers.
func tableRows(doc *html.Node, headers ...string) []*html.Node {
	for _, tbl := range find(doc, func(n *html.Node) bool { return n.Data == "table" }) {
		rows := find(tbl, func(n *html.Node) bool { return n.Data == "tr" })
		if len(rows) == 0 {
			continue
		}
		var ths []string
		for _, th := range find(rows[0], func(n *html.Node) bool { return n.Data == "th" }) {
			ths = append(ths, strings.TrimSpace(textOf(th)))
		}
		ok := true
		for _, h := range headers {
			ok = ok && slices.Contains(ths, h)
		}
		if ok {
			return rows[1:]
		}
	}
	return nil
}
