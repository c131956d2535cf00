"""LaMDA-architecture trainer.

    training/
      train.py        the CLI: `python -m training.train` (and `manage.py train`)
      errors.py       TrainInputError: the one-line, user-fixable error type
      format/         the dataset-snapshot contract (pure Python, no torch; the platform's exporter imports it)
      model/          ModelConfig + presets, relative positions, the decoder, attention backends, FLOPs
      data/           tokenizer, demo corpus, tokenised shards, validation split, packed token batches
      run/            run config and plan, the loop, checkpoints, parallelism, optimizer, guards, logs
      inference/      export format, KV-cache generation, ChatModel (the platform's local backend)
      ---- Django glue (the only code that imports Django; the core above never imports it) ----
      apps.py  models.py  management/

Everything above the line imports only torch, sentencepiece, numpy, pyarrow (lazily), tqdm/tensorboard and the
standard library (tests/test_architecture.py checks it).
"""
