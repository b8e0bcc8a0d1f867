"""Project commands for the ``scrapy`` tool (settings: COMMANDS_MODULE)."""
