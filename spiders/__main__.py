"""`python -m spiders JOB.json`: the crawl child (spiders/run.py).

Started this way, not as `-m spiders.run`, the extraction workers (spiders/extract_workers.py)
do not import the whole crawl stack again: multiprocessing re-imports a main module in each
spawned process unless it is a package's `__main__`.
"""

import sys

from spiders.run import main

sys.exit(main())
