"""Portal screens. main: join, sign-in, home, profile, pages; messages: dismissing a message."""
