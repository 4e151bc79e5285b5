"""Ingestion: files → `Document`s (exact text, title, structure as spans) → `Chunk`s."""
