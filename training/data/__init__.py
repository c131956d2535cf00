"""Training data: the tokenizer, the demo corpus, tokenised shards and the packed, document-masked token batches.

The snapshot contract itself (schema, rendering, snapshot I/O) is `training.format`, which imports no torch.
"""
