import ArgusCommands
ArgusCommand.main()
