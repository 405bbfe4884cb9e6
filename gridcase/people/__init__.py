"""People: users, roles and scope, API tokens, personal-data protection."""
