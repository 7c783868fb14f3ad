"""One module per ``miniground`` command: argument parsing and ``main(argv)``. Nothing imports
them; ``agent.cli`` names them in its dispatch table."""
