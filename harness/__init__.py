"""Tools the tests and the benchmark share: real servers on loopback, and real sign-ins."""
