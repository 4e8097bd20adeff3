"""Allow ``python -m scrisk``."""
from scrisk.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
