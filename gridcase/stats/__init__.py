"""Indicators and risk alerts for the command centre, as set-based SQL."""
