import sys

from shrinkpy.cli import main

sys.exit(main())
