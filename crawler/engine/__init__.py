"""The crawl engine's CPU side: one parse per page (``page.py``: page type, outlinks, extraction
from one lxml tree, fast outlinks in ``links.py``), run in a pool of worker processes with a time
budget per page (``pool.py``), and ``offload.py``, the interface spider and pipelines use to
hand work to that pool and blocking I/O to the crawl's I/O thread."""
