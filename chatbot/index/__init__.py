"""The index: embeddings, the dense (FAISS) and keyword (BM25) indexes with their manifest, and retrieval."""
