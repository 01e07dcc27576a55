"""Readers and validators for fiberbill's input folder. No Dagster import here."""
