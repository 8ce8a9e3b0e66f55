"""What normalising a big text costs: seconds, the Python heap's peak while `normalise` runs
(tracemalloc) and what the result keeps (text + offset map), for a report-like text of N MB
(real reports' lines, with the characters the step folds: CRLF, full-width digits, Kangxi
radicals, ASCII parentheses).

    .venv/bin/python benchmarks/bench_normalise.py [--mb 20]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.normalise import normalise

_LINES = (
    "本年新收政府信息公开申请数量 12 3 4 5 6 7 37\r\n",
    "（一）予以公开\t１２\t３\t4\t5\t6\t7\t37\r\n",
    "⼆、主动公开政府信息情况(第二十条第(一)项)\r\n",
    "行政复议 结果维持 结果纠正 其他结果 尚未审结 总计\r\n",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=20, help="size of the text, UTF-8 megabytes")
    args = ap.parse_args()
    block = "".join(_LINES)
    text = block * (args.mb * 1024 * 1024 // len(block.encode()))
    started = time.perf_counter()
    normalise(text)
    seconds = time.perf_counter() - started    # timed untraced: tracemalloc slows allocation
    tracemalloc.start()
    norm = normalise(text)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"text {len(text.encode()) / 1e6:.1f} MB UTF-8, {len(text):,} characters "
          f"({sys.getsizeof(text) / 1e6:.1f} MB as a str)")
    print(f"normalise: {seconds:.2f} s; heap peak {peak / 1e6:.1f} MB; "
          f"result kept {kept / 1e6:.1f} MB (text {sys.getsizeof(norm.text) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
