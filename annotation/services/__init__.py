"""Writes of the annotation app, split by entity: items, assignment (leases), labels, aggregation."""
