"""Our own HTTP API (FastAPI): `python -m chatbot serve`.

- `POST /v1/ask` takes {"question", "history"?, "k"?, "stream"?} and returns the `ask --json` object; with
  "stream": true, server-sent events: one `sources` event (the passages being read, before the model starts),
  `text` events with each checked sentence as it passes, then one `answer` event with the whole object (or
  one `error` event).
- `POST /v1/chat/completions`: the OpenAI protocol, so OpenAI clients and chat UIs can use the collection;
  the reply's content is the checked, cited answer, its citations in an extra field `citations`.
- `GET /v1/collections` (list), `POST /v1/collections` (create), `GET|DELETE /v1/collections/{name}`,
  `GET|POST /v1/collections/{name}/documents` (list, upload), `DELETE /v1/collections/{name}/documents/{doc}`;
  `/v1/ask` takes "collection", "documents" and "tags"; the OpenAI endpoint takes the collection as `model`
  (`GET /v1/models` lists them) and "documents"/"tags" as extra body fields.
- `GET /v1/collection` (the default collection), `GET /healthz`, `GET /openapi.json` (FastAPI's /docs page is
  left out: it loads its scripts from a CDN, which an offline machine cannot reach).

One `Library` serves every request, one `Chatbot` per collection sharing one language model; requests run in worker threads, side by side when the engine can
(the `openai` engine), one after another behind the local engine's lock otherwise. Bound to 127.0.0.1
unless told otherwise; a bearer token when CHATBOT_API_TOKEN is set; bodies over MAX_BODY_BYTES refused.
"""
from __future__ import annotations

import hmac
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from .answer.screen import MAX_QUESTION_CHARS
from .answer.types import Answer, Reading
from .bot import Chatbot
from .errors import ChatbotError, EngineUnavailableError, IndexUnavailableError
from .library import DEFAULT, Library, UnknownCollectionError

TOKEN_VARIABLE = "CHATBOT_API_TOKEN"
# A question is at most 1,000 characters; the rest is room for a long chat history.
MAX_BODY_BYTES = 256 * 1024


class Turn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_QUESTION_CHARS * 4)  # whitespace is squeezed before the real limit
    history: list[Turn] = Field(default_factory=list, max_length=200)
    k: int | None = Field(default=None, ge=1, le=50)
    stream: bool = False
    collection: str = DEFAULT
    documents: list[str] | None = Field(default=None, max_length=1000)  # only these documents (file names)
    tags: list[str] | None = Field(default=None, max_length=100)  # only documents with these tags


class CollectionRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)


class NewCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: the collection's settings decide
    model: str = ""  # the collection ("" or "default": the default one)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    documents: list[str] | None = Field(default=None, max_length=1000)
    tags: list[str] | None = Field(default=None, max_length=100)


def create_app(source: Chatbot | Library, token: str | None = None) -> FastAPI:
    """The API over a library of collections (or one chatbot, served as the default collection)."""
    library = source if isinstance(source, Library) else Library.around(source)
    app = FastAPI(title="Ask the documents", version="1", docs_url=None, redoc_url=None,
                  description="Answers from document collections; every sentence cites its source.")
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    guard = _bearer(token if token is not None else os.environ.get(TOKEN_VARIABLE, ""))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_sentence(exc))

    @app.exception_handler(ChatbotError)
    async def _chatbot_error(request: Request, exc: ChatbotError) -> JSONResponse:
        unavailable = isinstance(exc, (EngineUnavailableError, IndexUnavailableError))  # a server behind us, not the request
        status = (401 if isinstance(exc, Unauthorised) else 503 if unavailable else 404 if isinstance(exc, UnknownCollectionError)
                  else 400)
        return _error(status, str(exc))

    @app.get("/healthz")
    def healthz() -> dict:
        bot = library.bot()
        return {"status": "ok", "passages": bot.collection().n_passages, "engine": str(bot.settings.generation.engine),
                "index_backend": str(bot.settings.index.index_backend), "collections": len(library.names())}

    @app.get("/v1/collection", dependencies=[Depends(guard)])
    def collection() -> dict:
        return _collection_json(DEFAULT, library.bot())

    @app.get("/v1/collections", dependencies=[Depends(guard)])
    def collections() -> dict:
        return {"collections": [_collection_json(name, library.bot(name), documents=False) for name in library.names()]}

    @app.post("/v1/collections", dependencies=[Depends(guard)], status_code=201)
    def create_collection(body: NewCollection) -> dict:
        library.create(body.name, body.title, body.description)
        return _collection_json(body.name, library.bot(body.name))

    @app.get("/v1/collections/{name}", dependencies=[Depends(guard)])
    def one_collection(name: str) -> dict:
        return _collection_json(name, library.bot(name))

    @app.patch("/v1/collections/{name}", dependencies=[Depends(guard)])
    def rename_collection(name: str, body: CollectionRename) -> dict:
        library.rename(name, body.name)
        return _collection_json(body.name, library.bot(body.name))

    @app.delete("/v1/collections/{name}", dependencies=[Depends(guard)], status_code=204)
    def delete_collection(name: str) -> None:
        library.delete(name)

    @app.get("/v1/collections/{name}/documents", dependencies=[Depends(guard)])
    def documents(name: str) -> dict:
        return {"documents": [d.to_json() for d in library.bot(name).documents()]}

    @app.post("/v1/collections/{name}/documents", dependencies=[Depends(guard)])
    async def upload(name: str, request: Request) -> dict:
        form = await request.form()
        files = [(f.filename, await f.read()) for f in form.getlist("file") if hasattr(f, "filename")]
        if not files:
            raise ChatbotError("Send the documents as multipart form fields named `file`.")
        report = library.bot(name).add_documents(files)
        return {"added": report.added, "errors": report.errors, "renamed": report.renamed,
                "passages": report.build.n_chunks if report.build else None}

    @app.delete("/v1/collections/{name}/documents/{doc}", dependencies=[Depends(guard)])
    def delete_document(name: str, doc: str) -> dict:
        return {"deleted": doc, "passages": library.bot(name).delete_document(doc).n_chunks}

    @app.get("/v1/models", dependencies=[Depends(guard)])
    def models() -> dict:
        """The collections, as the OpenAI protocol lists models: a chat client picks one by its name."""
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "chatbot"}
                                           for name in library.names()]}

    @app.post("/v1/ask", dependencies=[Depends(guard)])
    def ask(body: AskRequest):
        history = [t.model_dump() for t in body.history]
        bot = library.bot(body.collection)
        if body.stream:  # a bad question fails before streaming
            return _sse(_ask_events(bot.stream(body.question, history, body.k, body.documents, body.tags)))
        return bot.ask(body.question, history, body.k, body.documents, body.tags).to_json()

    @app.post("/v1/chat/completions", dependencies=[Depends(guard)])
    def chat_completions(body: ChatRequest):
        question, history = _question_and_history(body.messages)
        bot = library.bot(body.model or DEFAULT)
        reply_id, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.model or DEFAULT
        if body.stream:
            return _sse(_chat_chunks(bot.stream(question, history, docs=body.documents, tags=body.tags), reply_id, created, model),
                        done_marker=True)
        answer = bot.ask(question, history, docs=body.documents, tags=body.tags)
        return {"id": reply_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": answer.timings.tokens_generated,
                          "total_tokens": answer.timings.tokens_generated},
                **_extras(answer)}

    return app


def _collection_json(name: str, bot: Chatbot, documents: bool = True) -> dict:
    info = bot.collection()
    out = {"name": name, "title": info.profile.name, "description": info.profile.description,
           "examples": list(info.profile.examples), "passages": info.n_passages, "documents_count": len(info.documents),
           "indexed_at": info.indexed_at.isoformat() if info.indexed_at else None}
    if documents:
        out |= {"documents": [{"doc": d.doc_id, "title": d.title} for d in info.documents], "skipped": info.skipped}
    return out


def _ask_events(stream) -> Iterator[tuple[str, dict]]:
    for event in stream.events():
        if isinstance(event, Reading):
            yield "sources", event.to_json()
        else:
            yield "text", {"text": event}
    yield "answer", stream.answer.to_json()


def _chat_chunks(stream, reply_id: str, created: int, model: str) -> Iterator[tuple[str, dict]]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
        return {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    yield "", chunk({"role": "assistant", "content": ""})
    for text in stream:
        yield "", chunk({"content": text})
    yield "", chunk({}, "stop", **_extras(stream.answer))


def _extras(answer: Answer) -> dict:
    """What an OpenAI reply has no field for: the citations, and whether the documents answered."""
    return {"citations": [c.to_json() for c in answer.citations], "refused": answer.refused,
            "refusal_reason": str(answer.refusal_reason or ""), "limited_to": answer.limited_to}


def _sse(events: Iterator[tuple[str, dict]], done_marker: bool = False) -> StreamingResponse:
    """Server-sent events; a failure after the stream has begun is sent as an `error` event (the status is out)."""
    def lines() -> Iterator[str]:
        try:
            for name, data in events:
                prefix = f"event: {name}\n" if name else ""
                yield f"{prefix}data: {json.dumps(data, ensure_ascii=False)}\n\n"
        except ChatbotError as exc:
            yield f"event: error\ndata: {json.dumps({'error': {'message': str(exc)}})}\n\n"
            return
        if done_marker:
            yield "data: [DONE]\n\n"
    return StreamingResponse(lines(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """The last user message is the question; earlier user and assistant messages are the history.
    System messages are ignored: the collection's own prompt decides how answers are written."""
    turns = [{"role": m.role, "content": _text(m.content)} for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user":
        raise ChatbotError("The last message must be the user's question; end `messages` with a user message.")
    return turns[-1]["content"], turns[:-1]


def _text(content: str | list | None) -> str:
    if isinstance(content, list):  # the protocol's content parts: only text can be asked about
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text")
    return content or ""


_BEARER = HTTPBearer(auto_error=False)


def _bearer(token: str):
    def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
        if token and not (credentials and hmac.compare_digest(credentials.credentials.encode(), token.encode())):
            raise Unauthorised(f"The API needs its token; send the header `Authorization: Bearer <token>` with the "
                               f"value of {TOKEN_VARIABLE}.")
    return check


class Unauthorised(ChatbotError):
    pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


def _validation_sentence(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "the body"
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON; send a JSON object."
    return f"The request's {where} is not valid ({first.get('msg', 'invalid')}); fix it and send it again."


class BodyLimit:
    """Refuses a request body over `max_bytes` (413) before it is parsed, whether or not it says its length."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._too_large(scope, receive, send)
        seen, too_large = 0, False

        async def limited() -> dict:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # the app sees the body end here; its reply is replaced by ours
                too_large = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def unless_too_large(message: dict) -> None:
            if not too_large:
                await send(message)
        await self.app(scope, limited, unless_too_large)
        if too_large:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(413, f"The request body is larger than {self.max_bytes // 1024} KB; send a shorter question and history.")
        await response(scope, receive, send)


def serve(bot: Chatbot, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(bot), host=host, port=port, log_level="info", access_log=False)
