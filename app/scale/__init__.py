"""The multi-instance lab: which instance answered each request, and what each one knew."""
