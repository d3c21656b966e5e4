"""Error pages: HTML for browsers, JSON for `/api/` routes, never a stack trace."""
