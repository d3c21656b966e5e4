"""Accounts: users, the credential checks both schemes share, sign-up and the demo seed."""
