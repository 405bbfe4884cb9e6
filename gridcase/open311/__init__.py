"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): other city systems list the
public services, post requests that become public cases, and follow their status."""
