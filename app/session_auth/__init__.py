"""The session scheme: an opaque ID in an HttpOnly cookie, everything else in the server's store."""
