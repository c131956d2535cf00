"""A training run: its config, plan (resume / fine-tune / fresh), loop, checkpoints, parallelism, optimizer, logs."""
