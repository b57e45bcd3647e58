from parsers.captions import find_captions
from parsers.lines import Line


def _line(text, x0, y0, x1, block=0, size=8.0):
    return Line(text, (x0, y0, x1, y0 + 7), size, False, 0.0, block)


def test_a_label_set_apart_on_its_row_keeps_the_caption_text_after_it():
    lines = [_line("Figure 6.", 54, 465, 86), _line("Comparison of compression factors using", 100, 465, 297),
             _line("different lossy compression methods.", 54, 474, 297), _line("Body text goes on.", 54, 500, 297, 1)]
    (cap,) = find_captions(lines)
    assert cap.text == "Figure 6. Comparison of compression factors using different lossy compression methods."


def test_a_second_caption_beside_the_first_is_not_joined_to_it():
    lines = [_line("Figure 1: Left plot.", 54, 300, 150), _line("Figure 2: Right plot.", 160, 300, 260)]
    assert [c.text for c in find_captions(lines)] == ["Figure 1: Left plot.", "Figure 2: Right plot."]
