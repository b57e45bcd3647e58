from unirag.parsers.captions import find_captions
from unirag.parsers.lines import Line


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


def test_centred_caption_lines_in_blocks_of_their_own_stay_one_caption():
    lines = [_line("Table V", 162, 491, 189, block=1), _line("MAXIMUM COMPRESSION ERRORS", 116, 499, 235, block=2),
             _line("USING SZ-1.4 AND ZFP", 137, 508, 214, block=3), _line("Body text below.", 54, 530, 297, block=4)]
    (cap,) = find_captions(lines)
    assert cap.text == "Table V MAXIMUM COMPRESSION ERRORS USING SZ-1.4 AND ZFP"
