"""`python -m malclient` is the `mal` command."""

from malclient.cli import main

if __name__ == "__main__":
    main()
