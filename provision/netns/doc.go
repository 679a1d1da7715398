// Package netns drives iproute2's `ip` for what the local cluster needs:
// named network namespaces, links (bridges, veth pairs) and addresses, and
// commands run inside a namespace. Every call is bounded by its context and
// every error carries ip's own stderr. Creating and deleting are idempotent.
package netns
