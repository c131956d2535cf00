"""The model: `ModelConfig` and presets, T5 relative positions, the decoder (`model.py`), attention backends, FLOPs.

No distributed code lives here: `training.run.parallel` applies AC, compile and FSDP2 from outside.
"""
