"""Changing a password ends every other sign-in, under both schemes."""
