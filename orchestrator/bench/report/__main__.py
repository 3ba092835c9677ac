import sys

from orchestrator.bench.report import main

sys.exit(main())
