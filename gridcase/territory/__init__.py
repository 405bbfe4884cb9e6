"""Territory: the city → (district) → township → community → grid tree, with PostGIS boundaries."""
