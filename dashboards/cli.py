def dashboard_command(): pass
