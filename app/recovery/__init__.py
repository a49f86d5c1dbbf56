"""Backups, restore drills and measured recovery objectives (RTO/RPO) for the PostgreSQL database."""
