"""Full-text search: language analyzers and detection."""
