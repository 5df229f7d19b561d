"""Helpers shared by the test files of one topic (a split test file's constants, builders and
queries), so each lives once."""
