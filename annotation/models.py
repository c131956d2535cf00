# Rating items, leases, labels and aggregates: see annotation/ models added by the annotation work.
