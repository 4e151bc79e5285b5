"""The embedder: ONNX Runtime for the bundled MiniLM, the same vectors as sentence-transformers, no torch on a question."""
import json
import os
import subprocess
import sys

import numpy as np
from helpers import PROJECT

from chatbot.config import Settings
from chatbot.index.embeddings import _sentence_transformers_encoder
from chatbot.models import embedding_model_path

TEXTS = ["Which nerve is the largest in the human body?", "Knees.", "The sciatic nerve runs from the lower back " * 60]


def test_onnx_vectors_are_sentence_transformers_vectors(embedder):
    reference, _ = _sentence_transformers_encoder(embedding_model_path(Settings().embedding_model))
    got, want = embedder.embed(TEXTS), reference(TEXTS, False)
    assert got.shape == (3, 384) and got.dtype == np.float32
    assert float(np.max(1 - (got * want).sum(axis=1))) < 1e-5  # incl. a text cut at the model's 256 tokens


def test_a_question_in_a_new_process_never_imports_torch(built_settings):
    script = ("import sys, json; from chatbot.bot import Chatbot; bot = Chatbot(); "
              "hits = bot.search('Which nerve is the largest in the human body?'); "
              "print(json.dumps({'torch': 'torch' in sys.modules, 'top': hits[0].chunk.text}))")
    env = dict(os.environ, CHATBOT_CORPUS_DIR=str(built_settings.corpus_dir), CHATBOT_INDEX_DIR=str(built_settings.index_dir))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["torch"] and "sciatic" in result["top"]
