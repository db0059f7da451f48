import sys

from dce_client.cli import main

sys.exit(main())
