"""fiberbill: billing for fiber networks. The engine, by domain; no Dagster import."""
