"""The 枫桥 ladder: working-day time limits, lights, and the escalation sweep."""
