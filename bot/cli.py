def bot_command(): pass
