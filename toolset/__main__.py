import sys

from toolset.cli import main

sys.exit(main())
