"""The security audit log (等保 2.0): who did what, when, from where, and with what result."""
