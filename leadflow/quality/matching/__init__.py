"""Duplicate matching: comparable profiles of records, blocking keys, and the evidence score of a pair."""
