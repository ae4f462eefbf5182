import sys

try:
    from central_system.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting up: a clean stop, no traceback
    sys.exit(130)

sys.exit(main())
