// ArgusCommands
