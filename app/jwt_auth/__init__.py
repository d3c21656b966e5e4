"""The JWT scheme: a signed token kept in localStorage and sent as a Bearer header."""
