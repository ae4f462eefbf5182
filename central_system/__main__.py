import sys

from central_system.cli import main

sys.exit(main())
