from unirag.rag.text import tokenize, windows


def test_tokenize_latin_numbers_and_cjk_bigrams():
    assert tokenize("Table 3: GPU-hours of the A100") == ["tabl", "3", "gpu-hours", "a100"]
    assert tokenize("retained batteries") == tokenize("retain battery")
    assert tokenize("波浪能") == ["波", "浪", "能", "波浪", "浪能"]
    assert tokenize("the of") == []


def test_windows_cover_long_text_without_truncation():
    text = " ".join(f"w{i}" for i in range(1000))
    parts = windows(text, size=200, overlap=20)
    assert len(parts) > 1 and parts[0].startswith("w0 ") and "w999" in parts[-1]
    assert windows("short") == ["short"]
