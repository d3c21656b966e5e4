"""The token lab: the naive verifier the attacks are sent to, beside the real endpoint."""
