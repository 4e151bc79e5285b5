"""Several collections over HTTP: /v1/collections creates, lists, renames and deletes them and their documents; an OpenAI
client lists them as models and gets cited answers from the one it names (the real engine, a scripted model)."""
from __future__ import annotations

import httpx2
import openai
import pytest
from helpers import ScriptedGenerator, copy_corpus
from helpers.serving import api_server

from chatbot.bot import Chatbot
from chatbot.config import Settings
from chatbot.index.backend import build_index
from chatbot.server import create_app

LIGHTHOUSE = b"The Harbour Lighthouse\n\nThe Harbour Lighthouse was built in 1871 from island granite.\n"


@pytest.fixture
def api(tmp_path, embedder):
    settings = Settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                        collections_dir=tmp_path / "collections")
    build_index(settings, embedder, progress=False)
    bot = Chatbot(settings, embedder=embedder, generator=ScriptedGenerator("The Harbour Lighthouse was built in 1871 [1]."))
    with api_server(create_app(bot)) as url:
        yield url


def test_collections_are_created_filled_listed_and_deleted_over_http(api):
    created = httpx2.post(f"{api}/v1/collections", json={"name": "lighthouses", "title": "Lighthouses"})
    assert created.status_code == 201 and created.json()["documents_count"] == 0
    upload = httpx2.post(f"{api}/v1/collections/lighthouses/documents", files=[("file", ("harbour.txt", LIGHTHOUSE, "text/plain"))],
                         timeout=120)
    assert upload.json()["added"] == ["harbour.txt"]
    names = [c["name"] for c in httpx2.get(f"{api}/v1/collections").json()["collections"]]
    assert names == ["default", "lighthouses"]
    docs = httpx2.get(f"{api}/v1/collections/lighthouses/documents").json()["documents"]
    assert [(d["doc"], d["status"], d["passages"]) for d in docs] == [("harbour.txt", "indexed", 1)]
    renamed = httpx2.patch(f"{api}/v1/collections/lighthouses", json={"name": "lights"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "lights" and renamed.json()["documents_count"] == 1
    assert httpx2.delete(f"{api}/v1/collections/lights/documents/harbour.txt").json()["passages"] == 0
    assert httpx2.delete(f"{api}/v1/collections/lights").status_code == 204
    assert [c["name"] for c in httpx2.get(f"{api}/v1/collections").json()["collections"]] == ["default"]


@pytest.mark.parametrize("method, path, body, status, words", [
    ("post", "/v1/collections", {"name": "../etc"}, 400, "cannot name a collection"),
    ("get", "/v1/collections/nope/documents", None, 404, "There is no collection 'nope'"),
    ("delete", "/v1/collections/default", None, 400, "cannot be deleted"),
    ("patch", "/v1/collections/default", {"name": "other"}, 400, "cannot be renamed"),
    ("post", "/v1/ask", {"question": "When was it built?", "collection": "nope"}, 404, "There is no collection 'nope'"),
    ("post", "/v1/ask", {"question": "When was it built?", "tags": ["finance"]}, 400, "No document has the tag 'finance'"),
])
def test_bad_requests_about_collections_are_one_sentence(api, method, path, body, status, words):
    response = getattr(httpx2, method)(f"{api}{path}", **({"json": body} if body is not None else {}))
    assert response.status_code == status and words in response.json()["error"]["message"]


def test_an_openai_client_lists_collections_as_models_and_gets_cited_answers_from_one(api):
    httpx2.post(f"{api}/v1/collections", json={"name": "lighthouses"})
    httpx2.post(f"{api}/v1/collections/lighthouses/documents", files=[("file", ("harbour.txt", LIGHTHOUSE, "text/plain"))],
                timeout=120)
    client = openai.OpenAI(base_url=f"{api}/v1", api_key="unused")
    assert [m.id for m in client.models.list()] == ["default", "lighthouses"]
    reply = client.chat.completions.create(model="lighthouses", messages=[{"role": "user", "content": "When was the Harbour Lighthouse built?"}])
    citations = reply.model_extra["citations"]
    assert "1871" in reply.choices[0].message.content and [c["doc"] for c in citations] == ["harbour.txt"]
    limited = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "When was it built?"}],
                                             extra_body={"documents": ["002_bff040c40be17c8c.txt"]})
    assert limited.model_extra.get("limited_to") == ["002_bff040c40be17c8c.txt"]
