"""The web portal: a second thin client over workflow/ and notifications/, beside the CLI."""
