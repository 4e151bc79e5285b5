"""Streamlit chat over the document collection: streamed answers whose every claim can be checked.

Run with `make run` (or `.venv/bin/streamlit run app.py`). The engine (models + index) is loaded once
per process and shared by every browser session; the generator serialises their questions.
"""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from chatbot import REFUSAL, Chatbot, ChatbotError, Settings
from chatbot.documents import save_document
from chatbot.index import build_index
from chatbot.presentation import (answer_markdown, collection_summary, conversation_markdown, escape_markdown,
                                  highlighted_passage, source_label)

EXAMPLE_QUESTIONS = [
    "Can knee pain change the way I walk and hurt my back?",
    "What is sciatica and how does it affect the knee?",
    "How does good posture help with back pain?",
    "What can I do at home to ease knee and back pain?",
]
AVATARS = {"user": ":material/person:", "assistant": ":material/menu_book:"}
NOT_ADVICE = ("Answers come only from the articles in this collection, with their sources. "
              "This is general information, not medical advice: for your own pain, talk to a doctor or physiotherapist.")

st.set_page_config(page_title="Knee & back pain — ask the articles", page_icon=":material/healing:", layout="centered")


@st.cache_resource(show_spinner="Loading the models and the index (only on the first visit)…")
def load_engine() -> Chatbot:
    settings = Settings.from_env()
    build_index(settings, progress=False)  # no-op when the index matches corpus/; builds it when missing or stale
    bot = Chatbot(settings)
    _ = bot.generator  # load now, so a missing model shows on arrival rather than after the first question
    return bot


def main() -> None:
    st.title("Knee & back pain: ask the articles")
    st.caption(NOT_ADVICE)
    try:
        bot = load_engine()
    except ChatbotError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()

    state = st.session_state
    state.setdefault("messages", [])
    state.setdefault("upload_round", 0)
    k, show_retrieved = sidebar(bot)

    for message in state.messages:
        with st.chat_message(message["role"], avatar=AVATARS[message["role"]]):
            if message["role"] == "user":
                st.markdown(escape_markdown(message["content"]))
            else:
                show_answer(message["answer"], bot, show_retrieved)

    question = st.chat_input("Ask about knee and back pain…")
    if not state.messages and not question:
        st.markdown("**Try one of these:**")
        for example in EXAMPLE_QUESTIONS:
            if st.button(example, key=f"example-{example}"):
                question = example
    if question:
        ask(bot, question, k, show_retrieved)


def sidebar(bot: Chatbot) -> tuple[int, bool]:
    state = st.session_state
    with st.sidebar:
        if st.button("New chat", icon=":material/add_comment:", use_container_width=True):
            state.messages = []
            st.rerun()
        st.download_button("Download conversation (.md)", icon=":material/download:", data=conversation_markdown(state.messages, "Knee & back pain conversation"),
                           file_name="conversation.md", mime="text/markdown", disabled=not state.messages,
                           use_container_width=True)

        manifest = bot.index.manifest
        st.header("Collection")
        built = datetime.fromisoformat(manifest["built_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        st.caption(f"{len(manifest['documents'])} documents · {manifest['n_chunks']} passages · indexed {built}")
        with st.expander(f"Documents ({len(manifest['documents'])})"):
            for doc_id, info in manifest["documents"].items():
                st.markdown(f"{escape_markdown(info['title'])}  \n:gray[{escape_markdown(doc_id)}]")

        st.header("Settings")
        k = st.slider("Passages given to the model", 1, 10, bot.settings.top_k,
                      help="More passages can answer broader questions but take longer.")
        show_retrieved = st.toggle("Show retrieved passages and scores", value=False)

        st.header("Add documents")
        files = st.file_uploader("Plain text or Markdown (UTF-8)", type=["txt", "md"], accept_multiple_files=True,
                                 key=f"upload-{state.upload_round}")
        if files:
            add_documents(bot, files)
        for notice in state.pop("upload_notices", []):
            (st.success if notice[0] == "ok" else st.error)(notice[1])
    return k, show_retrieved


def add_documents(bot: Chatbot, files) -> None:
    """Check and save each upload, index the collection incrementally, and swap the new index in."""
    notices, saved = [], []
    with st.status(f"Adding {len(files)} file(s)…", expanded=True) as status:
        for f in files:
            try:
                save_document(bot.settings.corpus_dir, f.name, f.getvalue())
                saved.append(f.name)
                status.write(f"Checked {escape_markdown(f.name)}")
            except ChatbotError as exc:
                notices.append(("error", str(exc)))
        if saved:
            status.update(label="Indexing the new documents…")
            try:
                report = build_index(bot.settings, bot.embedder, progress=False)
                bot.reload_index()
                notices.append(("ok", f"Added {', '.join(saved)}: the collection now has {report.n_chunks} passages."))
            except ChatbotError as exc:
                notices.append(("error", str(exc)))
        status.update(label="Done", state="complete" if saved else "error")
    st.session_state.upload_notices = notices
    st.session_state.upload_round += 1  # a fresh uploader, so the same files are not added again
    st.rerun()


def ask(bot: Chatbot, question: str, k: int, show_retrieved: bool) -> None:
    state = st.session_state
    history = [{"role": m["role"], "content": m["content"]} for m in state.messages]
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        placeholder = st.empty()
        if bot.generator.busy:
            placeholder.info("Another question is being answered right now; yours is next…", icon=":material/hourglass_top:")
        else:
            placeholder.markdown(":gray[_Searching the documents…_]")
        try:
            stream = bot.stream(question, history, k)
            written = ""
            for piece in stream:
                written += piece
                placeholder.markdown(escape_markdown(written) + " ▌")
        except ChatbotError as exc:
            placeholder.error(str(exc), icon=":material/error:")
            return
        answer = stream.answer.to_json()
        with placeholder.container():  # the checked answer replaces the draft in the same place
            show_answer(answer, bot, show_retrieved)
    state.messages += [{"role": "user", "content": question},
                       {"role": "assistant", "content": answer["answer"], "answer": answer}]
    st.rerun()  # redraw from history: the example buttons go, the download button gets the new turn


def show_answer(answer: dict, bot: Chatbot, show_retrieved: bool) -> None:
    timings = answer["timings"]
    if answer["refused"]:
        titles = [info["title"] for info in bot.index.manifest["documents"].values()]
        st.warning(f"{REFUSAL} {collection_summary(titles)} Try asking about something they discuss.", icon=":material/search_off:")
        st.caption(f"Checked in {timings['total_s']:.1f} s")
    else:
        st.markdown(answer_markdown(answer["answer"]))
        st.markdown("**Sources**")
        for c in answer["citations"]:
            with st.expander(f":blue-badge[{c['n']}] {escape_markdown(source_label(c['title'], c['section']))}"):
                st.caption(f"{c['doc']} · the highlighted sentence supports the answer")
                st.markdown(highlighted_passage(c["text"], c["evidence"]))
        n = len(answer["citations"])
        st.caption(f"Answered in {timings['total_s']:.1f} s from {n} source{'s' if n != 1 else ''}")
    if show_retrieved and answer["retrieved"]:
        with st.expander(f"Retrieved passages ({len(answer['retrieved'])}) and scores"):
            for r in answer["retrieved"]:
                st.markdown(f"**{r['rank']}.** fused {r['score']:.4f} · dense {r['dense_score']:.3f} · bm25 {r['bm25_score']:.2f} · "
                            f"{escape_markdown(r['doc'])} — {escape_markdown(r['section'])}")
                st.text(r["text"])


main()
