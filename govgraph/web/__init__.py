"""Pages for people: server-rendered HTML (Jinja2 templates, small ES modules, one stylesheet) mounted by
`govgraph serve` beside the GraphQL API; see docs/web.md."""
