"""`python -m simulator --port 8765`: the TastyTrade simulator on loopback, without Django."""

from .cli import main

main()
