"""LaMDA-architecture trainer. The core modules import only torch, sentencepiece, numpy and the standard library;
the Django glue (apps.py, management/) is separate and never imported by the core."""
