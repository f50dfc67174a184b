"""One module per `wxpub` subcommand; each defines `add_parser(subparsers)`."""
