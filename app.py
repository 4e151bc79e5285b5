"""Streamlit chat over a document collection: streamed answers whose every claim can be checked.

Run with `make run` (or `.venv/bin/streamlit run app.py`). Presentation only: the library of collections
(`Library`, one `Chatbot` per collection) answers, describes collections and manages their documents; it is
loaded once per process and shared by every browser session, and the one language model serialises their
questions. A collection's own wording (title, examples, disclaimer) comes from its `collection.toml`; each
collection keeps its own conversation in a session.
"""
from __future__ import annotations

import math

import streamlit as st

from chatbot import REFUSAL, Answer, Chatbot, ChatbotError, Citation, Reading, Settings
from chatbot.library import DEFAULT, Library
from chatbot.presentation import answer_markdown, collection_summary, conversation_markdown, escape_markdown, highlighted_passage, reading_label, source_label

AVATARS = {"user": ":material/person:", "assistant": ":material/menu_book:"}


@st.cache_resource(show_spinner="Loading the models and the index (only on the first visit)…")
def load_library() -> Library:
    library = Library(Settings.from_env())
    library.bot().load_model()  # now, so a missing model shows on arrival rather than after the first question
    return library


def main() -> None:
    st.set_page_config(page_title="Ask the documents", page_icon=":material/menu_book:", layout="centered")
    state = st.session_state
    state.setdefault("conversations", {})  # collection -> its conversation: one Answer per turn (it holds its question)
    state.setdefault("upload_round", 0)
    state.setdefault("collection", DEFAULT)
    try:
        library = load_library()
        if state.collection not in library.names():
            state.collection = DEFAULT  # deleted, or renamed, elsewhere
        bot = library.bot(state.collection)
        collection = bot.collection()
    except ChatbotError as exc:
        st.title("Ask the documents")
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        st.stop()
    profile = collection.profile
    st.set_page_config(page_title=profile.name)
    st.title(escape_markdown(profile.name))
    st.caption(escape_markdown(profile.disclaimer))
    answers = state.conversations.setdefault(state.collection, [])
    k, show_retrieved, chosen = sidebar(library, bot, collection, answers)

    for answer in answers:
        with st.chat_message("user", avatar=AVATARS["user"]):
            st.markdown(escape_markdown(answer.question))
        with st.chat_message("assistant", avatar=AVATARS["assistant"]):
            show_answer(bot, answer, collection, show_retrieved)

    if not collection.documents:
        st.info("This collection has no documents yet: add some in the sidebar.", icon=":material/upload_file:")
        return
    question = st.chat_input(profile.placeholder)
    if not answers and not question and profile.examples:
        st.markdown("**Try one of these:**")
        for example in profile.examples:
            if st.button(example, key=f"example-{example}"):
                question = example
    if question:
        ask(bot, collection, question, k, show_retrieved, answers, chosen)


def sidebar(library: Library, bot: Chatbot, collection, answers: list) -> tuple[int, bool, dict]:
    state = st.session_state
    with st.sidebar:
        choose_collection(library)
        if st.button("New chat", icon=":material/add_comment:", use_container_width=True):
            answers.clear()
            st.rerun()
        st.download_button("Download conversation (.md)", icon=":material/download:",
                           data=conversation_markdown(answers, f"{collection.profile.name}: conversation", collection.profile.disclaimer),
                           file_name="conversation.md", mime="text/markdown", disabled=not answers,
                           use_container_width=True)

        st.header("Collection")
        built = collection.indexed_at.astimezone().strftime("%Y-%m-%d %H:%M") if collection.indexed_at else "never"
        st.caption(f"{len(collection.documents)} documents · {collection.n_passages} passages · indexed {built}")
        if collection.profile.description:
            st.caption(escape_markdown(collection.profile.description))
        chosen = choose_sources(bot, collection)
        manage_documents(bot, collection)
        if collection.skipped:
            with st.expander(f"Skipped files ({len(collection.skipped)})", icon=":material/warning:"):
                for name, reason in collection.skipped.items():
                    st.text(f"{name} {reason}.")  # plain text: a file name never renders as a link
        follow_folder(bot)

        st.header("Settings")
        k = st.slider("Passages given to the model", 1, 10, bot.settings.retrieval.top_k,
                      help="More passages can answer broader questions but take longer.")
        show_retrieved = st.toggle("Show retrieved passages and scores", value=False)

        st.header("Add documents")
        files = st.file_uploader("PDF, Word (.docx), OpenDocument (.odt), PowerPoint (.pptx), Excel (.xlsx, .csv), saved web pages, "
                                 "e-mails (.eml), e-books (.epub), Markdown or plain text",
                                 type=[s.lstrip(".") for s in bot.document_types], accept_multiple_files=True,
                                 key=f"upload-{state.collection}-{state.upload_round}",
                                 max_upload_size=max(1, math.ceil(bot.settings.index.max_document_mb)),  # MB, as ours
                                 help=f"Up to {bot.settings.index.max_document_mb:g} MB each. A file named like a document "
                                      "already in the collection is added beside it, never over it.")
        if files:
            add_documents(bot, files)
        for kind, text in state.pop("upload_notices", []):
            (st.success if kind == "ok" else st.error)(escape_markdown(text))  # file names render as text
    return k, show_retrieved, chosen


def choose_collection(library: Library) -> None:
    """Switch collection (each keeps its own conversation); make, rename or delete one."""
    state = st.session_state
    names = library.names()
    picked = st.selectbox("Collection", names, index=names.index(state.collection), key=f"pick-{len(names)}",
                          format_func=lambda n: "default (the bundled collection)" if n == DEFAULT else n)
    if picked != state.collection:
        state.collection = picked
        st.rerun()
    with st.expander("New collection", icon=":material/create_new_folder:"), st.form("new-collection", clear_on_submit=True):
        name = st.text_input("Name (letters, digits, - or _)", max_chars=64)
        title = st.text_input("Title people see (optional)", max_chars=200)
        if st.form_submit_button("Create"):
            try:
                library.create(name.strip(), title.strip())
                state.collection = name.strip()
                st.rerun()
            except ChatbotError as exc:
                st.error(escape_markdown(str(exc)))
    if state.collection != DEFAULT:
        with st.expander("Rename or delete this collection", icon=":material/edit:"):
            new = st.text_input("New name", value=state.collection, max_chars=64, key=f"rename-{state.collection}")
            if st.button("Rename", key=f"do-rename-{state.collection}") and new.strip() != state.collection:
                try:
                    library.rename(state.collection, new.strip())
                    state.conversations[new.strip()] = state.conversations.pop(state.collection, [])
                    state.collection = new.strip()
                    st.rerun()
                except ChatbotError as exc:
                    st.error(escape_markdown(str(exc)))
            sure = st.checkbox("Delete its documents and its index too", key=f"sure-{state.collection}")
            if st.button("Delete collection", disabled=not sure, type="primary", key=f"delete-{state.collection}"):
                library.delete(state.collection)
                state.conversations.pop(state.collection, None)
                state.collection = DEFAULT
                st.rerun()


def choose_sources(bot: Chatbot, collection) -> dict:
    """Limit the answers to some documents, or to documents with some tags (none chosen: all of them)."""
    titles = {d.doc_id: f"{d.title} ({d.doc_id})" for d in collection.documents}
    tags = bot.tags()
    with st.expander("Answer from", icon=":material/filter_alt:"):
        docs = st.multiselect("Only these documents", list(titles), format_func=lambda d: titles.get(d, d),
                              key=f"docs-{st.session_state.collection}", placeholder="All documents")
        chosen_tags = st.multiselect("Only documents with these tags", list(tags), key=f"tags-{st.session_state.collection}",
                                     placeholder="Any tag") if tags else []
    return {"docs": docs or None, "tags": chosen_tags or None}


def manage_documents(bot: Chatbot, collection) -> None:
    """Each document with its status; delete, replace or re-index one."""
    with st.expander(f"Documents ({len(collection.documents)})"):
        for doc in bot.documents():
            detail = f"{doc.passages} passages" + (f" · {doc.pages} pages" if doc.pages else "") if doc.status == "indexed" else doc.status
            shown_id = escape_markdown(doc.doc_id)  # labels and spinners render Markdown: a file name is never a link
            st.markdown(f"{escape_markdown(doc.title)}  \n:gray[{shown_id} · {escape_markdown(detail)}]")
            if doc.furniture_blocks and st.toggle(f"{doc.furniture_blocks} line(s) left out as page furniture",
                                                  key=f"furniture-{doc.doc_id}"):
                for line in bot.furniture(doc.doc_id):
                    st.text(line)  # plain text: a removed link or banner never renders
            if doc.status != "skipped":
                delete, reindex = st.columns(2)
                if delete.button("Delete", key=f"del-{doc.doc_id}", icon=":material/delete:"):
                    with st.spinner(f"Deleting {shown_id}…"):
                        bot.delete_document(doc.doc_id)
                    st.session_state.upload_notices = [("ok", f"Deleted {doc.doc_id}.")]
                    st.rerun()
                if reindex.button("Re-index", key=f"re-{doc.doc_id}", icon=":material/refresh:"):
                    with st.spinner(f"Indexing {shown_id} again…"):
                        bot.reindex_document(doc.doc_id)
                    st.rerun()
                replacement = st.file_uploader(f"Replace {shown_id} with a new version",
                                               key=f"rep-{doc.doc_id}-{st.session_state.upload_round}",
                                               type=[doc.doc_id.rsplit(".", 1)[-1]])
                if replacement is not None:
                    st.session_state.upload_round += 1  # a new, empty uploader after the rerun: replaced once, not again
                    try:
                        bot.replace_document(doc.doc_id, replacement.getvalue())
                        st.session_state.upload_notices = [("ok", f"Replaced {doc.doc_id} with the new version.")]
                    except ChatbotError as exc:
                        st.session_state.upload_notices = [("error", str(exc))]
                    st.rerun()


def follow_folder(bot: Chatbot) -> None:
    """With the toggle on, files added, changed, renamed or removed in the collection's folder are indexed as they
    appear (looked at every few seconds)."""
    if not st.toggle("Follow the folder", key=f"follow-{st.session_state.collection}",
                     help=f"Index what appears in {bot.settings.corpus_dir} by itself, every few seconds."):
        return

    @st.fragment(run_every=5)
    def look() -> None:
        if bot.stale_documents():
            report = bot.update_index()
            st.caption(f"Indexed the changes: {report.n_chunks} passages.")
            st.rerun()
    look()


def add_documents(bot: Chatbot, files) -> None:
    """Hand the uploads to the engine (it checks, saves and indexes them), then show what happened. "Stop" ends it
    between files: what was indexed stays, the rest waits (listed as not indexed yet) for the next indexing."""
    st.session_state.upload_round += 1  # first: a stop or a rerun never adds the same files again
    with st.status(f"Adding {len(files)} file(s)…", expanded=True) as status:
        st.button("Stop", icon=":material/stop_circle:", key=f"stop-{st.session_state.upload_round}",
                  help="Keep the files indexed so far; the others wait for the next indexing.")
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
    st.rerun()


def ask(bot: Chatbot, collection, question: str, k: int, show_retrieved: bool, answers: list, chosen: dict) -> None:
    history = [turn for a in answers for turn in ({"role": "user", "content": a.question},
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
            stream = bot.stream(question, history, k, chosen["docs"], chosen["tags"])
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
    answers.append(stream.answer)
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
            with st.expander(f":blue-badge[{c.n}] {escape_markdown(source_label(c.title, c.section, c.page, c.doc_id))}"):
                show_source(bot, c, collection.indexed_at)
    if answer.limited_to is not None:
        st.caption(f"Limited to: {escape_markdown(', '.join(answer.limited_to))}")
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
