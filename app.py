"""Streamlit chat over a document collection: streamed answers whose every claim can be checked.

Run with `make run` (or `.venv/bin/streamlit run app.py`). Presentation only: the engine (`Chatbot`)
answers, describes the collection and adds documents; it is loaded once per process and shared by
every browser session, and its generator serialises their questions. The collection's own wording
(title, examples, disclaimer) comes from its `collection.toml`.
"""
from __future__ import annotations

import math

import streamlit as st

from chatbot import REFUSAL, Answer, Chatbot, ChatbotError, Citation, Reading, Settings
from chatbot.presentation import answer_markdown, collection_summary, conversation_markdown, escape_markdown, highlighted_passage, reading_label, source_label

AVATARS = {"user": ":material/person:", "assistant": ":material/menu_book:"}


@st.cache_resource(show_spinner="Loading the models and the index (only on the first visit)…")
def load_engine() -> Chatbot:
    bot = Chatbot.up_to_date(Settings.from_env())  # builds the index when missing, updates it when documents changed
    bot.load_model()  # now, so a missing model shows on arrival rather than after the first question
    return bot


def main() -> None:
    st.set_page_config(page_title="Ask the documents", page_icon=":material/menu_book:", layout="centered")
    try:
        bot = load_engine()
        collection = bot.collection()
    except ChatbotError as exc:
        st.title("Ask the documents")
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        st.stop()
    profile = collection.profile
    st.set_page_config(page_title=profile.name)
    st.title(escape_markdown(profile.name))
    st.caption(escape_markdown(profile.disclaimer))

    state = st.session_state
    state.setdefault("answers", [])  # the conversation: one Answer per turn (it holds its question)
    state.setdefault("upload_round", 0)
    k, show_retrieved = sidebar(bot, collection)

    for answer in state.answers:
        with st.chat_message("user", avatar=AVATARS["user"]):
            st.markdown(escape_markdown(answer.question))
        with st.chat_message("assistant", avatar=AVATARS["assistant"]):
            show_answer(bot, answer, collection, show_retrieved)

    question = st.chat_input(profile.placeholder)
    if not state.answers and not question and profile.examples:
        st.markdown("**Try one of these:**")
        for example in profile.examples:
            if st.button(example, key=f"example-{example}"):
                question = example
    if question:
        ask(bot, collection, question, k, show_retrieved)


def sidebar(bot: Chatbot, collection) -> tuple[int, bool]:
    state = st.session_state
    with st.sidebar:
        if st.button("New chat", icon=":material/add_comment:", use_container_width=True):
            state.answers = []
            st.rerun()
        st.download_button("Download conversation (.md)", icon=":material/download:",
                           data=conversation_markdown(state.answers, f"{collection.profile.name}: conversation", collection.profile.disclaimer),
                           file_name="conversation.md", mime="text/markdown", disabled=not state.answers,
                           use_container_width=True)

        st.header("Collection")
        built = collection.indexed_at.astimezone().strftime("%Y-%m-%d %H:%M") if collection.indexed_at else "never"
        st.caption(f"{len(collection.documents)} documents · {collection.n_passages} passages · indexed {built}")
        if collection.profile.description:
            st.caption(escape_markdown(collection.profile.description))
        with st.expander(f"Documents ({len(collection.documents)})"):
            for doc in collection.documents:
                st.markdown(f"{escape_markdown(doc.title)}  \n:gray[{escape_markdown(doc.doc_id)}]")
                if doc.furniture_blocks and st.toggle(f"{doc.furniture_blocks} line(s) left out as page furniture",
                                                      key=f"furniture-{doc.doc_id}"):
                    for line in bot.furniture(doc.doc_id):
                        st.text(line)  # plain text: a removed link or banner never renders
        if collection.skipped:
            with st.expander(f"Skipped files ({len(collection.skipped)})", icon=":material/warning:"):
                for name, reason in collection.skipped.items():
                    st.text(f"{name} {reason}.")  # plain text: a file name never renders as a link

        st.header("Settings")
        k = st.slider("Passages given to the model", 1, 10, bot.settings.retrieval.top_k,
                      help="More passages can answer broader questions but take longer.")
        show_retrieved = st.toggle("Show retrieved passages and scores", value=False)

        st.header("Add documents")
        files = st.file_uploader("PDF, Word (.docx), saved web pages, Markdown or plain text",
                                 type=[s.lstrip(".") for s in bot.document_types], accept_multiple_files=True,
                                 key=f"upload-{state.upload_round}",
                                 max_upload_size=max(1, math.ceil(bot.settings.index.max_document_mb)),  # MB, as ours
                                 help=f"Up to {bot.settings.index.max_document_mb:g} MB each. A file named like a document "
                                      "already in the collection is added beside it, never over it.")
        if files:
            add_documents(bot, files)
        for kind, text in state.pop("upload_notices", []):
            (st.success if kind == "ok" else st.error)(escape_markdown(text))  # file names render as text
    return k, show_retrieved


def add_documents(bot: Chatbot, files) -> None:
    """Hand the uploads to the engine (it checks, saves and indexes them), then show what happened."""
    with st.status(f"Adding {len(files)} file(s)…", expanded=True) as status:
        step = st.empty()
        try:
            report = bot.add_documents([(f.name, f.getvalue()) for f in files], progress=lambda text: step.text(text))
            notices = [("error", e) for e in report.errors]
            notices += [("ok", f"A document named {old} is already in the collection: the upload was added beside it as {new}.")
                        for old, new in report.renamed.items()]
            if report.added:
                notices.append(("ok", f"Added {', '.join(report.added)}: the collection now has {report.build.n_chunks} passages."))
        except ChatbotError as exc:
            report, notices = None, [("error", str(exc))]
        status.update(label="Done", state="complete" if report and report.added else "error")
    st.session_state.upload_notices = notices
    st.session_state.upload_round += 1  # a fresh uploader, so the same files are not added again
    st.rerun()


def ask(bot: Chatbot, collection, question: str, k: int, show_retrieved: bool) -> None:
    state = st.session_state
    history = [turn for a in state.answers for turn in ({"role": "user", "content": a.question},
                                                       {"role": "assistant", "content": a.text})]
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        placeholder = st.empty()
        if bot.busy:
            placeholder.info("Another question is being answered right now; yours is next…", icon=":material/hourglass_top:")
        else:
            placeholder.markdown(":gray[_Searching and checking the documents…_]")
        try:
            stream = bot.stream(question, history, k)
            written = ""
            for event in stream.events():
                if isinstance(event, Reading):  # while the model reads (seconds on 2 cores): what it is reading
                    placeholder.markdown(f":gray[_{escape_markdown(reading_label(event))}…_]")
                    continue
                written += event
                placeholder.markdown(escape_markdown(written) + " ▌")
        except ChatbotError as exc:
            placeholder.error(escape_markdown(str(exc)), icon=":material/error:")
            return
        with placeholder.container():  # the finished answer, with its sources, replaces the streamed sentences
            show_answer(bot, stream.answer, collection, show_retrieved)
    state.answers = [*state.answers, stream.answer]
    st.rerun()  # redraw from history: the example buttons go, the download button gets the new turn


FLAGGED_NOTE = ("⚠ Marked text reads like an instruction to the assistant (to change its answer, visit a link, or do "
                "another task): it was not shown to the model and never supports an answer.")


@st.cache_data(max_entries=64, show_spinner=False)
def page_image(_bot: Chatbot, doc_id: str, page: int, evidence: tuple[str, ...], indexed_at: str):
    """The cited PDF page with its supporting sentence highlighted (cached: the chat redraws on every turn)."""
    return _bot.page_image(doc_id, page, list(evidence))


def show_source(bot: Chatbot, c: Citation, indexed_at) -> None:
    st.caption(f"{escape_markdown(c.doc_id)}{f' · page {c.page}' if c.page else ''} · the highlighted sentence supports the answer")
    image = page_image(bot, c.doc_id, c.page, tuple(c.evidence), str(indexed_at)) if c.page else None
    if image is not None:
        text_column, page_column = st.columns(2)
        page_column.image(image, caption=f"Page {c.page} of {c.doc_id}", width="stretch")
    else:
        text_column = st.container()
    with text_column:
        st.markdown(highlighted_passage(c.text, c.evidence, c.flagged))
        if c.flagged:
            st.caption(FLAGGED_NOTE)


def show_answer(bot: Chatbot, answer: Answer, collection, show_retrieved: bool) -> None:
    if answer.refused:
        if answer.citations:  # the refusal quotes what the documents say that comes closest
            st.warning(answer_markdown(answer.text), icon=":material/search_off:")
        else:
            titles = [d.title for d in collection.documents]
            summary = escape_markdown(f"{REFUSAL} {collection_summary(titles)} Try asking about something they discuss.")
            st.warning(summary, icon=":material/search_off:")
    else:
        st.markdown(answer_markdown(answer.text))
    if answer.citations:
        st.markdown("**Sources**")
        for c in answer.citations:
            with st.expander(f":blue-badge[{c.n}] {escape_markdown(source_label(c.title, c.section, c.page))}"):
                show_source(bot, c, collection.indexed_at)
    n = len(answer.citations)
    if answer.refused:
        st.caption(f"Checked in {answer.timings.total_s:.1f} s")
    else:
        st.caption(f"Answered in {answer.timings.total_s:.1f} s from {n} source{'s' if n != 1 else ''}")
    if show_retrieved and answer.retrieved:
        with st.expander(f"Retrieved passages ({len(answer.retrieved)}) and scores"):
            for r in answer.retrieved:
                st.markdown(f"**{r.rank}.** fused {r.score:.4f} · dense {r.dense_score:.3f} · bm25 {r.bm25_score:.2f} · "
                            f"{escape_markdown(r.chunk.doc_id)} — {escape_markdown(r.chunk.section)}")
                st.text(r.chunk.text)


main()
