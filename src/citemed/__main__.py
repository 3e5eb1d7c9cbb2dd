"""`python -m citemed ...`, the same as the `citemed` command."""

from citemed.cli import main

main()
