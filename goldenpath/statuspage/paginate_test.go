package statuspage_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
)

// tablePage is what a reader of one page of the applications table sees:
// the rows (environment/application), the summary's text and the links
// of the pages' navigation by rel (prev, next) or text ("all").
type tablePage struct {
	Rows    []string
	Summary string
	Links   map[string]string
}

// readTable parses the page's HTML (a parser, not string matching) into
// a tablePage.
func readTable(t *testing.T, h http.Handler, path string) tablePage {
	t.Helper()
	resp := get(t, h, path)
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
	doc, err := html.Parse(resp.Body)
	require.NoError(t, err)
	p := tablePage{Links: map[string]string{}}
	base, err := url.Parse(path)
	require.NoError(t, err)
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var text func(*html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node, inBody, inNav bool)
	walk = func(n *html.Node, inBody, inNav bool) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "tbody":
				inBody = true
			case n.Data == "tr" && inBody && attr(n, "data-application") != "":
				p.Rows = append(p.Rows, attr(n, "data-environment")+"/"+attr(n, "data-application"))
			case n.Data == "p" && attr(n, "id") == "summary":
				p.Summary = strings.Join(strings.Fields(text(n)), " ")
			case n.Data == "nav" && attr(n, "class") == "pages":
				inNav = true
			case n.Data == "a" && inNav:
				key := attr(n, "rel")
				if key == "" {
					key = "all"
				}
				// resolved as the browser does against the page's URL
				ref, err := url.Parse(attr(n, "href"))
				require.NoError(t, err)
				p.Links[key] = base.ResolveReference(ref).String()
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inBody, inNav)
		}
	}
	walk(doc, false, false)
	return p
}

// The table a page at a time: per rows a page, links to the pages around
// that keep the filters, a page past the end shows the last one, per=all
// every row; the counts are always the whole fleet's.
func TestPagination(t *testing.T) {
	h, err := statuspage.New(statuspage.Config{Source: source(t, world(t)), Refresh: -1})
	require.NoError(t, err)
	all := readTable(t, h, "/?per=all")
	require.Len(t, all.Rows, 5)
	assert.Empty(t, all.Links, "one page: no navigation")
	assert.Equal(t, all.Rows, readTable(t, h, "/").Rows, "five rows fit the default page")

	first := readTable(t, h, "/?per=2")
	assert.Equal(t, all.Rows[:2], first.Rows)
	assert.Contains(t, first.Summary, "Showing 1–2 of 5 matching of 5 applications.")
	assert.NotContains(t, first.Links, "prev")
	require.Contains(t, first.Links, "next")
	require.Contains(t, first.Links, "all")

	second := readTable(t, h, first.Links["next"])
	assert.Equal(t, all.Rows[2:4], second.Rows)
	require.Contains(t, second.Links, "prev")
	assert.Equal(t, first.Rows, readTable(t, h, second.Links["prev"]).Rows)
	last := readTable(t, h, second.Links["next"])
	assert.Equal(t, all.Rows[4:], last.Rows)
	assert.NotContains(t, last.Links, "next")
	assert.Equal(t, all.Rows, readTable(t, h, first.Links["all"]).Rows)
	assert.Equal(t, last.Rows, readTable(t, h, "/?per=2&page=99").Rows, "past the end: the last page")

	// The filters ride along in the links.
	dev := readTable(t, h, "/?per=1&env=dev&q=ctl")
	require.Len(t, dev.Rows, 1)
	next, err := url.Parse(dev.Links["next"])
	require.NoError(t, err)
	assert.Equal(t, "dev", next.Query().Get("env"))
	assert.Equal(t, "ctl", next.Query().Get("q"))
	assert.Equal(t, "1", next.Query().Get("per"))
	assert.Equal(t, "2", next.Query().Get("page"))
	assert.Contains(t, dev.Summary, "of 4 matching of 5 applications.")

	// Nonsense is the default.
	for _, q := range []string{"per=0", "per=-3", "per=x", "page=-1", "page=x"} {
		assert.Equal(t, all.Rows, readTable(t, h, "/?"+q).Rows, q)
	}
}
