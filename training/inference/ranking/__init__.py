"""Sample-and-rank: settings, discriminator capability, KV-reuse scoring, the ranking rule, batched decoding."""
