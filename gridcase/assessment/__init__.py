"""考核: assessment schemes as data, scores that explain themselves, and rankings (issue 17)."""
