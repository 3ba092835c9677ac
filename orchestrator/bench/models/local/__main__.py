import sys

from orchestrator.bench.models.local import main

sys.exit(main())
