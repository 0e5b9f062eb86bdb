"""The subcommands of ``sm-tui``, each importing its heavy parts only when run."""
